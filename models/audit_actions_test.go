package models

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// legacyAuditActions are registered for events written by earlier versions:
// no code writes them any more.
var legacyAuditActions = map[string]bool{"unit.locked": true}

// reActionCode is the shape of an action code: object, dot, verb.
var reActionCode = regexp.MustCompile(`^[a-z][a-z_]*\.[a-z][a-z_]*$`)

// sqlBuilders are query-builder methods whose string arguments are SQL
// (table.column), not actions.
var sqlBuilders = map[string]bool{
	"Where": true, "WhereOr": true, "Order": true, "OrderExpr": true, "Column": true, "ColumnExpr": true,
	"Join": true, "Set": true, "Table": true, "TableExpr": true, "Group": true, "GroupExpr": true,
	"ModelTableExpr": true, "NewRaw": true, "Exec": true, "ExecContext": true, "QueryContext": true,
	"ofUnits": true, "units": true, // Scope: the column to restrict
}

// writtenAction is an action code found in source, and where.
type writtenAction struct {
	code string
	pos  string
}

// scanAuditActions finds the action codes a Go file writes. Anywhere, the
// Action of a Change literal and assignments to an Action field; in package
// models (generic true) also every string shaped like an action whose
// object is one the registry knows (so "unit.vanish" but not
// "u.branch_code"), outside SQL builder calls: that catches codes held in
// variables and parameters (action := "unit.close", certLoginTx(…,
// "unit.login_failed", …), return "nhi.register").
func scanAuditActions(fset *token.FileSet, f *ast.File, generic bool, objects map[string]bool) []writtenAction {
	var out []writtenAction
	add := func(e ast.Expr) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return
		}
		if s, err := strconv.Unquote(lit.Value); err == nil {
			out = append(out, writtenAction{s, fset.Position(lit.Pos()).String()})
		}
	}
	sqlArg := map[*ast.BasicLit]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if isChangeType(n.Type) {
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Action" {
							add(kv.Value)
						}
					}
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Action" && i < len(n.Rhs) {
					add(n.Rhs[i])
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sqlBuilders[sel.Sel.Name] {
				for _, a := range n.Args {
					if lit, ok := a.(*ast.BasicLit); ok {
						sqlArg[lit] = true
					}
				}
			}
		}
		return true
	})
	if !generic {
		return out
	}
	// In models every action-shaped literal counts, the Change fields
	// included: keep one entry per position.
	out = out[:0]
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING || sqlArg[lit] {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil || !reActionCode.MatchString(s) || !objects[s[:strings.IndexByte(s, '.')]] {
			return true
		}
		out = append(out, writtenAction{s, fset.Position(lit.Pos()).String()})
		return true
	})
	return out
}

func isChangeType(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name == "Change"
	case *ast.SelectorExpr:
		return t.Sel.Name == "Change"
	}
	return false
}

// actionObjects are the objects (the part before the dot) of the registered
// codes.
func actionObjects() map[string]bool {
	m := map[string]bool{}
	for _, a := range auditActions {
		m[a.Code[:strings.IndexByte(a.Code, '.')]] = true
	}
	return m
}

// TestAuditActionsRegistered fails when code writes an audit action that
// the registry lacks, or the registry keeps one that nothing writes. It
// reads the module's source: package models in full, other packages'
// Change literals. audit() refuses an unregistered action at run time too,
// which covers codes built at run time (a.Kind + ".logout").
func TestAuditActionsRegistered(t *testing.T) {
	t.Parallel()
	objects := actionObjects()
	written := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		generic := filepath.Dir(path) == filepath.Join("..", "models")
		for _, w := range scanAuditActions(fset, f, generic, objects) {
			written[w.code] = true
			if _, ok := AuditActionOf(w.code); !ok {
				t.Errorf("%s: audit action %q is not in the registry (models/audit_actions.go): add it with its label", w.pos, w.code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) < 40 {
		t.Fatalf("found only %d written actions: the scan is broken", len(written))
	}
	for _, a := range auditActions {
		switch {
		case a.Label == "" || a.Object == "":
			t.Errorf("audit action %s: label %q, object %q: both are needed", a.Code, a.Label, a.Object)
		case a.Decision && a.Short == "":
			t.Errorf("decision %s has no short name for the statistics' columns", a.Code)
		case !reActionCode.MatchString(a.Code):
			t.Errorf("audit action %q is not shaped object.verb", a.Code)
		case !written[a.Code] && !legacyAuditActions[a.Code]:
			t.Errorf("audit action %s is registered but nothing writes it: remove it, or list it in legacyAuditActions", a.Code)
		}
	}
}

// TestScanAuditActions shows that the registry test can fail: the scan
// reports each way models write an unregistered action.
func TestScanAuditActions(t *testing.T) {
	t.Parallel()
	const src = `package models

func f(ctx any, a Actor, approve bool) error {
	_ = audit(ctx, nil, now, a, Change{Action: "unit.vanish", ObjectType: "unit"})
	action := "unit.close"
	if approve {
		action = "unit.teleport"
	}
	ch := Change{}
	ch.Action, ch.Reason = "case.forget", ""
	q.Where("unit.branch_code = ?", 1).Order("deregistration.requested_at")
	_ = "u.branch_code"
	return s.certLoginTx(ctx, in, "clerk.levitate")
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "fixture.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var unknown []string
	for _, w := range scanAuditActions(fset, f, true, actionObjects()) {
		if _, ok := AuditActionOf(w.code); !ok {
			unknown = append(unknown, w.code)
		}
	}
	sort.Strings(unknown)
	want := "case.forget clerk.levitate unit.teleport unit.vanish"
	if got := strings.Join(unknown, " "); got != want {
		t.Errorf("unregistered actions found: %q, want %q", got, want)
	}
	// Outside models only Change literals and Action fields count.
	var other []string
	for _, w := range scanAuditActions(fset, f, false, actionObjects()) {
		other = append(other, w.code)
	}
	sort.Strings(other)
	if got, want := strings.Join(other, " "), "case.forget unit.vanish"; got != want {
		t.Errorf("outside models found %q, want %q", got, want)
	}
}

func TestDecisionActions(t *testing.T) {
	t.Parallel()
	want := "change_request.approve change_request.reject unit.close unit.reopen " +
		"deregistration.request deregistration.approve deregistration.reject case.resolve"
	if got := strings.Join(DecisionActions, " "); got != want {
		t.Errorf("DecisionActions = %s, want %s (the statistics' columns, in order)", got, want)
	}
}

// TestAuditActionFormerCodes: events written before a rename keep their
// code; they show the action's label and a search for the action finds
// them.
func TestAuditActionFormerCodes(t *testing.T) {
	t.Parallel()
	if got := AuditActionLabel("handler.add"); got != "新增承辦人" {
		t.Errorf("label of a former code = %q", got)
	}
	if got := strings.Join(auditActionCodes("clerk.add"), ","); got != "clerk.add,handler.add" {
		t.Errorf("codes searched for clerk.add = %s", got)
	}
	if got := strings.Join(auditActionCodes("handler.add"), ","); got != "handler.add" {
		t.Errorf("codes searched for a former code = %s, want only itself", got)
	}
}
