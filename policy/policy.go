// Package policy decides who may do what: a Casbin model and policy,
// embedded in the binary, and the Fiber middleware that applies them to
// every route. The middleware denies by default: a route without a guard,
// or a guard without a matching policy line, is refused.
package policy

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"
)

//go:embed model.conf
var modelConf string

// policyFiles are the policy lines: policy.csv, and one file per feature
// area (cases.csv, audit.csv, …) so that areas grow without conflicts.
//
//go:embed *.csv
var policyFiles embed.FS

// Anonymous is the role of a visitor who has not logged in.
const Anonymous = "anonymous"

// HeadOffice is the domain of head-office staff: every branch and unit.
const HeadOffice = "*"

// Enforcer answers authorization questions. Its policy is read-only after
// New and it keeps its answers as they are asked: it is safe for
// concurrent use.
type Enforcer struct {
	e *casbin.Enforcer
	// grants keeps Casbin's answer per role, object and action, asked
	// with no object domain, as it is first needed. Casbin evaluates the
	// matcher against every policy line per question (~90 µs with 230
	// lines), and a page asks a dozen (the route, the menus); the table
	// answers in a map lookup, and sameDomain applies the matcher's domain
	// rule. TestTableMatchesCasbin compares both on every combination.
	mu     sync.RWMutex
	grants map[grant]bool
}

type grant struct{ role, obj, act string }

// New loads the embedded model and policy.
func New() (*Enforcer, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("policy: model: %w", err)
	}
	var lines []string
	files, err := fs.Glob(policyFiles, "*.csv")
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := policyFiles.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	e, err := casbin.NewEnforcer(m, stringadapter.NewAdapter(strings.Join(lines, "\n")))
	if err != nil {
		return nil, fmt.Errorf("policy: enforcer: %w", err)
	}
	return &Enforcer{e: e, grants: map[grant]bool{}}, nil
}

// MustNew is New for program start and tests.
func MustNew() *Enforcer {
	e, err := New()
	if err != nil {
		panic(err)
	}
	return e
}

// Allowed reports whether a user with role and domain dom may act on obj
// whose domain is odom ("" when the object has none).
func (e *Enforcer) Allowed(role, dom, odom, obj, act string) bool {
	return e.granted(role, obj, act) && sameDomain(dom, odom)
}

// granted is Casbin's answer for an object without a domain, kept.
func (e *Enforcer) granted(role, obj, act string) bool {
	k := grant{role, obj, act}
	e.mu.RLock()
	ok, known := e.grants[k]
	e.mu.RUnlock()
	if known {
		return ok
	}
	ok = e.Casbin(role, "", "", obj, act)
	e.mu.Lock()
	e.grants[k] = ok
	e.mu.Unlock()
	return ok
}

// sameDomain is the matcher's domain rule, the same for every line: an
// object without a domain, a head-office user, or the user's own domain.
func sameDomain(dom, odom string) bool { return odom == "" || dom == HeadOffice || dom == odom }

// Casbin asks Casbin itself, line by line: what Allowed answers from its
// table (tests compare the two).
func (e *Enforcer) Casbin(role, dom, odom, obj, act string) bool {
	ok, err := e.e.Enforce(role, dom, odom, obj, act)
	return err == nil && ok
}

// Rule is one policy line.
type Rule struct{ Role, Object, Action string }

// Rules lists the policy lines, in file order.
func (e *Enforcer) Rules() []Rule {
	ps, _ := e.e.GetPolicy()
	out := make([]Rule, 0, len(ps))
	for _, p := range ps {
		out = append(out, Rule{Role: p[0], Object: p[1], Action: p[2]})
	}
	return out
}

// Granted reports whether any policy line names obj and act: a guard that
// no line grants is a mistake in the route table.
func (e *Enforcer) Granted(obj, act string) bool {
	for _, r := range e.Rules() {
		if r.Object == obj && r.Action == act {
			return true
		}
	}
	return false
}
