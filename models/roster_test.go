package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestRosterOfUnit: the roster as of a day lists each insured before
// their dependents, with the amount in force and the filings behind it;
// a 退保 ends a row after its date, withdrawing the 退保 brings it back;
// search by ID or name; the export sends the page's total; another
// unit's or branch's scope sees nothing.
func TestRosterOfUnit(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if err := f.s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		by := filer(t, f)
		a, b := insuredAdd(6100002), insuredAdd(6100001)
		b.Name = "林美惠"
		b.Sex = "M"
		child := childAdd(a, 6200001, day(2015, 1, 1))
		if _, err := f.s.SubmitFilings(ctx, by, []rules.Filing{a, child, b}, true); err != nil {
			t.Fatal(err)
		}
		raise := a
		raise.Kind, raise.Reason, raise.Amount, raise.EffectiveDate = rules.KindAdjust, "M1", 33300, testToday.AddDate(0, 0, 1)
		if _, err := f.s.SubmitFiling(ctx, by, raise); err != nil {
			t.Fatal(err)
		}
		out := b
		out.Kind, out.Reason, out.Amount, out.EffectiveDate = rules.KindWithdraw, "W1", 0, testToday.AddDate(0, 0, 3)
		w, err := f.s.SubmitFiling(ctx, by, out)
		if err != nil {
			t.Fatal(err)
		}
		sc := models.UnitScope(f.cert.ID)
		roster := func(on int, q string) ([]models.RosterRow, int) {
			t.Helper()
			rows, total, err := models.RosterOfUnit(ctx, db, sc, f.cert.ID, models.RosterFilter{On: testToday.AddDate(0, 0, on), Query: q})
			if err != nil {
				t.Fatal(err)
			}
			return rows, total
		}
		people := func(rows []models.RosterRow) []string {
			var out []string
			for _, r := range rows {
				out = append(out, r.PersonID)
			}
			return out
		}

		insured := func(on int) int {
			t.Helper()
			n, err := models.CountInsured(ctx, db, sc, f.cert.ID, testToday.AddDate(0, 0, on))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		rows, total := roster(0, "")
		if n := insured(0); n != total {
			t.Errorf("CountInsured %d, the roster's total %d", n, total)
		}
		if got, want := people(rows), []string{b.InsuredID, a.InsuredID, child.DependentID}; total != 3 || !equal(got, want) {
			t.Fatalf("today: %v (total %d), want %v", got, total, want)
		}
		if rows[1].Amount != 30300 || len(rows[1].Filings) != 1 || rows[2].Amount != 0 || !rows[2].Dependent() {
			t.Errorf("today: a at %d with %d filings, child at %d", rows[1].Amount, len(rows[1].Filings), rows[2].Amount)
		}
		rows, _ = roster(2, "")
		if rows[1].Amount != 33300 || len(rows[1].Filings) != 2 || rows[1].AmountSince != dateOnly(testToday.AddDate(0, 0, 1)) {
			t.Errorf("after the raise: a at %d since %s with %d filings", rows[1].Amount, rows[1].AmountSince, len(rows[1].Filings))
		}
		if rows, total := roster(3, ""); total != 2 || insured(3) != 2 || !equal(people(rows), []string{a.InsuredID, child.DependentID}) {
			t.Errorf("on the 退保 date: %v (total %d, CountInsured %d)", people(rows), total, insured(3))
		}
		if _, err := f.s.WithdrawFiling(ctx, by, w.ID, "員工留任"); err != nil {
			t.Fatal(err)
		}
		if _, total := roster(3, ""); total != 3 {
			t.Errorf("after withdrawing the 退保: total %d, want 3", total)
		}
		if rows, _ := roster(-1, ""); len(rows) != 0 {
			t.Errorf("before anyone was enrolled: %v", people(rows))
		}

		t.Run("Search", func(t *testing.T) {
			if rows, total := roster(0, a.InsuredID); total != 2 || !equal(people(rows), []string{a.InsuredID, child.DependentID}) {
				t.Errorf("by the insured's ID: %v (%d)", people(rows), total)
			}
			if rows, total := roster(0, "美惠"); total != 1 || rows[0].PersonID != b.InsuredID {
				t.Errorf("by name: %v (%d)", people(rows), total)
			}
			if _, total := roster(0, "%"); total != 0 {
				t.Errorf("a wildcard matched %d", total)
			}
		})
		t.Run("Export", func(t *testing.T) {
			for _, q := range []string{"", a.InsuredID} {
				_, total := roster(0, q)
				n := 0
				if err := models.RosterForExport(ctx, db, sc, f.cert.ID, models.RosterFilter{On: testToday, Query: q}, 100, func(*models.RosterRow) error {
					n++
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if n != total {
					t.Errorf("query %q: exported %d rows, page total %d", q, n, total)
				}
			}
		})
		t.Run("Scope", func(t *testing.T) {
			for _, sc := range []models.Scope{models.UnitScope(f.nhi.ID), {Branch: "zz"}} {
				rows, total, err := models.RosterOfUnit(ctx, db, sc, f.cert.ID, models.RosterFilter{On: testToday})
				if err != nil || total != 0 || len(rows) != 0 {
					t.Errorf("scope %+v: %d rows, err %v", sc, total, err)
				}
				if n, err := models.CountInsured(ctx, db, sc, f.cert.ID, testToday); err != nil || n != 0 {
					t.Errorf("scope %+v: CountInsured %d, err %v", sc, n, err)
				}
			}
		})
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dateOnly(t interface{ Format(string) string }) string { return t.Format("2006-01-02") }

// TestDependentOfUnit: whom a dependant follows, from the roster, for a
// payroll 退保 row that names only the dependant; not another unit's
// dependant, not one whose coverage ended before, not outside the scope.
func TestDependentOfUnit(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if err := f.s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		a := insuredAdd(6300001)
		child := childAdd(a, 6400001, day(2015, 1, 1))
		if _, err := f.s.SubmitFilings(ctx, filer(t, f), []rules.Filing{a, child}, true); err != nil {
			t.Fatal(err)
		}
		unit := f.cert.ID
		got, err := models.DependentOfUnit(ctx, db, models.UnitScope(unit), unit, child.DependentID, testToday.AddDate(0, 0, 5))
		if err != nil || got == nil || got.InsuredID != a.InsuredID || got.Relation != "3" {
			t.Fatalf("DependentOfUnit = %+v, %v; want %s, 稱謂 3", got, err, a.InsuredID)
		}
		for name, tc := range map[string]struct {
			sc    models.Scope
			depID string
			on    time.Time
		}{
			"the insured is not a dependant": {models.UnitScope(unit), a.InsuredID, testToday},
			"before the coverage began":      {models.UnitScope(unit), child.DependentID, testToday.AddDate(0, 0, -2)},
			"another unit's scope":           {models.UnitScope(unit + 1000), child.DependentID, testToday},
			"nobody":                         {models.UnitScope(unit), "B299999999", testToday},
		} {
			if got, err := models.DependentOfUnit(ctx, db, tc.sc, unit, tc.depID, tc.on); err != nil || got != nil {
				t.Errorf("%s: DependentOfUnit = %+v, %v; want nothing", name, got, err)
			}
		}
	})
}
