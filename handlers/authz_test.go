package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

// access is what a route allows: the roles that may use it, and whether it
// acts on one object of a unit (its :id, :hid, :rid or :did), so that
// another branch's or unit's object must answer 404.
type access struct {
	roles  string // comma-separated; "any" for everyone including anonymous
	scoped bool
}

const (
	allStaff = "staff,supervisor,auditor,admin"
	allUnit  = "unit_owner,clerk,clerk_filer"
	managers = "unit_owner,unit_manager"
)

// routeAccess is the expected policy of every route, written out by hand and
// grouped as in routes.go: the test compares it with what the app does. A
// route missing here fails.
var routeAccess = map[string]access{
	// Health checks and static files.
	"GET /healthz":      {roles: "any"},
	"GET /readyz":       {roles: "any"},
	"GET /metrics":      {roles: "any"}, // from the test's metrics network; others get 404 (TestMetrics)
	"GET /static/:name": {roles: "any"},
	"GET /":             {roles: "any"},

	// Staff login and logout.
	"GET /console/login":    {roles: "any"},
	"POST /console/login":   {roles: "any"},
	"POST /console/logout":  {roles: allStaff},
	"POST /console/session": {roles: allStaff},

	// Console units.
	"GET /console":                                              {roles: allStaff},
	"GET /console/work":                                         {roles: allStaff},
	"GET /console/units":                                        {roles: allStaff},
	"GET /console/units/:id":                                    {roles: allStaff, scoped: true},
	"GET /console/units/:id/roster":                             {roles: "staff,supervisor,auditor", scoped: true},
	"POST /console/units/:id/status":                            {roles: "staff,supervisor", scoped: true},
	"POST /console/units/:id/cert-ids":                          {roles: "staff,supervisor", scoped: true},
	"POST /console/units/:id/activation-codes":                  {roles: "staff,supervisor", scoped: true},
	"POST /console/units/:id/activation-codes/:acid/revoke":     {roles: "staff,supervisor", scoped: true},
	"POST /console/units/:id/handlers/:hid/nhi-password/revoke": {roles: "staff,supervisor", scoped: true},

	// Console decisions.
	"POST /console/units/:id/deregistrations":     {roles: "staff,supervisor", scoped: true},
	"GET /console/approvals":                      {roles: "supervisor,auditor"},
	"POST /console/deregistrations/:gid/decision": {roles: "supervisor", scoped: true},

	// Cases: staff and supervisors work on them, auditors and admins look.
	"GET /console/cases":              {roles: allStaff},
	"GET /console/cases/new":          {roles: "staff,supervisor"},
	"POST /console/cases":             {roles: "staff,supervisor"},
	"GET /console/cases/:cid":         {roles: allStaff, scoped: true},
	"POST /console/cases/:cid/notes":  {roles: "staff,supervisor", scoped: true},
	"POST /console/cases/:cid/status": {roles: "staff,supervisor", scoped: true},
	"POST /console/cases/:cid/assign": {roles: "staff,supervisor", scoped: true},

	// 公告欄: staff and supervisors publish for their branch, head office for all.
	"GET /console/announcements":                {roles: "staff,supervisor"},
	"GET /console/announcements/new":            {roles: "staff,supervisor"},
	"POST /console/announcements":               {roles: "staff,supervisor"},
	"GET /console/announcements/:aid":           {roles: "staff,supervisor", scoped: true},
	"POST /console/announcements/:aid":          {roles: "staff,supervisor", scoped: true},
	"POST /console/announcements/:aid/withdraw": {roles: "staff,supervisor", scoped: true},

	// Reviews of change requests.
	"GET /console/reviews":                {roles: "staff,supervisor,auditor"},
	"GET /console/reviews/:rid":           {roles: "staff,supervisor,auditor", scoped: true},
	"POST /console/reviews/:rid/decision": {roles: "staff,supervisor", scoped: true},
	"GET /console/documents/:did":         {roles: "staff,supervisor,auditor", scoped: true},

	// Audit log.
	"GET /console/audit":         {roles: "supervisor,auditor,admin"},
	"POST /console/audit/export": {roles: "supervisor,auditor"},
	"GET /console/audit/:eid":    {roles: "supervisor,auditor,admin", scoped: true},

	// Decision statistics and samples.
	"GET /console/stats":                            {roles: "supervisor,auditor"},
	"GET /console/samples":                          {roles: "supervisor,auditor"},
	"POST /console/samples":                         {roles: "supervisor"},
	"GET /console/samples/:sid":                     {roles: "supervisor,auditor", scoped: true},
	"POST /console/samples/:sid/items/:iid/verdict": {roles: "supervisor", scoped: true},

	// Admin: reference data and the nightly batch.
	"GET /console/error-codes":        {roles: allStaff},
	"POST /console/error-codes/:code": {roles: "admin"},
	"GET /console/grades":             {roles: allStaff},
	"POST /console/grades":            {roles: "admin"},
	"POST /console/nightly":           {roles: "admin"},
	"GET /console/nightly":            {roles: "admin"},

	// Staff accounts and one's own password.
	"GET /console/staff":                 {roles: "admin"},
	"POST /console/staff":                {roles: "admin"},
	"POST /console/staff/:stid/role":     {roles: "admin", scoped: true},
	"POST /console/staff/:stid/status":   {roles: "admin", scoped: true},
	"POST /console/staff/:stid/password": {roles: "admin", scoped: true},
	"GET /console/password":              {roles: allStaff},
	"POST /console/password":             {roles: allStaff},

	// Unit login, registration, NHI registration, 環境說明.
	"GET /login":                       {roles: "any"},
	"POST /login/nonce":                {roles: "any"},
	"POST /login/certificate":          {roles: "any"},
	"POST /login/nhi":                  {roles: "any"},
	"GET /register":                    {roles: "any"},
	"POST /register/certificate":       {roles: "any"},
	"POST /register/nhi/code":          {roles: "any"},
	"POST /register/nhi":               {roles: "any"},
	"GET /nhi-register":                {roles: "any"},
	"POST /nhi-register/code":          {roles: "any"},
	"POST /nhi-register/confirm":       {roles: "any"},
	"GET /environment":                 {roles: "any"},
	"GET /environment/downloads/:name": {roles: "any"},
	"GET /services":                    {roles: "any"},
	"GET /announcements":               {roles: "any"},
	"GET /login/units":                 {roles: "any"}, // the choice after a login that matched several units
	"POST /login/units":                {roles: "any"},

	// Unit portal.
	"GET /portal":                       {roles: allUnit},
	"POST /portal/logout":               {roles: allUnit},
	"POST /portal/session":              {roles: allUnit},
	"GET /portal/units":                 {roles: "clerk,clerk_filer"},
	"POST /portal/units/:id":            {roles: "clerk,clerk_filer", scoped: true}, // another unit: 404 unless it assigned the clerk
	"GET /portal/handlers":              {roles: managers},
	"POST /portal/handlers":             {roles: managers},
	"POST /portal/handlers/:hid/revoke": {roles: managers, scoped: true},
	"GET /portal/certificate":           {roles: managers},
	"POST /portal/certificate":          {roles: managers},
	"GET /portal/unit":                  {roles: allUnit},
	"POST /portal/unit/labor-insurance": {roles: managers},
	"GET /portal/unit/contact":          {roles: allUnit},
	"POST /portal/unit/contact":         {roles: managers},
	"GET /portal/requests":              {roles: managers},
	"POST /portal/requests":             {roles: managers},
	"GET /portal/requests/:rid":         {roles: managers, scoped: true},
	"POST /portal/requests/:rid/cancel": {roles: managers, scoped: true},
	"GET /portal/documents/:did":        {roles: managers, scoped: true},

	// Filings.
	"GET /portal/filings/new":             {roles: "clerk_filer"},
	"POST /portal/filings/check":          {roles: "clerk_filer"},
	"POST /portal/filings":                {roles: "clerk_filer"},
	"GET /portal/filings/upload":          {roles: "clerk_filer"},
	"POST /portal/filings/upload":         {roles: "clerk_filer"},
	"GET /portal/filings/template.csv":    {roles: "clerk_filer"},
	"POST /portal/filings/upload/confirm": {roles: "clerk_filer"},
	"GET /portal/filings/template.xlsx":   {roles: "clerk_filer"},
	"GET /portal/filings":                 {roles: allUnit},
	"GET /portal/filings/export":          {roles: allUnit},
	"GET /portal/filings/:fid/correct":    {roles: "clerk_filer", scoped: true},
	"POST /portal/filings/:fid/correct":   {roles: "clerk_filer", scoped: true},
	"POST /portal/filings/:fid/withdraw":  {roles: "clerk_filer", scoped: true},
	"GET /portal/roster":                  {roles: allUnit},
	"GET /portal/roster/export":           {roles: allUnit},
	"GET /portal/error-codes":             {roles: allUnit},

	// Printing.
	"GET /portal/print":  {roles: allUnit},
	"POST /portal/print": {roles: allUnit},

	// Address cascades.
	"GET /address/townships": {roles: "any"},
	"GET /address/villages":  {roles: "any"},

	// The demo-only /demo/mailbox is not registered in the test server.
}

// Demo units of the matrix: ownUnit (臺北) is the unit actors' own and the
// branch actors' own; otherUnit is a 北區 unit.
const (
	ownUnit   = 1
	otherUnit = 3
)

// actor is a kind of user the matrix tries: their roles, and for staff
// whether they sit in a branch (臺北) or at head office.
type actor struct {
	name  string
	roles []string
	login func(e *env) *client
}

var actors = []actor{
	{"anonymous", []string{policy.Anonymous}, func(e *env) *client {
		tok, sess, err := e.store.NewAnonymousSession(context.Background(), "", "")
		if err != nil {
			e.t.Fatal(err)
		}
		return &client{e: e, cookie: tok, csrf: sess.CSRFToken}
	}},
	{"staff@臺北", []string{"staff"}, func(e *env) *client { return e.staffClient("taipei.staff") }},
	{"supervisor@臺北", []string{"supervisor"}, func(e *env) *client { return e.staffClient("taipei.super") }},
	{"auditor@臺北", []string{"auditor"}, func(e *env) *client { return e.staffClient("taipei.audit") }},
	{"staff@署本部", []string{"staff"}, func(e *env) *client { return e.staffClient("hq.staff") }},
	{"auditor@署本部", []string{"auditor"}, func(e *env) *client { return e.staffClient("hq.audit") }},
	{"admin@署本部", []string{"admin"}, func(e *env) *client { return e.staffClient("hq.admin") }},
	{"unit_owner", []string{"unit_owner"}, func(e *env) *client { return e.unitClient(ownUnit, models.RoleUnitOwner) }},
	{"clerk", []string{"clerk"}, func(e *env) *client { return e.unitClient(ownUnit, models.RoleClerk) }},
	{"clerk_filer", []string{"clerk_filer"}, func(e *env) *client { return e.unitClient(ownUnit, models.RoleClerkFiler) }},
	{"clerk+unit_manager", []string{"clerk", "unit_manager"}, func(e *env) *client { return e.unitClient(ownUnit, models.RoleUnitManager) }},
	// A clerk assigned by both units, acting for the own one: the other
	// unit's objects are as foreign to them as to anyone of the own unit.
	{twoUnits, []string{"clerk_filer"}, func(e *env) *client { return e.clerkOfTwoUnits(ownUnit, otherUnit) }},
}

// twoUnits names the actor assigned by both units of the matrix.
const twoUnits = "clerk_filer of two units"

// fixture holds, for each route parameter, an object of the own unit and
// one of the other unit.
type fixture map[string][2]int64

// fixtureMakers add objects for the scoped routes of other areas: each
// sets f[param] = {object of the own unit or branch, object of the other}.
// They are kept next to their area's tests and run in this order.
var fixtureMakers = []func(t *testing.T, e *env, f fixture){
	auditFixture,
	caseFixture,
	unitCodeFixture,
	deregistrationFixture,
	staffFixture,
	announcementFixture,
	filingFixture,
}

// newFixture makes the objects the scoped routes act on: a clerk to
// revoke and a change request with a document, in each of the two units.
func newFixture(t *testing.T, e *env) fixture {
	ctx := context.Background()
	f := fixture{"id": {e.unitID(ownUnit), e.unitID(otherUnit)}}
	var hid, rid, did [2]int64
	for k, i := range []int{ownUnit, otherUnit} {
		unitID := e.unitID(i)
		a := models.Actor{Kind: "unit", Name: "fixture", UnitID: unitID}
		idNo := twid.MakeNationalID('F', 1, 1234567)
		h, err := e.store.AddClerk(ctx, a, unitID, models.ClerkInput{CardType: models.CardNHI, CardSerial: "000011112222",
			CardID: idNo, IDNo: idNo, Name: "受測承辦人", Email: "target@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		req, err := e.store.SubmitChangeRequest(ctx, a, unitID, models.ChangeRequestInput{ChangeName: true, NewName: "新名稱有限公司",
			EffectiveDate: modelstest.Clock.AddDate(0, 0, 10), ContactName: "聯絡人", ContactPhone: "(02)2345-6789",
			Documents: []models.Upload{{FileName: "proof.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 test")}}})
		if err != nil {
			t.Fatal(err)
		}
		hid[k], rid[k], did[k] = h.ID, req.ID, req.Documents[0].ID
	}
	f["hid"], f["rid"], f["did"] = hid, rid, did
	for _, mk := range fixtureMakers {
		mk(t, e, f)
	}
	return f
}

// fill puts the fixture's objects (own: 0, other: 1) into a route path.
func (f fixture) fill(path string, which int) string {
	for p, ids := range f {
		if p != "id" {
			path = replaceParam(path, p, fmtID(ids[which]))
		}
	}
	return routePath(path, f["id"][which])
}

// replaceParam replaces the route parameter :name (a whole segment).
func replaceParam(path, name, value string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == ":"+name {
			segs[i] = value
		}
	}
	return strings.Join(segs, "/")
}

// scopedParam reports whether a route path acts on one object.
func scopedParam(path string) bool {
	for _, s := range strings.Split(path, "/") {
		if strings.HasPrefix(s, ":") && s != ":name" && s != ":code" { // names of public things, not objects of a unit
			return true
		}
	}
	return false
}

// TestRoutePolicy walks every registered route and tries it as every kind
// of user, on an object of their own branch or unit and on another's.
func TestRoutePolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	fx := newFixture(t, e)
	enf := policy.MustNew()
	declared := map[string]bool{}
	for _, r := range e.srv.Routes() {
		declared[r.Method+" "+r.Path] = true
		if !enf.Granted(r.Guard.Object, r.Guard.Action) {
			t.Errorf("route %s %s: guard %s/%s has no policy line", r.Method, r.Path, r.Guard.Object, r.Guard.Action)
		}
	}
	seen := map[string]bool{}
	for _, rt := range e.app.GetRoutes(true) {
		if rt.Method == http.MethodHead {
			continue
		}
		key := rt.Method + " " + rt.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		want, ok := routeAccess[key]
		if !ok {
			t.Errorf("route %s is registered but has no expected policy in routeAccess: add it (and a policy line)", key)
			continue
		}
		if !declared[key] {
			t.Errorf("route %s is registered outside the route table, without a guard", key)
			continue
		}
		if want.scoped != scopedParam(rt.Path) {
			t.Errorf("route %s: scoped is %v in routeAccess but the path says otherwise", key, want.scoped)
		}
		for _, a := range actors {
			allowed := want.roles == "any"
			for _, r := range a.roles {
				allowed = allowed || strings.Contains(","+want.roles+",", ","+r+",")
			}
			targets := []int{0}
			if want.scoped {
				targets = append(targets, 1)
			}
			for _, which := range targets {
				name := key + "/" + a.name + "/" + []string{"own", "other"}[which]
				t.Run(name, func(t *testing.T) {
					c := a.login(e)
					req := httptest.NewRequest(rt.Method, fx.fill(rt.Path, which), strings.NewReader(url.Values{"_csrf": {c.csrf}}.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("HX-Request", "true")
					res := c.do(req)
					got := res.StatusCode
					headOffice := strings.HasSuffix(a.name, "署本部")
					switch {
					case !allowed && a.roles[0] == policy.Anonymous:
						if got != http.StatusUnauthorized {
							t.Errorf("status %d, want 401", got)
						}
					case !allowed:
						if got != http.StatusForbidden {
							t.Errorf("status %d, want 403", got)
						}
					case which == 1 && a.name == twoUnits && key == "POST /portal/units/:id":
						// The one route where the other unit is theirs: the switch.
						if got != http.StatusNoContent {
							t.Errorf("status %d, want the switch to the other unit that assigned them\n%s", got, res.body)
						}
					case which == 1 && !headOffice:
						if got != http.StatusNotFound {
							t.Errorf("status %d, want 404 (another branch's or unit's object)", got)
						}
					default:
						// Allowed: anything but a refusal. An action repeated by
						// the next actor may answer 409 (already done).
						if got == http.StatusUnauthorized || got == http.StatusForbidden || got == http.StatusNotFound || got >= 500 {
							t.Errorf("status %d, want access\n%s", got, res.body)
						}
					}
				})
			}
		}
	}
	for key := range routeAccess {
		if !seen[key] {
			t.Errorf("routeAccess lists %s, which is not registered", key)
		}
	}
}
