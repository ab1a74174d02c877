package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
)

// RosterFilter is 投保名單: who a unit insures on a day, optionally only
// the people matching Query (an ID, or part of a name).
type RosterFilter struct {
	On       time.Time
	Query    string
	Page     int
	PageSize int
}

// RosterRow is one insured person or dependent on the roster's day: since
// when, at what insured amount, and the filings that made it so.
type RosterRow struct {
	CoverageID  int64  `bun:"id"`
	PersonID    string `bun:"person_id"`
	InsuredID   string `bun:"insured_id"`
	Birth       string `bun:"birth"`
	Since       string `bun:"since"`
	AddFilingID int64  `bun:"add_filing_id"`
	Person      string `bun:"person"`
	Name        string `bun:"name"`
	Sex         string `bun:"sex"`
	Relation    string `bun:"relation"`
	Category    string `bun:"category"`
	// Amount is the insured's amount on the day (the enrollment's, or the
	// last amount change's), 0 for a dependent.
	Amount      int    `bun:"amount"`
	AmountSince string `bun:"-"`
	// PartTime is whether the filing that set Amount was marked 部分工時.
	PartTime bool `bun:"part_time"`
	// Filings made the row: its enrollment, then the amount changes in force.
	Filings []RosterFiling `bun:"-"`
}

// RosterFiling is a filing behind a roster row.
type RosterFiling struct {
	ID            int64  `bun:"id"`
	Kind          string `bun:"kind"`
	InsuredID     string `bun:"insured_id"`
	Amount        int    `bun:"amount"`
	PartTime      bool   `bun:"part_time"`
	EffectiveDate string `bun:"effective_date"`
	FiledOn       string `bun:"filed_on"`
}

// Dependent reports whether the row is a dependent (眷屬).
func (r *RosterRow) Dependent() bool { return r.Person == rules.PersonDependent }

// rosterQuery selects the coverage rows of the filter (aliased c, joined
// with their enrollment f) within the scope.
func rosterQuery(db bun.IDB, sc Scope, unitID int64, f RosterFilter) *bun.SelectQuery {
	on := dateString(f.On)
	q := db.NewSelect().TableExpr("coverage AS c").Join("JOIN filings AS f ON f.id = c.add_filing_id").
		Where("c.unit_id = ?", unitID).Where("c.since <= ? AND (c.until IS NULL OR c.until > ?)", on, on)
	q = sc.ofUnits(q, "c.unit_id")
	if s := strings.TrimSpace(f.Query); s != "" {
		if id := strings.ToUpper(s); looksLikeID(id) {
			q = q.Where("(c.person_id = ? OR c.insured_id = ?)", id, id)
		} else {
			q = q.Where("f.name LIKE ? ESCAPE '\\'", "%"+likeEscape(s)+"%")
		}
	}
	return q
}

// looksLikeID reports whether a query is an ID number (a letter and nine
// letters or digits) rather than a name.
func looksLikeID(s string) bool {
	if len(s) != 10 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// likeEscape escapes LIKE's wildcards with a backslash.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// rosterDep orders the roster: by insured, the insured before their
// dependents, then in the order they were enrolled.
const rosterDep = "CASE WHEN c.person_id = c.insured_id THEN 0 ELSE 1 END"

// rosterColumns are RosterRow's columns.
const rosterColumns = "c.id, c.person_id, c.insured_id, c.birth, c.since, c.add_filing_id, " +
	"f.person, f.name, f.sex, f.relation, f.category, f.amount, f.part_time"

// RosterOfUnit is one page of the unit's roster on f.On, and the number of
// rows in all; the unit must be in the scope.
func RosterOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64, f RosterFilter) ([]RosterRow, int, error) {
	if f.PageSize <= 0 || f.PageSize > 200 {
		f.PageSize = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	q := rosterQuery(db, sc, unitID, f)
	if strings.TrimSpace(f.Query) == "" { // the count needs no join: coverage_roster answers it alone
		q = insuredQuery(db, sc, unitID, f.On)
	}
	total, err := q.Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("models: roster of unit %d: %w", unitID, err)
	}
	var rows []RosterRow
	if err := rosterQuery(db, sc, unitID, f).ColumnExpr(rosterColumns).OrderExpr("c.insured_id, "+rosterDep+", c.id").
		Limit(int64(f.PageSize)).Offset(int64((f.Page-1)*f.PageSize)).Scan(ctx, &rows); err != nil {
		return nil, 0, fmt.Errorf("models: roster of unit %d: %w", unitID, err)
	}
	if err := rosterAmounts(ctx, db, unitID, f.On, rows); err != nil {
		return nil, 0, err
	}
	return rows, int(total), nil
}

// CountInsured is the number of people on the unit's roster on the day,
// as RosterOfUnit counts them, without reading a page of the roster (the
// console's unit page shows the number only).
func CountInsured(ctx context.Context, db bun.IDB, sc Scope, unitID int64, on time.Time) (int, error) {
	n, err := insuredQuery(db, sc, unitID, on).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: insured of unit %d: %w", unitID, err)
	}
	return int(n), nil
}

// insuredQuery is the unit's coverage on the day, with no join.
func insuredQuery(db bun.IDB, sc Scope, unitID int64, on time.Time) *bun.SelectQuery {
	p := bind(db)
	day := p.Text(dateString(on))
	q := db.NewSelect().Conn(p).TableExpr("coverage AS c").Where("c.unit_id = ?", p.ID(unitID)).
		Where("c.since <= ? AND (c.until IS NULL OR c.until > ?)", day, day)
	return sc.ofUnitsBound(p, q, "c.unit_id")
}

// RosterForExport streams the unit's roster on f.On (all pages) to fn, in
// the page's order, at most limit rows.
func RosterForExport(ctx context.Context, db bun.IDB, sc Scope, unitID int64, f RosterFilter, limit int, fn func(*RosterRow) error) error {
	const chunk = 1000
	sent := 0
	var last *RosterRow
	for sent < limit {
		q := rosterQuery(db, sc, unitID, f).ColumnExpr(rosterColumns)
		if last != nil { // keyset on (insured_id, dependent, id)
			dep := 0
			if last.PersonID != last.InsuredID {
				dep = 1
			}
			q = q.Where("(c.insured_id > ? OR (c.insured_id = ? AND ("+rosterDep+" > ? OR ("+rosterDep+" = ? AND c.id > ?))))",
				last.InsuredID, last.InsuredID, dep, dep, last.CoverageID)
		}
		var rows []RosterRow
		if err := q.OrderExpr("c.insured_id, "+rosterDep+", c.id").Limit(chunk).Scan(ctx, &rows); err != nil {
			return fmt.Errorf("models: export roster of unit %d: %w", unitID, err)
		}
		if err := rosterAmounts(ctx, db, unitID, f.On, rows); err != nil {
			return err
		}
		for i := range rows {
			if sent == limit {
				return nil
			}
			if err := fn(&rows[i]); err != nil {
				return err
			}
			sent++
		}
		if len(rows) < chunk {
			return nil
		}
		last = &rows[len(rows)-1]
	}
	return nil
}

// rosterAmounts fills in the rows' amounts on the day and the filings
// behind them: the enrollment, then the standing amount changes of the
// same coverage (on or after its start, by the day), the last of which
// sets the amount.
func rosterAmounts(ctx context.Context, db bun.IDB, unitID int64, on time.Time, rows []RosterRow) error {
	var ids []string
	for i := range rows {
		r := &rows[i]
		r.Filings = []RosterFiling{{ID: r.AddFilingID, Kind: rules.KindAdd, InsuredID: r.InsuredID, Amount: r.Amount, PartTime: r.PartTime, EffectiveDate: r.Since}}
		r.AmountSince = r.Since
		if r.Dependent() {
			r.Amount = 0
		} else {
			ids = append(ids, r.PersonID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var adj []RosterFiling
	if err := db.NewSelect().Table("filings").Column("id", "kind", "insured_id", "amount", "part_time", "effective_date", "filed_on").
		Where("unit_id = ? AND insured_id IN (?) AND kind = ? AND person = ? AND voided = '' AND effective_date <= ?",
			unitID, bun.List(ids), rules.KindAdjust, rules.PersonInsured, dateString(on)).
		Order("effective_date", "id").Scan(ctx, &adj); err != nil {
		return fmt.Errorf("models: roster amounts: %w", err)
	}
	byInsured := map[string][]RosterFiling{}
	for _, a := range adj {
		byInsured[a.InsuredID] = append(byInsured[a.InsuredID], a)
	}
	for i := range rows {
		r := &rows[i]
		if r.Dependent() {
			continue
		}
		for _, a := range byInsured[r.PersonID] {
			if a.EffectiveDate >= r.Since {
				r.Filings = append(r.Filings, a)
				r.Amount, r.AmountSince, r.PartTime = a.Amount, a.EffectiveDate, a.PartTime
			}
		}
	}
	return nil
}

// DependentOnRoster is whom a dependant follows in a unit: the insured's ID
// and the 稱謂 the dependant was enrolled with.
type DependentOnRoster struct {
	InsuredID string `bun:"insured_id"`
	Relation  string `bun:"relation"`
}

// DependentOfUnit finds the dependant depID on the unit's roster on the
// day before a withdrawal effective on day or on day itself (a withdrawal
// ends a coverage that ran up to it), for a 退保 row that names only the
// dependant (a joint file from payroll software). It returns nil when the
// dependant is not on the roster then, or follows more than one insured:
// the clerk must then say whom. The unit must be in the scope.
func DependentOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64, depID string, day time.Time) (*DependentOnRoster, error) {
	var found []DependentOnRoster
	q := db.NewSelect().TableExpr("coverage AS c").Join("JOIN filings AS f ON f.id = c.add_filing_id").
		ColumnExpr("DISTINCT c.insured_id, f.relation").
		Where("c.unit_id = ?", unitID).Where("c.person_id = ?", depID).Where("c.person_id <> c.insured_id").
		Where("c.since <= ? AND (c.until IS NULL OR c.until >= ?)", dateString(day), dateString(day.AddDate(0, 0, -1))).
		Limit(2)
	if err := sc.ofUnits(q, "c.unit_id").Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("models: dependant on the roster of unit %d: %w", unitID, err)
	}
	if len(found) != 1 {
		return nil, nil
	}
	return &found[0], nil
}
