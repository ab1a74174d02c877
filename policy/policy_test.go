package policy_test

import (
	"testing"

	"github.com/multicert/multicert/policy"
)

func TestAllowed(t *testing.T) {
	e := policy.MustNew()
	check := func(role, dom, odom, obj, act string, want bool) {
		t.Helper()
		if got := e.Allowed(role, dom, odom, obj, act); got != want {
			t.Errorf("Allowed(%q, %q, %q, %q, %q) = %v, want %v", role, dom, odom, obj, act, got, want)
		}
	}
	check("anonymous", "", "", "health", "read", true)
	check("anonymous", "", "", "unit", "read", false)
	check("staff", "branch:2", "branch:2", "unit", "read", true)
	check("staff", "branch:2", "branch:1", "unit", "read", false)
	check("staff", "*", "branch:1", "unit", "read", true)
	check("auditor", "branch:1", "branch:1", "unit", "read", true)
	check("unit_owner", "unit:100000001", "", "portal", "read", true)
	check("unit_owner", "unit:100000001", "branch:1", "unit", "read", false)
	check("clerk", "unit:100000001", "", "console", "read", false)
	check("staff", "branch:1", "", "portal", "read", false)
	check("nobody", "*", "", "unit", "read", false)
	check("staff", "branch:1", "", "unit", "delete", false)
}

func TestEveryRuleNamesAKnownRole(t *testing.T) {
	known := map[string]bool{"any": true, "anonymous": true, "staff": true, "supervisor": true, "auditor": true,
		"admin": true, "unit_owner": true, "clerk": true, "clerk_filer": true, "unit_manager": true}
	e := policy.MustNew()
	if len(e.Rules()) == 0 {
		t.Fatal("no policy rules loaded")
	}
	for _, r := range e.Rules() {
		if !known[r.Role] {
			t.Errorf("policy line %v names an unknown role", r)
		}
	}
}

// TestTableMatchesCasbin checks the decision table against Casbin's own
// evaluation of the model: every role, object, action and kind of domain.
func TestTableMatchesCasbin(t *testing.T) {
	e := policy.MustNew()
	roles := map[string]bool{"anonymous": true, "nobody": true}
	type objAct struct{ obj, act string }
	pairs := map[objAct]bool{{"unit", "nothing"}: true, {"nothing", "read"}: true}
	for _, r := range e.Rules() {
		roles[r.Role] = true
		pairs[objAct{r.Object, r.Action}] = true
	}
	doms := [][2]string{
		{"", ""}, {"*", ""}, {"*", "branch:1"}, {"*", "unit:100000001"},
		{"branch:1", ""}, {"branch:1", "branch:1"}, {"branch:1", "branch:2"}, {"branch:1", "unit:100000001"},
		{"unit:100000001", ""}, {"unit:100000001", "unit:100000001"}, {"unit:100000001", "unit:100000002"},
		{"", "unit:100000001"},
	}
	n := 0
	for role := range roles {
		for p := range pairs {
			for _, d := range doms {
				got, want := e.Allowed(role, d[0], d[1], p.obj, p.act), e.Casbin(role, d[0], d[1], p.obj, p.act)
				if got != want {
					t.Errorf("Allowed(%q, %q, %q, %q, %q) = %v, Casbin says %v", role, d[0], d[1], p.obj, p.act, got, want)
				}
				n++
			}
		}
	}
	if n < 1000 {
		t.Errorf("only %d combinations checked", n)
	}
}

func BenchmarkAllowed(b *testing.B) {
	e := policy.MustNew()
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			e.Allowed("staff", "branch:1", "branch:1", "unit", "read")
		}
	})
	b.Run("casbin", func(b *testing.B) {
		for b.Loop() {
			e.Casbin("staff", "branch:1", "branch:1", "unit", "read")
		}
	})
}
