package handlers_test

import (
	"context"
	"testing"

	"github.com/multicert/multicert/models"
)

func init() {
	for k, v := range map[string]access{
		"POST /console/units/:id/status":                            {roles: "staff,supervisor", scoped: true},
		"POST /console/units/:id/deregistrations":                   {roles: "staff,supervisor", scoped: true},
		"POST /console/units/:id/activation-codes":                  {roles: "staff,supervisor", scoped: true},
		"POST /console/units/:id/activation-codes/:cid/revoke":      {roles: "staff,supervisor", scoped: true},
		"POST /console/units/:id/handlers/:hid/nhi-password/revoke": {roles: "staff,supervisor", scoped: true},
		"GET /console/approvals":                                    {roles: "supervisor,auditor"},
		"POST /console/deregistrations/:gid/decision":               {roles: "supervisor", scoped: true},
		"GET /console/reviews":                                      {roles: "staff,supervisor,auditor"},
		"GET /console/reviews/:rid":                                 {roles: "staff,supervisor,auditor", scoped: true},
		"POST /console/reviews/:rid/decision":                       {roles: "staff,supervisor", scoped: true},
		"GET /console/documents/:did":                               {roles: "staff,supervisor,auditor", scoped: true},
	} {
		routeAccess[k] = v
	}
	// 開通碼 of the own and the other unit, to revoke.
	fixtureMakers = append(fixtureMakers, func(t *testing.T, e *env, f fixture) {
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
		f["cid"] = ids
	})
	// Deregistrations of demo units 2 (臺北) and 4 (北區), asked by each
	// branch's staff, so that the supervisors of the matrix may decide.
	fixtureMakers = append(fixtureMakers, func(t *testing.T, e *env, f fixture) {
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
	})
}
