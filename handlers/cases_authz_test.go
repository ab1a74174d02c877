package handlers_test

import (
	"context"
	"testing"

	"github.com/multicert/multicert/models"
)

// caseFixture opens a case in 臺北 (own) and one in 北區 (other), for the
// :cid routes that act on one branch's case.
func caseFixture(t *testing.T, e *env, f fixture) {
	var cid [2]int64
	for k, who := range []struct {
		username string
		unit     int
	}{{"taipei.staff", ownUnit}, {"north.staff", otherUnit}} {
		c := e.openCase(who.username, models.CaseInput{UnitID: e.unitID(who.unit)})
		cid[k] = c.ID
	}
	f["cid"] = cid
}

// caseStaffActor is a demo staff member as the store sees them: the actor and
// the scope of their branch.
func (e *env) caseStaffActor(username string) (models.Actor, models.Scope) {
	e.t.Helper()
	var st models.Staff
	if err := e.db.NewSelect().Model(&st).Where("username = ?", username).Scan(context.Background()); err != nil {
		e.t.Fatalf("staff %s: %v", username, err)
	}
	a := models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role}
	if st.BranchCode != nil {
		a.Branch = *st.BranchCode
	}
	return a, models.BranchScope(st.BranchCode)
}

// openCase opens a case as username; empty caller fields get a default.
func (e *env) openCase(username string, in models.CaseInput) *models.Case {
	e.t.Helper()
	if in.CallerName == "" {
		in.CallerName = "測試來電者"
	}
	if in.CallerPhone == "" {
		in.CallerPhone = "(02)2523-2388"
	}
	if in.Topic == "" {
		in.Topic = "q5"
	}
	a, sc := e.caseStaffActor(username)
	c, err := e.store.OpenCase(context.Background(), a, sc, in)
	if err != nil {
		e.t.Fatalf("open case as %s: %v", username, err)
	}
	return c
}
