package models

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
)

// PrintReport is one 報表類別 of 申報資料套印表格: which kind of filing it
// lists, and so which of the bureau's forms prints them.
type PrintReport struct {
	Code  string // in the page's address: enrol, withdraw, adjust
	Kind  string // rules.KindAdd, KindWithdraw or KindAdjust
	Label string // as the list names it
}

// PrintReports are the 報表類別, the seed's first.
var PrintReports = []PrintReport{
	{"enrol", rules.KindAdd, "第一~三類保險對象投保申請表"},
	{"withdraw", rules.KindWithdraw, "第一~三類保險對象退保申請表"},
	{"adjust", rules.KindAdjust, "第一~三類被保險人投保金額調整申請表"},
}

// FindPrintReport returns the 報表類別 with the given code, and false when
// there is none.
func FindPrintReport(code string) (PrintReport, bool) {
	for _, r := range PrintReports {
		if r.Code == code {
			return r, true
		}
	}
	return PrintReport{}, false
}

// PrintReportOfKind returns the 報表類別 that prints filings of a kind.
func PrintReportOfKind(kind string) (PrintReport, bool) {
	for _, r := range PrintReports {
		if r.Kind == kind {
			return r, true
		}
	}
	return PrintReport{}, false
}

// PrintableFiling is a filing with what its form needs besides: the
// insured person's name and birth for a dependent's row, and the insured
// amount before an amount change.
type PrintableFiling struct {
	Filing
	InsuredName  string
	InsuredBirth string
	// OldAmount is, for an amount change (投保金額調整), the amount in
	// force the day before it took effect; 0 when unknown.
	OldAmount int
}

// PrintFilter is 申報資料套印表格's list: the standing filings of one kind
// a unit filed in a date range, a page of them.
type PrintFilter struct {
	From, To  string // YYYY-MM-DD, inclusive
	Operation string // 作業別; "" for all
	Kind      string // the 報表類別's kind; "" for all
	Page      int    // from 1
	PageSize  int    // default 50, at most 200
}

// PrintableFilings lists a page of the unit's standing filings for
// printing, newest first, and how many there are in all. Filings with
// error codes are listed too: printing them asks first.
func PrintableFilings(ctx context.Context, db bun.IDB, sc Scope, unitID int64, f PrintFilter) ([]Filing, int, error) {
	if f.PageSize <= 0 || f.PageSize > 200 {
		f.PageSize = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	base := func() *bun.SelectQuery {
		// A corrected or withdrawn filing proves nothing: its correction
		// prints instead.
		q := sc.ofUnits(db.NewSelect().Model((*Filing)(nil)).Where("unit_id = ? AND voided = ''", unitID), "unit_id").
			Where("filed_on >= ? AND filed_on <= ?", f.From, f.To)
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if f.Operation != "" {
			q = q.Where("operation = ?", f.Operation)
		}
		return q
	}
	total, err := base().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("models: printable filings: %w", err)
	}
	var fs []Filing
	if err := base().Order("filed_on DESC", "id DESC").Limit(int64(f.PageSize)).Offset(int64((f.Page-1)*f.PageSize)).Scan(ctx, &fs); err != nil {
		return nil, 0, fmt.Errorf("models: printable filings: %w", err)
	}
	return fs, int(total), nil
}

// FilingsToPrint loads the unit's filings with these ids, in the order
// given. An id of another unit, or unknown, is NotFound: a unit prints
// only its own filings.
func FilingsToPrint(ctx context.Context, db bun.IDB, sc Scope, unitID int64, ids []int64) ([]PrintableFiling, error) {
	if len(ids) == 0 {
		return nil, notFound("申報資料")
	}
	var fs []Filing
	if err := sc.ofUnits(db.NewSelect().Model(&fs).Where("unit_id = ? AND id IN (?)", unitID, bun.List(ids)), "unit_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: filings to print: %w", err)
	}
	byID := make(map[int64]Filing, len(fs))
	for _, f := range fs {
		byID[f.ID] = f
	}
	// The insured persons of the dependents: their latest standing
	// enrolment's name and birth, else their latest enrolment's.
	var insuredIDs []string
	for _, f := range fs {
		if f.Person == rules.PersonDependent {
			insuredIDs = append(insuredIDs, f.InsuredID)
		}
	}
	insured := map[string]Filing{}
	if len(insuredIDs) > 0 {
		var ins []Filing
		if err := db.NewSelect().Model(&ins).Column("insured_id", "name", "birth").
			Where("unit_id = ? AND person = ? AND kind = ? AND insured_id IN (?)", unitID, rules.PersonInsured, rules.KindAdd, bun.List(insuredIDs)).
			OrderExpr("CASE WHEN voided = '' THEN 0 ELSE 1 END").Order("id DESC").Scan(ctx); err != nil {
			return nil, fmt.Errorf("models: insured of filings to print: %w", err)
		}
		for _, f := range ins {
			if _, seen := insured[f.InsuredID]; !seen {
				insured[f.InsuredID] = f
			}
		}
	}
	out := make([]PrintableFiling, 0, len(ids))
	for _, id := range ids {
		f, ok := byID[id]
		if !ok {
			return nil, notFound("申報資料")
		}
		p := PrintableFiling{Filing: f, InsuredName: f.Name, InsuredBirth: f.Birth}
		if f.Person == rules.PersonDependent {
			ins := insured[f.InsuredID]
			p.InsuredName, p.InsuredBirth = ins.Name, ins.Birth
		}
		if f.Kind == rules.KindAdjust && f.Person == rules.PersonInsured {
			var err error
			if p.OldAmount, err = amountBefore(ctx, db, sc, unitID, f.InsuredID, f.EffectiveDate); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// amountBefore is the insured's amount the day before day (YYYY-MM-DD),
// as the roster shows it; 0 when they were not insured then.
func amountBefore(ctx context.Context, db bun.IDB, sc Scope, unitID int64, insuredID, day string) (int, error) {
	on := date(day).AddDate(0, 0, -1)
	var rows []RosterRow
	if err := rosterQuery(db, sc, unitID, RosterFilter{On: on}).ColumnExpr(rosterColumns).
		Where("c.person_id = ? AND c.insured_id = ?", insuredID, insuredID).OrderExpr("c.id DESC").Limit(1).Scan(ctx, &rows); err != nil {
		return 0, fmt.Errorf("models: amount of %s before %s: %w", insuredID, day, err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if err := rosterAmounts(ctx, db, unitID, on, rows); err != nil {
		return 0, err
	}
	return rows[0].Amount, nil
}

// PrintGroup is an insured person and the filings printed on their rows
// of a form: their own filing, then their dependents'.
type PrintGroup struct {
	InsuredID    string
	InsuredName  string
	InsuredBirth string
	// Insured is the insured's own filing, nil when only dependents of
	// theirs are printed.
	Insured    *PrintableFiling
	Dependents []PrintableFiling
}

// GroupForPrint groups filings by insured person, as the bureau's forms
// list them: each insured's own filing, then the filings of their
// dependents, in the order they were filed; the groups in the order of
// their first filing. A second filing of the same insured (enrolled again
// after leaving, say) starts a group of its own, which takes the
// dependents filed after it.
func GroupForPrint(fs []PrintableFiling) []PrintGroup {
	sorted := make([]PrintableFiling, len(fs))
	copy(sorted, fs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	var groups []PrintGroup
	open := map[string]int{} // insured_id → the group taking their filings
	for i := range sorted {
		f := &sorted[i]
		g, ok := open[f.InsuredID]
		switch {
		case f.Person != rules.PersonDependent && ok && groups[g].Insured == nil:
			// The insured's own filing after their dependents' (a
			// correction, say): it heads the group anyway.
			groups[g].Insured, groups[g].InsuredName, groups[g].InsuredBirth = f, f.Name, f.Birth
			continue
		case f.Person != rules.PersonDependent:
			groups = append(groups, PrintGroup{InsuredID: f.InsuredID, InsuredName: f.Name, InsuredBirth: f.Birth, Insured: f})
			open[f.InsuredID] = len(groups) - 1
			continue
		case !ok:
			groups = append(groups, PrintGroup{InsuredID: f.InsuredID, InsuredName: f.InsuredName, InsuredBirth: f.InsuredBirth})
			g = len(groups) - 1
			open[f.InsuredID] = g
		}
		groups[g].Dependents = append(groups[g].Dependents, *f)
	}
	// Insured is a pointer into sorted: copy it so that the groups own
	// their filings.
	for i := range groups {
		if p := groups[i].Insured; p != nil {
			c := *p
			groups[i].Insured = &c
		}
	}
	return groups
}

// FlaggedFiling is a filing chosen for printing that has error codes,
// with the codes in words.
type FlaggedFiling struct {
	PrintableFiling
	Codes []rules.Info
}

// FlaggedForPrint returns the filings among fs that have error codes (the
// nightly check found them after filing), with the codes explained from
// the code table, in the order given.
func FlaggedForPrint(ctx context.Context, db bun.IDB, fs []PrintableFiling) ([]FlaggedFiling, error) {
	var out []FlaggedFiling
	for _, f := range fs {
		if f.Status != FilingError || f.Codes == "" {
			continue
		}
		codes := make([]rules.Code, 0, 2)
		for _, c := range f.CodeList() {
			codes = append(codes, rules.Code(c))
		}
		infos, err := explain(ctx, db, codes, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, FlaggedFiling{PrintableFiling: f, Codes: infos})
	}
	return out, nil
}

// PrintRecord is what an audited print printed.
type PrintRecord struct {
	Report string  // the 報表類別's code
	IDs    []int64 // the filings
	// Flagged are the filings with error codes the clerk chose to print
	// after the warning.
	Flagged []int64
	Pages   int
}

// AuditPrint records who printed which filings.
func (s *Store) AuditPrint(ctx context.Context, a Actor, unitID int64, p PrintRecord) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		parts := make([]string, len(p.IDs))
		for i, id := range p.IDs {
			parts[i] = fmt.Sprint(id)
		}
		after := map[string]any{"filings": p.IDs, "count": len(p.IDs), "report": p.Report, "pages": p.Pages}
		if len(p.Flagged) > 0 {
			after["with_codes"] = p.Flagged
		}
		return audit(ctx, tx, s.now(), a, Change{Action: "filing.print", UnitID: unitID, ObjectType: "filing",
			ObjectID: strings.Join(parts, ","), After: after})
	})
}
