package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestBranchAuditTotal: a branch's unfiltered audit log shows the count
// the triggers keep (migration 31); it must equal a real count of the
// branch's events (recorded for the branch, or about one of its units),
// whichever way the events were written (one by one, imported in bulk),
// and after a unit moved to another branch.
func TestBranchAuditTotal(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		e := newSupEnv(t, db)
		unit1, _ := e.unit("1")
		unit2, _ := e.unit("2")
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		// One by one: for a branch, about a unit only, about a unit of
		// another branch than the one recorded, about no branch at all.
		e.decide(at, e.staff("taipei.staff"), "unit.close", unit1, "1", nil)
		e.decide(at, e.staff("taipei.staff"), "unit.reopen", unit1, "", nil)
		e.decide(at, e.staff("north.staff"), "unit.close", unit1, "2", nil)
		e.decide(at, e.staff("hq.staff"), "unit.reopen", 0, "", nil)
		// In bulk, the same kinds.
		var entries []models.AuditEntry
		for i := range 30 {
			ch := models.Change{Action: "unit.login", ObjectType: "unit_account"}
			switch i % 4 {
			case 0:
				ch.UnitID, ch.Branch = unit2, "2"
			case 1:
				ch.UnitID = unit2
			case 2:
				ch.UnitID, ch.Branch = unit2, "3"
			default:
				ch.Action, ch.Branch = "staff.login", "1"
			}
			entries = append(entries, models.AuditEntry{At: at.Add(time.Duration(i) * time.Minute), Actor: e.staff("hq.staff"), Change: ch})
		}
		if err := e.store.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := models.ImportAuditEvents(ctx, tx, entries)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.verify()

		check := func(when string) {
			t.Helper()
			for _, b := range []string{"1", "2", "3", "4", "5", "6"} {
				sc := models.Scope{Branch: b}
				_, shown, err := models.SearchAuditEvents(ctx, db, sc, models.AuditFilter{})
				if err != nil {
					t.Fatal(err)
				}
				real, err := db.NewSelect().TableExpr("audit_events AS e").
					Where("e.branch_code = ? OR e.unit_id IN (SELECT id FROM units WHERE branch_code = ?)", b, b).Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if int64(shown) != real {
					t.Errorf("%s: branch %s shows %d events, counted %d", when, b, shown, real)
				}
				// A filtered search still counts (here: everything but one action).
				_, filtered, err := models.SearchAuditEvents(ctx, db, sc, models.AuditFilter{ActorKind: "staff"})
				if err != nil {
					t.Fatal(err)
				}
				if filtered > shown || (b == "1" && filtered == 0) {
					t.Errorf("%s: branch %s: %d staff events of %d", when, b, filtered, shown)
				}
			}
		}
		check("after writing")
		// A unit moves to another branch: its events follow it.
		if _, err := db.NewUpdate().Table("units").Set("branch_code = '4'").Where("id = ?", unit2).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("after unit 2 moved to branch 4")
		if _, err := db.NewUpdate().Table("units").Set("branch_code = '2'").Where("id = ?", unit2).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("after it moved back")
	})
}
