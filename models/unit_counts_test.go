package models_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// The unit counters kept by triggers agree with counting the rows, after
// seeding and after every kind of change, for head office and each branch.
func TestUnitCountsFollowChanges(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 40); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			scopes := []models.Scope{models.ScopeAll}
			for _, b := range models.BureauBranches {
				code := b.Code
				scopes = append(scopes, models.BranchScope(&code))
			}
			for _, sc := range scopes {
				got, err := models.CountUnits(ctx, db, sc)
				if err != nil {
					t.Fatal(err)
				}
				want, err := models.CountUnitsSlowly(ctx, db, sc)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s, scope %+v: counters %+v, rows %+v", when, sc, got, want)
				}
			}
		}
		check("after seeding")
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		code := demo.UnitCode(3)
		exec("UPDATE units SET status = 'closed' WHERE code = ?", code)
		check("after closing a unit")
		exec("UPDATE units SET branch_code = '6' WHERE code = ?", code)
		check("after moving a closed unit to another branch")
		exec("UPDATE unit_accounts SET status = 'deregistered', deregistered_at = ? WHERE unit_id = (SELECT id FROM units WHERE code = ?) AND status = 'active'",
			modelstest.Clock, demo.UnitCode(4))
		check("after a deregistration")
		exec("UPDATE units SET status = 'active' WHERE code = ?", code)
		check("after reopening")
		exec(`INSERT INTO units (code, ban, name, branch_code, status, status_reason, status_code, reg_county, reg_township, reg_village, reg_neighborhood, reg_street,
			mail_county, mail_township, mail_village, mail_neighborhood, mail_street, phone, fax, owner_name, email, version, created_at, updated_at)
			SELECT '299999999', ban, 'counted', '2', 'active', '', '', reg_county, reg_township, reg_village, reg_neighborhood, reg_street,
			mail_county, mail_township, mail_village, mail_neighborhood, mail_street, phone, fax, owner_name, '', 1, created_at, updated_at
			FROM units WHERE code = ?`, demo.UnitCode(1))
		check("after a new unit")
		exec("DELETE FROM units WHERE code = '299999999'")
		check("after deleting it")
	})
}
