package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestWorkCounts: the 工作台's counts, pending reviews and approvals from
// the counters kept by triggers (migration 33), equal a count of the rows
// for head office and every branch, after the demo's year of work, after
// requests are cancelled and reopened, deregistrations decided and
// reopened, a pending request deleted, and a unit with pending items
// moved to another branch and back.
func TestWorkCounts(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 600); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.SeedWork(ctx, s, 2000); err != nil {
			t.Fatal(err)
		}
		scopes := []models.Scope{models.ScopeAll}
		for _, b := range []string{"1", "2", "3", "4", "5", "6"} {
			scopes = append(scopes, models.Scope{Branch: b})
		}
		check := func(when string) {
			t.Helper()
			for _, sc := range scopes {
				got, err := models.CountWork(ctx, db, sc)
				if err != nil {
					t.Fatal(err)
				}
				want, err := models.CountWorkSlowly(ctx, db, sc)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s: scope %+v: CountWork = %+v, counted %+v", when, sc, got, want)
				}
				_, total, err := models.ReviewQueue(ctx, db, sc, 1)
				if err != nil || total != want.Reviews {
					t.Errorf("%s: scope %+v: review queue total %d (%v), counted %d", when, sc, total, err, want.Reviews)
				}
				_, total, err = models.DeregistrationQueue(ctx, db, sc, 1)
				if err != nil || total != want.Approvals {
					t.Errorf("%s: scope %+v: approval queue total %d (%v), counted %d", when, sc, total, err, want.Approvals)
				}
			}
		}
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, query, args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		check("after the demo's work")
		all, err := models.CountWork(ctx, db, models.ScopeAll)
		if err != nil {
			t.Fatal(err)
		}
		if all.Reviews < 3 || all.Approvals < 1 {
			t.Fatalf("the demo left %+v pending, want some reviews and approvals", all)
		}

		var reqs []struct {
			ID     int64 `bun:"id"`
			UnitID int64 `bun:"unit_id"`
		}
		if err := db.NewSelect().Table("change_requests").Column("id", "unit_id").Where("status = 'pending'").
			Order("id").Limit(3).Scan(ctx, &reqs); err != nil || len(reqs) < 3 {
			t.Fatalf("pending requests: %v, %d", err, len(reqs))
		}
		exec("UPDATE change_requests SET status = 'cancelled', cancelled_at = submitted_at WHERE id IN (?, ?)", reqs[0].ID, reqs[1].ID)
		check("after two requests were cancelled")
		exec("UPDATE change_requests SET status = 'pending', cancelled_at = NULL WHERE id = ?", reqs[0].ID)
		check("after one was pending again")

		var dereg struct {
			ID          int64 `bun:"id"`
			RequestedBy int64 `bun:"requested_by"`
		}
		if err := db.NewSelect().Table("deregistrations").Column("id", "requested_by").Where("status = 'pending'").
			Order("id").Limit(1).Scan(ctx, &dereg); err != nil {
			t.Fatal(err)
		}
		exec("UPDATE deregistrations SET status = 'rejected', decided_at = requested_at, "+
			"decided_by = (SELECT MIN(id) FROM staff WHERE id <> ?) WHERE id = ?", dereg.RequestedBy, dereg.ID)
		check("after a deregistration was rejected")
		exec("UPDATE deregistrations SET status = 'pending', decided_at = NULL, decided_by = NULL WHERE id = ?", dereg.ID)
		check("after it was pending again")

		// A unit with a pending request (and, if it has one, a pending
		// deregistration) moves to another branch, and back.
		var branch string
		if err := db.NewSelect().Table("units").Column("branch_code").Where("id = ?", reqs[2].UnitID).Scan(ctx, &branch); err != nil {
			t.Fatal(err)
		}
		other := "6"
		if branch == other {
			other = "5"
		}
		exec("UPDATE units SET branch_code = ? WHERE id = ?", other, reqs[2].UnitID)
		check(fmt.Sprintf("after the unit moved from branch %s to %s", branch, other))
		exec("UPDATE units SET branch_code = ? WHERE id = ?", branch, reqs[2].UnitID)
		check("after it moved back")

		exec("DELETE FROM change_documents WHERE request_id = ?", reqs[2].ID)
		exec("DELETE FROM change_requests WHERE id = ?", reqs[2].ID)
		check("after a pending request was deleted")
	})
}
