package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestPrintFilings is 申報資料套印表格's models: the list by 報表類別
// (kind) a page at a time, the filings to print grouped by insured with
// their dependents, the amount before a change, the codes to warn about.
func TestPrintFilings(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if err := f.s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		by := filer(t, f)
		a, b, c := insuredAdd(6300001), insuredAdd(6300002), insuredAdd(6300003)
		a.Name, b.Name, c.Name = "林峯堃", "王大明", "張志強"
		a1, a2, c1 := childAdd(a, 6400001, day(2015, 1, 1)), childAdd(a, 6400002, day(2016, 1, 1)), childAdd(c, 6400003, day(2017, 1, 1))
		a1.Name, a2.Name, c1.Name = "林一", "林二", "張一"
		// Filed interleaved: the groups are made when printing.
		adds, err := f.s.SubmitFilings(ctx, by, []rules.Filing{a, b, a1, c, a2, c1}, true)
		if err != nil {
			t.Fatal(err)
		}
		id := map[string]int64{}
		for _, x := range adds {
			id[x.Name] = x.ID
		}
		raise := a
		raise.Kind, raise.Reason, raise.Amount, raise.EffectiveDate = rules.KindAdjust, "M1", 36300, testToday.AddDate(0, 0, 1)
		out := b
		out.Kind, out.Reason, out.Amount, out.EffectiveDate = rules.KindWithdraw, "W1", 0, testToday.AddDate(0, 0, 3)
		outChild := a2
		outChild.Kind, outChild.Reason, outChild.EffectiveDate = rules.KindWithdraw, "E5", testToday.AddDate(0, 0, 3)
		more, err := f.s.SubmitFilings(ctx, by, []rules.Filing{raise, out, outChild}, true)
		if err != nil {
			t.Fatal(err)
		}
		raiseID, outID, outChildID := more[0].ID, more[1].ID, more[2].ID

		sc := models.UnitScope(f.cert.ID)
		list := func(kind string, page, size int) ([]models.Filing, int) {
			t.Helper()
			fs, total, err := models.PrintableFilings(ctx, db, sc, f.cert.ID, models.PrintFilter{From: "2026-01-01", To: "2026-03-02",
				Operation: "health", Kind: kind, Page: page, PageSize: size})
			if err != nil {
				t.Fatal(err)
			}
			return fs, total
		}
		names := func(fs []models.Filing) string {
			var out []string
			for _, f := range fs {
				out = append(out, f.Name)
			}
			return strings.Join(out, " ")
		}

		t.Run("ListByKind", func(t *testing.T) {
			for _, tt := range []struct {
				kind  string
				total int
				want  string // newest first
			}{
				{rules.KindAdd, 6, "張一 林二 張志強 林一 王大明 林峯堃"},
				{rules.KindWithdraw, 2, "林二 王大明"},
				{rules.KindAdjust, 1, "林峯堃"},
				{"", 9, "林二 王大明 林峯堃 張一 林二 張志強 林一 王大明 林峯堃"},
			} {
				fs, total := list(tt.kind, 1, 50)
				if total != tt.total || names(fs) != tt.want {
					t.Errorf("kind %q: %q (total %d), want %q (%d)", tt.kind, names(fs), total, tt.want, tt.total)
				}
			}
		})
		t.Run("Pages", func(t *testing.T) {
			p1, total := list(rules.KindAdd, 1, 4)
			p2, total2 := list(rules.KindAdd, 2, 4)
			if total != 6 || total2 != 6 || names(p1) != "張一 林二 張志強 林一" || names(p2) != "王大明 林峯堃" {
				t.Errorf("pages of 4: %q, %q (totals %d, %d)", names(p1), names(p2), total, total2)
			}
		})

		load := func(ids ...int64) []models.PrintableFiling {
			t.Helper()
			fs, err := models.FilingsToPrint(ctx, db, sc, f.cert.ID, ids)
			if err != nil {
				t.Fatal(err)
			}
			return fs
		}
		groups := func(gs []models.PrintGroup) string {
			var out []string
			for _, g := range gs {
				s := g.InsuredName
				if g.Insured == nil {
					s = "(" + s + ")" // named for the dependents only
				}
				for _, d := range g.Dependents {
					s += "+" + d.Name
				}
				out = append(out, s)
			}
			return strings.Join(out, " ")
		}
		t.Run("Groups", func(t *testing.T) {
			// Ticked in the list's order (newest first): printed by insured,
			// each with their dependents after them.
			fs := load(id["張一"], id["林二"], id["張志強"], id["林一"], id["王大明"], id["林峯堃"])
			if got, want := groups(models.GroupForPrint(fs)), "林峯堃+林一+林二 王大明 張志強+張一"; got != want {
				t.Errorf("groups %q, want %q", got, want)
			}
			// A dependent without their insured's filing names the insured.
			gs := models.GroupForPrint(load(id["張一"], id["林二"]))
			if got, want := groups(gs), "(林峯堃)+林二 (張志強)+張一"; got != want {
				t.Errorf("groups %q, want %q", got, want)
			}
			if gs[1].InsuredID != c.InsuredID || gs[1].InsuredBirth != "1985-06-01" {
				t.Errorf("the insured named: %s born %s", gs[1].InsuredID, gs[1].InsuredBirth)
			}
			// Withdrawals group the same way.
			if got, want := groups(models.GroupForPrint(load(outChildID, outID))), "王大明 (林峯堃)+林二"; got != want {
				t.Errorf("withdrawals: groups %q, want %q", got, want)
			}
		})
		t.Run("AmountBefore", func(t *testing.T) {
			fs := load(raiseID)
			if fs[0].OldAmount != 30300 || fs[0].Amount != 36300 {
				t.Errorf("amount change: from %d to %d, want 30300 to 36300", fs[0].OldAmount, fs[0].Amount)
			}
		})
		t.Run("NotYours", func(t *testing.T) {
			if _, err := models.FilingsToPrint(ctx, db, sc, f.cert.ID, []int64{id["林峯堃"], 999999}); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("an unknown id: %v, want NotFound", err)
			}
			if _, err := models.FilingsToPrint(ctx, db, models.UnitScope(f.nhi.ID), f.nhi.ID, []int64{id["林峯堃"]}); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("another unit's filing: %v, want NotFound", err)
			}
		})
		t.Run("Flagged", func(t *testing.T) {
			// The nightly check finds code 5 in 王大明's enrolment.
			if _, err := db.NewUpdate().Table("filings").Set("status = ?, codes = '5'", models.FilingError).Where("id = ?", id["王大明"]).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			flagged, err := models.FlaggedForPrint(ctx, db, load(id["林峯堃"], id["王大明"], id["林一"]))
			if err != nil {
				t.Fatal(err)
			}
			if len(flagged) != 1 || flagged[0].ID != id["王大明"] || len(flagged[0].Codes) != 1 || flagged[0].Codes[0].Code != "5" ||
				!strings.Contains(flagged[0].Codes[0].Message, "投保金額") {
				t.Errorf("flagged %+v, want 王大明 with code 5 in words", flagged)
			}
			// Still listed: printing it warns first.
			if _, total := list(rules.KindAdd, 1, 50); total != 6 {
				t.Errorf("after code 5: %d enrolments listed, want 6", total)
			}
		})
		t.Run("VoidedNotListed", func(t *testing.T) {
			if _, err := f.s.WithdrawFiling(ctx, by, outID, "員工留任"); err != nil {
				t.Fatal(err)
			}
			if fs, total := list(rules.KindWithdraw, 1, 50); total != 1 || names(fs) != "林二" {
				t.Errorf("after the 退保 was withdrawn: %q (%d)", names(fs), total)
			}
		})
		t.Run("Audit", func(t *testing.T) {
			rec := models.PrintRecord{Report: "enrol", IDs: []int64{id["林峯堃"], id["王大明"]}, Flagged: []int64{id["王大明"]}, Pages: 1}
			if err := f.s.AuditPrint(ctx, by.Actor, f.cert.ID, rec); err != nil {
				t.Fatal(err)
			}
			var after string
			if err := db.NewSelect().Table("audit_events").Column("after_json").Where("action = 'filing.print'").Scan(ctx, &after); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`"report":"enrol"`, fmt.Sprintf(`"with_codes":[%d]`, id["王大明"]), `"count":2`} {
				if !strings.Contains(strings.ReplaceAll(after, " ", ""), want) {
					t.Errorf("audit after %s lacks %s", after, want)
				}
			}
		})
	})
}

// TestGroupForPrint groups filings as they are printed, whatever order
// they come in.
func TestGroupForPrint(t *testing.T) {
	t.Parallel()
	pf := func(id int64, person, insured, name string) models.PrintableFiling {
		return models.PrintableFiling{Filing: models.Filing{ID: id, Person: person, InsuredID: insured, Name: name}, InsuredName: "?" + insured}
	}
	ins, dep := rules.PersonInsured, rules.PersonDependent
	for _, tt := range []struct {
		name string
		fs   []models.PrintableFiling
		want string
	}{
		{"InsuredFiledAfterDependent", []models.PrintableFiling{pf(2, ins, "A", "甲"), pf(1, dep, "A", "甲子")}, "甲+甲子"},
		{"EnrolledAgain", []models.PrintableFiling{pf(1, ins, "A", "甲"), pf(2, dep, "A", "甲子"), pf(3, ins, "A", "甲"), pf(4, dep, "A", "甲丑")},
			"甲+甲子 甲+甲丑"},
		{"DependentsOnly", []models.PrintableFiling{pf(5, dep, "B", "乙子"), pf(6, dep, "B", "乙丑")}, "(?B)+乙子+乙丑"},
		{"Interleaved", []models.PrintableFiling{pf(1, ins, "A", "甲"), pf(2, ins, "B", "乙"), pf(3, dep, "B", "乙子"), pf(4, dep, "A", "甲子")},
			"甲+甲子 乙+乙子"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out []string
			for _, g := range models.GroupForPrint(tt.fs) {
				s := g.InsuredName
				if g.Insured == nil {
					s = "(" + s + ")"
				}
				for _, d := range g.Dependents {
					s += "+" + d.Name
				}
				out = append(out, s)
			}
			if got := strings.Join(out, " "); got != tt.want {
				t.Errorf("groups %q, want %q", got, tt.want)
			}
		})
	}
}
