package handlers_test

import (
	"context"
	"testing"

	"github.com/multicert/multicert/models"
)

// unitCodeFixture issues a 開通碼 to the own and the other unit, to revoke.
func unitCodeFixture(t *testing.T, e *env, f fixture) {
	var ids [2]int64
	for k, unit := range []int{ownUnit, otherUnit} {
		if _, err := e.store.IssueUnitCode(context.Background(), models.Actor{Kind: "staff", Name: "fixture"}, models.ScopeAll, e.unitID(unit)); err != nil {
			t.Fatal(err)
		}
		cs, err := models.CodesOfUnit(context.Background(), e.db, models.ScopeAll, e.unitID(unit), 1)
		if err != nil || len(cs) != 1 {
			t.Fatalf("codes of unit %d: %v %v", unit, cs, err)
		}
		ids[k] = cs[0].ID
	}
	f["acid"] = ids
}

// deregistrationFixture asks deregistrations of demo units 2 (臺北) and 4
// (北區) as each branch's staff, so that the supervisors of the matrix may
// decide.
func deregistrationFixture(t *testing.T, e *env, f fixture) {
	var ids [2]int64
	for k, x := range []struct {
		unit     int
		username string
	}{{2, "taipei.staff"}, {4, "north.staff"}} {
		var st models.Staff
		if err := e.db.NewSelect().Model(&st).Where("username = ?", x.username).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		d, err := e.store.RequestDeregistration(context.Background(), models.Actor{Kind: "staff", ID: st.ID, Name: st.Username},
			models.ScopeAll, e.unitID(x.unit), "fixture")
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = d.ID
	}
	f["gid"] = ids
}
