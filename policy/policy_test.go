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
