package models

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/uptrace/bun"
)

// UnitFilter is a unit search from the console.
type UnitFilter struct {
	Q        string // unit code, 統一編號, clerk ID number, or part of the name
	Branch   string // only this branch (head office narrowing down); "" for all in scope
	Status   string // active, closed or ""
	Sort     string // code, name, branch, status
	Desc     bool
	Page     int // 1-based
	PageSize int
}

// UnitSorts are the columns a unit search may be sorted by.
var UnitSorts = map[string]string{
	"code":   "u.code",
	"name":   "u.name",
	"branch": "u.branch_code",
	"status": "u.status",
	"ban":    "u.ban",
}

var (
	reUnitCode = regexp.MustCompile(`^[0-9]{9}$`)
	reBAN      = regexp.MustCompile(`^[0-9]{8}$`)
	rePersonID = regexp.MustCompile(`^[A-Z][A-Z0-9][0-9]{8}$`)
)

// QueryKind says how a search string is read: "code", "ban", "id_no" or "name".
func QueryKind(q string) string {
	switch {
	case reUnitCode.MatchString(q):
		return "code"
	case reBAN.MatchString(q):
		return "ban"
	case rePersonID.MatchString(strings.ToUpper(q)):
		return "id_no"
	default:
		return "name"
	}
}

func (f UnitFilter) query(q *bun.SelectQuery) *bun.SelectQuery {
	if s := strings.TrimSpace(f.Q); s != "" {
		switch QueryKind(s) {
		case "code":
			q = q.Where("u.code = ?", s)
		case "ban":
			q = q.Where("u.ban = ?", s)
		case "id_no":
			q = q.Where("u.id IN (SELECT h.unit_id FROM clerks AS h WHERE h.id_no = ?)", strings.ToUpper(s))
		default:
			for _, g := range nameGrams(s) {
				q = q.Where("u.id IN (SELECT g.unit_id FROM unit_name_grams AS g WHERE g.gram = ?)", g)
			}
			q = q.Where("u.name LIKE ? ESCAPE '\\'", "%"+escapeLike(s)+"%")
		}
	}
	if f.Branch != "" {
		q = q.Where("u.branch_code = ?", f.Branch)
	}
	if f.Status != "" {
		q = q.Where("u.status = ?", f.Status)
	}
	return q
}

// nameGrams are the bigrams of a name search to look up in
// unit_name_grams: the first, one from the middle and the last that hold
// no ASCII letter (three narrow the candidates as well as all of them; a
// bigram with a letter is left to LIKE, which ignores the letter's case on
// SQLite). None for a single character, or only letters: those are
// scanned.
func nameGrams(q string) []string {
	r := []rune(q)
	var usable []string
	for i := 0; i+1 < len(r); i++ {
		if !isASCIILetter(r[i]) && !isASCIILetter(r[i+1]) {
			usable = append(usable, string(r[i:i+2]))
		}
	}
	if len(usable) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, i := range []int{0, len(usable) / 2, len(usable) - 1} {
		if g := usable[i]; !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UnitRow is one line of a unit search.
type UnitRow struct {
	Unit
	RegType    *string `bun:"reg_type"`
	BranchName string  `bun:"branch_name"`
}

// SearchUnits finds units within the scope, one page at a time, and the total count.
func SearchUnits(ctx context.Context, db bun.IDB, sc Scope, f UnitFilter) ([]UnitRow, int, error) {
	if f.PageSize <= 0 || f.PageSize > 100 {
		f.PageSize = 20
	}
	if f.Page < 1 {
		f.Page = 1
	}
	col, ok := UnitSorts[f.Sort]
	if !ok {
		col = "u.code"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	// A unit code, 統一編號 or ID finds a few units at most: counted, then
	// joined to their accounts and branches. A search by part of a name
	// counts what it finds as it finds it (COUNT(*) OVER ()), not again in
	// a query of its own, and a list of all units, where that would read
	// them all, takes its total from the counters; both choose the page's
	// units before the join: joined before the sort, every unit found was
	// looked up three times. (A code search costs more in one query with
	// COUNT(*) OVER () than in the two.)
	text := strings.TrimSpace(f.Q)
	listing := text == "" && sc.UnitID == 0
	exact := text != "" && QueryKind(text) != "name"
	withRest := func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.ColumnExpr("u.*").
			ColumnExpr("a.reg_type AS reg_type").
			ColumnExpr("b.name AS branch_name").
			Join("LEFT JOIN unit_accounts AS a ON a.unit_id = u.id AND a.status = 'active'").
			Join("JOIN branches AS b ON b.code = u.branch_code").
			OrderExpr(col + dir).OrderExpr("u.id")
	}
	limit := func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Limit(int64(f.PageSize)).Offset(int64((f.Page - 1) * f.PageSize))
	}
	var found []struct {
		UnitRow
		Found int64 `bun:"found"`
	}
	var total int64
	var err error
	switch {
	case exact:
		if total, err = searchQuery(db, sc, f).Count(ctx); err == nil {
			err = limit(withRest(searchQuery(db, sc, f))).Scan(ctx, &found)
		}
	default:
		ids := searchQuery(db, sc, f).Column("u.id").OrderExpr(col + dir).OrderExpr("u.id")
		if listing {
			ids = ids.ColumnExpr("0 AS found")
		} else {
			ids = ids.ColumnExpr("COUNT(*) OVER () AS found")
		}
		err = withRest(db.NewSelect().TableExpr("(?) AS p", limit(ids)).Join("JOIN units AS u ON u.id = p.id").
			ColumnExpr("p.found")).Scan(ctx, &found)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("models: search units: %w", err)
	}
	rows := make([]UnitRow, len(found))
	for i := range found {
		rows[i] = found[i].UnitRow
	}
	switch {
	case exact:
	case listing:
		total, err = countListed(ctx, db, sc, f)
	case len(found) > 0:
		total = found[0].Found
	default: // a page past the last: count alone
		total, err = searchQuery(db, sc, f).Count(ctx)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("models: search units: count: %w", err)
	}
	return rows, int(total), nil
}

// searchQuery is the units a search finds, in scope.
func searchQuery(db bun.IDB, sc Scope, f UnitFilter) *bun.SelectQuery {
	return f.query(sc.units(db.NewSelect().TableExpr("units AS u"), "u"))
}

// countListed counts the units a list without a search string shows, from
// the counters (CountUnits): in scope, in the branch and of the status asked.
func countListed(ctx context.Context, db bun.IDB, sc Scope, f UnitFilter) (int64, error) {
	if f.Branch != "" {
		if !sc.All && sc.Branch != f.Branch {
			return 0, nil // the filter and the scope have no unit in common
		}
		sc = Scope{Branch: f.Branch}
	}
	c, err := CountUnits(ctx, db, sc)
	if err != nil {
		return 0, err
	}
	switch f.Status {
	case UnitClosed:
		return int64(c.Closed), nil
	case UnitActive:
		return int64(c.Total - c.Closed), nil
	}
	return int64(c.Total), nil
}

// UnitByID returns a unit within the scope, with its branch. Outside the
// scope it answers NotFound, so that a unit's existence does not leak.
func UnitByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*Unit, error) {
	u := new(Unit)
	p := bind(db)
	q := db.NewSelect().Conn(p).Model(u).Relation("Branch").Where("unit.id = ?", p.ID(id))
	err := sc.unitsBound(p, q, "unit").Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("投保單位")
	}
	if err != nil {
		return nil, fmt.Errorf("models: unit %d: %w", id, err)
	}
	return u, nil
}

// unitVisible answers NotFound, as UnitByID does, when the unit does not
// exist or is outside the scope: the check of a query on the unit's
// objects, without reading the unit.
func unitVisible(ctx context.Context, db bun.IDB, sc Scope, id int64) error {
	p := bind(db)
	ok, err := sc.unitsBound(p, db.NewSelect().Conn(p).TableExpr("units AS u").Where("u.id = ?", p.ID(id)), "u").Exists(ctx)
	if err != nil {
		return fmt.Errorf("models: unit %d: %w", id, err)
	}
	if !ok {
		return notFound("投保單位")
	}
	return nil
}

// UnitDomain returns the unit's code and branch, for authorization, or
// NotFound. It is not scoped: the policy decides what the caller may see.
func UnitDomain(ctx context.Context, db bun.IDB, id int64) (code, branch string, err error) {
	var row struct {
		Code   string `bun:"code"`
		Branch string `bun:"branch_code"`
	}
	err = db.NewSelect().Table("units").Column("code", "branch_code").Where("id = ?", id).Scan(ctx, &row)
	if isNoRows(err) {
		return "", "", notFound("投保單位")
	}
	if err != nil {
		return "", "", fmt.Errorf("models: unit %d: %w", id, err)
	}
	return row.Code, row.Branch, nil
}

// ActiveAccount returns the unit's active account, or nil when it has none.
func ActiveAccount(ctx context.Context, db bun.IDB, sc Scope, unitID int64) (*UnitAccount, error) {
	a := new(UnitAccount)
	p := bind(db)
	err := sc.ofUnitsBound(p, db.NewSelect().Conn(p).Model(a).Where("unit_id = ? AND status = ?", p.ID(unitID), AccountActive), "unit_id").Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: account of unit %d: %w", unitID, err)
	}
	return a, nil
}

// UnitCounts are the numbers on the console's home page.
type UnitCounts struct {
	Total, Closed, Unregistered int
}

// countUnitsSlowly counts the units within the scope from the rows, as
// CountUnits did before the counters: tests compare the two.
func countUnitsSlowly(ctx context.Context, db bun.IDB, sc Scope) (UnitCounts, error) {
	var c UnitCounts
	q := sc.units(db.NewSelect().TableExpr("units AS u"), "u").
		ColumnExpr("COUNT(*) AS total").
		ColumnExpr("SUM(CASE WHEN u.status = 'closed' THEN 1 ELSE 0 END) AS closed").
		ColumnExpr("SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = u.id AND a.status = 'active') THEN 1 ELSE 0 END) AS unregistered")
	var row struct {
		Total        int64  `bun:"total"`
		Closed       *int64 `bun:"closed"`
		Unregistered *int64 `bun:"unregistered"`
	}
	if err := q.Scan(ctx, &row); err != nil {
		return c, fmt.Errorf("models: count units: %w", err)
	}
	c.Total = int(row.Total)
	if row.Closed != nil {
		c.Closed = int(*row.Closed)
	}
	if row.Unregistered != nil {
		c.Unregistered = int(*row.Unregistered)
	}
	return c, nil
}

// ownedTables are the tables whose rows belong to a unit, with the SQL
// that finds a row's unit, for authorization of routes on those rows.
var ownedTables = map[string]string{
	"clerks":           "SELECT unit_id FROM clerks WHERE id = ?",
	"change_requests":  "SELECT unit_id FROM change_requests WHERE id = ?",
	"change_documents": "SELECT r.unit_id FROM change_documents AS d JOIN change_requests AS r ON r.id = d.request_id WHERE d.id = ?",
	"deregistrations":  "SELECT unit_id FROM deregistrations WHERE id = ?",
	"filings":          "SELECT unit_id FROM filings WHERE id = ?",
}

// OwnerDomain returns the code and branch of the unit a row belongs to, or
// NotFound.
func OwnerDomain(ctx context.Context, db bun.IDB, table string, id int64) (code, branch string, err error) {
	q, ok := ownedTables[table]
	if !ok {
		return "", "", fmt.Errorf("models: owner of %s: unknown table", table)
	}
	var unitID int64
	if err := db.NewRaw(q, id).Scan(ctx, &unitID); err != nil {
		if isNoRows(err) {
			return "", "", notFound("資料")
		}
		return "", "", fmt.Errorf("models: owner of %s %d: %w", table, id, err)
	}
	return UnitDomain(ctx, db, unitID)
}
