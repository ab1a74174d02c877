package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
)

// PrintableFiling is a filing with what its form needs besides: the
// insured person's name and birth for a dependent's form.
type PrintableFiling struct {
	Filing
	InsuredName  string
	InsuredBirth string
}

// PrintFilter is 申報資料套印表格's list: enrollments of a unit filed in a
// date range (the 第一~三類保險對象投保申請表 prints enrollments).
type PrintFilter struct {
	From, To  string // YYYY-MM-DD, inclusive
	Operation string
}

// PrintableFilings lists a unit's standing enrollments for printing, newest first.
func PrintableFilings(ctx context.Context, db bun.IDB, sc Scope, unitID int64, f PrintFilter, limit int) ([]Filing, error) {
	var fs []Filing
	// A corrected or withdrawn enrollment proves nothing: its correction prints instead.
	q := sc.ofUnits(db.NewSelect().Model(&fs).Where("unit_id = ? AND kind = ? AND voided = ''", unitID, rules.KindAdd), "unit_id").
		Where("filed_on >= ? AND filed_on <= ?", f.From, f.To)
	if f.Operation != "" {
		q = q.Where("operation = ?", f.Operation)
	}
	if err := q.Order("filed_on DESC", "id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: printable filings: %w", err)
	}
	return fs, nil
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
	out := make([]PrintableFiling, 0, len(ids))
	for _, id := range ids {
		f, ok := byID[id]
		if !ok {
			return nil, notFound("申報資料")
		}
		p := PrintableFiling{Filing: f, InsuredName: f.Name, InsuredBirth: f.Birth}
		if f.Person == rules.PersonDependent {
			var ins Filing
			err := db.NewSelect().Model(&ins).Column("name", "birth").
				Where("unit_id = ? AND person = ? AND insured_id = ? AND kind = ?", unitID, rules.PersonInsured, f.InsuredID, rules.KindAdd).
				Order("id DESC").Limit(1).Scan(ctx)
			if err != nil && !isNoRows(err) {
				return nil, fmt.Errorf("models: insured of filing %d: %w", f.ID, err)
			}
			p.InsuredName, p.InsuredBirth = ins.Name, ins.Birth
		}
		out = append(out, p)
	}
	return out, nil
}

// AuditPrint records who printed which filings.
func (s *Store) AuditPrint(ctx context.Context, a Actor, unitID int64, ids []int64) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = fmt.Sprint(id)
		}
		return audit(ctx, tx, s.now(), a, Change{Action: "filing.print", UnitID: unitID, ObjectType: "filing",
			ObjectID: strings.Join(parts, ","), After: map[string]any{"filings": ids, "count": len(ids)}})
	})
}
