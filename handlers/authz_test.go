package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

// access is what a route allows: the roles that may use it, and whether it
// acts on one unit (its :id), so that another branch's or unit's object
// must answer 404.
type access struct {
	roles  string // comma-separated; "any" for everyone including anonymous
	scoped bool
}

const (
	allStaff = "staff,supervisor,auditor,admin"
	allUnit  = "unit_owner,handler,handler_filer"
)

// routeAccess is the expected policy of every route, written out by hand:
// the test compares it with what the app does. A route missing here fails.
var routeAccess = map[string]access{
	"GET /healthz":                     {roles: "any"},
	"GET /readyz":                      {roles: "any"},
	"GET /static/:name":                {roles: "any"},
	"GET /":                            {roles: "any"},
	"GET /console/login":               {roles: "any"},
	"POST /console/login":              {roles: "any"},
	"POST /console/logout":             {roles: allStaff},
	"GET /console":                     {roles: allStaff},
	"GET /console/units":               {roles: allStaff},
	"GET /console/units/:id":           {roles: allStaff, scoped: true},
	"GET /login":                       {roles: "any"},
	"POST /login/nonce":                {roles: "any"},
	"POST /login/certificate":          {roles: "any"},
	"POST /login/nhi":                  {roles: "any"},
	"GET /register":                    {roles: "any"},
	"POST /register/certificate":       {roles: "any"},
	"POST /register/nhi":               {roles: "any"},
	"GET /nhi-register":                {roles: "any"},
	"POST /nhi-register":               {roles: "any"},
	"POST /nhi-register/reset":         {roles: "any"},
	"GET /environment":                 {roles: "any"},
	"GET /environment/downloads/:name": {roles: "any"},
	"GET /portal":                      {roles: allUnit},
	"POST /portal/logout":              {roles: allUnit},
}

// actor is a kind of user the matrix tries: a role, and for staff whether
// they sit in a branch (臺北) or at head office.
type actor struct {
	name, role string
	login      func(e *env) *client
}

var actors = []actor{
	{"anonymous", policy.Anonymous, func(e *env) *client {
		tok, sess, err := e.store.NewAnonymousSession(context.Background(), "", "")
		if err != nil {
			e.t.Fatal(err)
		}
		return &client{e: e, cookie: tok, csrf: sess.CSRFToken}
	}},
	{"staff@臺北", "staff", func(e *env) *client { return e.staffClient("taipei.staff") }},
	{"supervisor@臺北", "supervisor", func(e *env) *client { return e.staffClient("taipei.super") }},
	{"auditor@臺北", "auditor", func(e *env) *client { return e.staffClient("taipei.audit") }},
	{"staff@署本部", "staff", func(e *env) *client { return e.staffClient("hq.staff") }},
	{"auditor@署本部", "auditor", func(e *env) *client { return e.staffClient("hq.audit") }},
	{"admin@署本部", "admin", func(e *env) *client { return e.staffClient("hq.admin") }},
	{"unit_owner", "unit_owner", func(e *env) *client { return e.unitClient(0, models.RoleUnitOwner) }},
	{"handler", "handler", func(e *env) *client { return e.unitClient(0, models.RoleHandler) }},
	{"handler_filer", "handler_filer", func(e *env) *client { return e.unitClient(0, models.RoleHandlerFiler) }},
}

// TestRoutePolicy walks every registered route and tries it as every kind
// of user, on an object of their own branch or unit and on another's.
func TestRoutePolicy(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	enf := policy.MustNew()
	own, other := e.unitID(0), e.unitID(3) // 臺北 and 北區 units; demo unit 0 is the unit actors' own
	declared := map[string]bool{}
	for _, r := range e.srv.Routes() {
		declared[r.Method+" "+r.Path] = true
		if !enf.Granted(r.Guard.Object, r.Guard.Action) {
			t.Errorf("route %s %s: guard %s/%s has no policy line", r.Method, r.Path, r.Guard.Object, r.Guard.Action)
		}
	}
	seen := map[string]bool{}
	for _, rt := range e.app.GetRoutes(true) {
		if rt.Method == http.MethodHead || rt.Path == "/" && rt.Method != http.MethodGet {
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
		for _, a := range actors {
			allowed := want.roles == "any" || strings.Contains(","+want.roles+",", ","+a.role+",")
			targets := []struct {
				name string
				id   int64
			}{{"own", own}}
			if want.scoped {
				targets = append(targets, struct {
					name string
					id   int64
				}{"other", other})
			}
			for _, tg := range targets {
				t.Run(key+"/"+a.name+"/"+tg.name, func(t *testing.T) {
					c := a.login(e)
					path := routePath(rt.Path, tg.id)
					req := httptest.NewRequest(rt.Method, path, strings.NewReader(url.Values{"_csrf": {c.csrf}}.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("HX-Request", "true")
					res := c.do(req)
					got := res.StatusCode
					headOffice := strings.HasSuffix(a.name, "署本部")
					switch {
					case !allowed && a.role == policy.Anonymous:
						if got != http.StatusUnauthorized {
							t.Errorf("status %d, want 401", got)
						}
					case !allowed:
						if got != http.StatusForbidden {
							t.Errorf("status %d, want 403", got)
						}
					case tg.name == "other" && !headOffice:
						if got != http.StatusNotFound {
							t.Errorf("status %d, want 404 (another branch's or unit's object)", got)
						}
					default:
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
