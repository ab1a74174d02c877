package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// partTimeAdd is an enrollment of a part-time employee at the second of
// the part-time amounts modelstest.PartTimeAmounts.
func partTimeAdd(serial int) rules.Filing {
	f := insuredAdd(serial)
	f.Amount, f.PartTime = 12540, true
	return f
}

// TestPartTimeFilings (issue 13.7): the shipped 2026 table lists no
// part-time amounts, so 12,540 marked 部分工時 is refused (code n) saying
// that part-time employees too start at the lowest grade. Under a table
// that lists them, a filing marked 部分工時 takes them, is stored with its
// mark, keeps it in the roster, and the nightly re-validation leaves it
// 審核正確; a filing not marked is refused with code n saying why.
func TestPartTimeFilings(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if err := f.s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		by := filer(t, f)
		_, err := f.s.SubmitFiling(ctx, by, partTimeAdd(7100000))
		var shipped *models.BatchRefused
		if !errors.As(err, &shipped) || len(shipped.Rows) != 1 || len(shipped.Rows[0].Codes) != 1 || shipped.Rows[0].Codes[0].Code != "n" ||
			!strings.Contains(shipped.Rows[0].Codes[0].Detail, "基本工資") {
			t.Fatalf("12540 marked 部分工時 under the shipped table: %v, want code n naming 基本工資", err)
		}
		modelstest.LoadPartTime(t, db)

		pt := partTimeAdd(7100001)
		stored, err := f.s.SubmitFiling(ctx, by, pt)
		if err != nil {
			t.Fatalf("part-time enrollment at 12540: %v", err)
		}
		if !stored.PartTime || stored.Amount != 12540 || stored.Status != models.FilingValidated {
			t.Errorf("stored %+v, want 12540 marked 部分工時, 審核正確", stored)
		}
		// A raise to another part-time amount, and one to a full-time grade.
		raise := pt
		raise.Kind, raise.Reason, raise.Amount, raise.EffectiveDate = rules.KindAdjust, "M1", 15840, testToday.AddDate(0, 0, 1)
		if _, err := f.s.SubmitFiling(ctx, by, raise); err != nil {
			t.Fatalf("part-time adjustment to 15840: %v", err)
		}
		full := partTimeAdd(7100002)
		full.Amount = 30300
		if got, err := f.s.SubmitFiling(ctx, by, full); err != nil || !got.PartTime {
			t.Fatalf("part-time enrollment at a full-time grade: %+v, %v", got, err)
		}

		// Not marked: code n, and the refusal says 部分工時.
		notMarked := partTimeAdd(7100003)
		notMarked.PartTime = false
		_, err = f.s.SubmitFiling(ctx, by, notMarked)
		var br *models.BatchRefused
		if !errors.As(err, &br) || len(br.Rows) != 1 || len(br.Rows[0].Codes) != 1 || br.Rows[0].Codes[0].Code != "n" {
			t.Fatalf("12540 not marked 部分工時: %v, want code n alone", err)
		}
		if info := br.Rows[0].Codes[0]; !strings.Contains(info.Detail, "部分工時") || !strings.Contains(info.Message, "部分工時") {
			t.Errorf("code n = %+v, want its message and this filing's detail to mention 部分工時", info)
		}
		// Marked, but below the lowest part-time amount, or between two.
		low := partTimeAdd(7100004)
		low.Amount = 11000
		if codes := strings.Join(refusedCodes(t, ignoreStored(f.s.SubmitFiling(ctx, by, low))), ","); codes != "n" {
			t.Errorf("11000 marked 部分工時: codes %q, want n", codes)
		}
		between := partTimeAdd(7100005)
		between.Amount = 12000
		if codes := strings.Join(refusedCodes(t, ignoreStored(f.s.SubmitFiling(ctx, by, between))), ","); codes != "5" {
			t.Errorf("12000 marked 部分工時: codes %q, want 5", codes)
		}

		// The mark means nothing without an amount: a dependent keeps none.
		child := childAdd(pt, 7200001, day(2015, 1, 1))
		child.PartTime = true
		if got, err := f.s.SubmitFiling(ctx, by, child); err != nil || got.PartTime {
			t.Errorf("a dependent marked 部分工時: %+v, %v; want stored without the mark", got, err)
		}
		// The schema refuses the mark without an amount too.
		if _, err := db.NewUpdate().Table("filings").Set("part_time = ?", true).Where("person = ?", rules.PersonDependent).Exec(ctx); err == nil {
			t.Error("the schema let a dependent's filing be marked 部分工時")
		}

		// The roster shows the amount in force and its mark.
		rows, _, err := models.RosterOfUnit(ctx, db, models.UnitScope(f.cert.ID), f.cert.ID, models.RosterFilter{On: testToday.AddDate(0, 0, 1), Query: pt.InsuredID})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Amount != 15840 || !rows[0].PartTime || len(rows[0].Filings) != 2 || !rows[0].Filings[1].PartTime || rows[1].PartTime {
			t.Errorf("roster = %+v, want the insured at 15840 部分工時 by the adjustment, then the child", rows)
		}

		// Tonight's re-validation finds nothing wrong with them.
		if _, err := f.s.NightlyValidate(ctx, testToday.AddDate(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "filings", "part_time AND status <> ?", models.FilingValidated); n != 0 {
			t.Errorf("%d part-time filings flagged by the nightly check", n)
		}
		if n := count(t, db, "filing_changes", "1 = 1"); n != 0 {
			t.Errorf("the nightly check changed %d filings, want none", n)
		}
		// A part-time filing whose amount stopped being a part-time amount
		// (an admin corrected the table) is flagged.
		if _, err := db.NewUpdate().Table("filings").Set("amount = 12000").Where("id = ?", stored.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.NightlyValidate(ctx, testToday.AddDate(0, 0, 2)); err != nil {
			t.Fatal(err)
		}
		var st struct {
			Status string `bun:"status"`
			Codes  string `bun:"codes"`
		}
		if err := db.NewSelect().Table("filings").Column("status", "codes").Where("id = ?", stored.ID).Scan(ctx, &st); err != nil {
			t.Fatal(err)
		}
		if st.Status != models.FilingError || st.Codes != "5" {
			t.Errorf("12000 marked 部分工時 at night: %+v, want code 5", st)
		}
	})
}

func ignoreStored(_ *models.Filing, err error) error { return err }

// TestLoadGradeTablePartTime: admins load a table with both parts; the
// part-time amounts are checked (ascending, below the first grade), the
// source is required, and filings from its date use it.
func TestLoadGradeTablePartTime(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if err := f.s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		admin := staffActor(t, db, "hq.admin")
		refused := []struct {
			name  string
			load  models.GradeTableLoad
			field string
			want  string
		}{
			{"not ascending", models.GradeTableLoad{Grades: "29500\n30300", PartTime: "12000\n11500", Source: "令"}, "part_time", "第 2 行的 11500 比前一個金額 12000 小"},
			{"reaches the first grade", models.GradeTableLoad{Grades: "29500\n30300", PartTime: "11500, 29500", Source: "令"}, "part_time", "不低於全時人員的最低一級 29500 元"},
			{"not a number", models.GradeTableLoad{Grades: "29500\n30300", PartTime: "11500元", Source: "令"}, "part_time", "不是正整數"},
			{"no source", models.GradeTableLoad{Grades: "29500\n30300", PartTime: "11500"}, "source", "請輸入來源說明"},
			{"no grades", models.GradeTableLoad{PartTime: "11500", Source: "令"}, "grades", "沒有任何投保金額"},
		}
		for _, tc := range refused {
			tc.load.Effective = day(2026, 2, 1)
			err := f.s.LoadGradeTable(ctx, admin, tc.load)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || !strings.Contains(e.Fields[tc.field], tc.want) {
				t.Errorf("%s: %v (fields %v), want %s: %q", tc.name, err, e.Fields, tc.field, tc.want)
			}
		}
		if n := count(t, db, "grade_tables", "effective_date = '2026-02-01'"); n != 0 {
			t.Fatalf("a refused table was stored")
		}

		load := models.GradeTableLoad{Effective: day(2026, 2, 1), Grades: "29500\n30300\n31800", PartTime: "11500, 13000", Source: "衛部保字第0000000000號令（測試）"}
		if err := f.s.LoadGradeTable(ctx, admin, load); err != nil {
			t.Fatal(err)
		}
		tables, err := models.GradeTables(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if got := tables[0]; got.EffectiveDate != "2026-02-01" || got.PartTime != "11500,13000" || got.Source != load.Source {
			t.Errorf("newest table = %+v", got)
		}
		if n := count(t, db, "audit_events", "action = 'grade_table.load' AND object_id = '2026-02-01' AND after_json LIKE '%part_time%'"); n != 1 {
			t.Errorf("%d audit events of the load naming its part-time amounts, want 1", n)
		}
		by := filer(t, f)
		if _, err := f.s.SubmitFiling(ctx, by, partTimeAdd(7300001)); err == nil {
			t.Error("12540 is no part-time amount of the loaded table, yet it was accepted")
		}
		ok := partTimeAdd(7300002)
		ok.Amount = 13000
		if _, err := f.s.SubmitFiling(ctx, by, ok); err != nil {
			t.Errorf("13000 marked 部分工時 under the loaded table: %v", err)
		}
	})
}

// TestEnsureReferenceDataPartTime: a database loaded by the release that
// shipped part-time amounts for 2026 loses them, and gets the table's new
// source, at the next start; a table an admin loaded, or whose grades
// changed, is left.
func TestEnsureReferenceDataPartTime(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if err := s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		// As the earlier release left it.
		if _, err := db.NewUpdate().Table("grade_tables").Set("source = 'old'").Where("1 = 1").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		modelstest.LoadPartTime(t, db)
		if err := s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		shipped := rules.Builtin()
		tables, err := models.GradeTables(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(tables) != 2 || tables[0].EffectiveDate != "2026-01-01" || tables[0].PartTime != "" || tables[0].Source != shipped[1].Source {
			t.Errorf("2026 table after the upgrade = %+v", tables[0])
		}
		if tables[1].PartTime != "" || tables[1].Source != shipped[0].Source {
			t.Errorf("2025 table after the upgrade = %+v", tables[1])
		}
		// Changed since: by an admin, or in its grades.
		if _, err := db.NewUpdate().Table("grade_tables").Set("source = 'mine', loaded_by = 'hq.admin'").Where("effective_date = '2026-01-01'").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		modelstest.LoadPartTime(t, db)
		if _, err := db.NewUpdate().Table("grade_tables").Set("grades = '28590,30000', source = 'edited'").Where("effective_date = '2025-01-01'").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "grade_tables", "(source = 'mine' AND part_time = ?) OR (source = 'edited')", modelstest.PartTimeAmounts); n != 2 {
			t.Errorf("EnsureReferenceData changed %d tables it should have left", 2-n)
		}
	})
}

// TestMigration27 goes down below migration 27 and up again: the
// part-time columns go and come back, and a filing marked 部分工時 needs
// an amount.
func TestMigration27(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, d := range modelstest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			var url string
			if d == models.Postgres {
				url = modelstest.MustURLPG(t, false)
			} else {
				url = modelstest.URLSQLite(t)
			}
			db, err := models.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			if _, err := models.MigrateUp(ctx, db); err != nil {
				t.Fatal(err)
			}
			f := newLoginFixture(t, db)
			if err := f.s.EnsureReferenceData(ctx); err != nil {
				t.Fatal(err)
			}
			modelstest.LoadPartTime(t, db)
			if _, err := f.s.SubmitFiling(ctx, filer(t, f), partTimeAdd(7400001)); err != nil {
				t.Fatal(err)
			}
			applied27 := func() bool {
				t.Helper()
				st, err := models.MigrationStatuses(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range st {
					if m.Version == 27 {
						return m.AppliedAt != nil
					}
				}
				t.Fatal("no migration 27")
				return false
			}
			for applied27() {
				if ok, err := models.MigrateDown(ctx, db); err != nil || !ok {
					t.Fatalf("down: %v, %v", ok, err)
				}
			}
			for _, table := range []string{"filings", "grade_tables"} {
				// Unquoted: SQLite reads an unknown "part_time" as a string.
				if _, err := db.NewRaw("SELECT part_time FROM " + table + " LIMIT 1").Exec(ctx); err == nil {
					t.Errorf("%s.part_time still there below migration 27", table)
				}
			}
			if n := count(t, db, "filings", "amount = 12540"); n != 1 {
				t.Errorf("the filing did not survive going down: %d", n)
			}
			if _, err := models.MigrateUp(ctx, db); err != nil || !applied27() {
				t.Fatalf("up again: %v", err)
			}
			if n := count(t, db, "filings", "part_time"); n != 0 {
				t.Errorf("%d filings marked 部分工時 after going up again, want none (the mark was dropped)", n)
			}
			if _, err := db.NewUpdate().Table("filings").Set("part_time = ?, amount = 0", true).Where("amount = 12540").Exec(ctx); err == nil {
				t.Error("a filing marked 部分工時 without an amount was accepted")
			}
		})
	}
}
