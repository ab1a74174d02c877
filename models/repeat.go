package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
)

// RepeatWindow is how long after a submission an identical one counts as
// the same submission sent twice (a double click, Enter pressed twice, a
// form sent again after a slow answer) rather than a new one.
const RepeatWindow = 2 * time.Minute

// Repeated is returned, and nothing is stored, when a submission is
// identical to one stored less than RepeatWindow ago by the same unit or
// staff member: the caller answers with the stored one (ID) instead of a
// refusal, so that the second answer of a double submit is no dead end.
type Repeated struct {
	What string // "filing", "clerk", "change_request", "deregistration", "case", "case_note", "announcement", "password" or "staff"
	ID   int64  // the one stored by the first submit
}

func (e *Repeated) Error() string { return fmt.Sprintf("models: %s %d submitted again", e.What, e.ID) }

// repeatedFiling finds a filing of the unit identical to f filed on the
// web within RepeatWindow and still standing as it was stored (審核正確,
// neither corrected nor withdrawn); nil when there is none.
func repeatedFiling(ctx context.Context, db bun.IDB, unitID int64, f *Filing, now time.Time) (*Repeated, error) {
	var id int64
	err := db.NewSelect().Table("filings").Column("id").
		Where("unit_id = ? AND source = 'web' AND status = ? AND voided = '' AND corrects_id IS NULL", unitID, FilingValidated).
		Where("kind = ? AND person = ? AND operation = ? AND insured_id = ? AND dependent_id = ?", f.Kind, f.Person, f.Operation, f.InsuredID, f.DependentID).
		Where("name = ? AND birth = ? AND relation = ? AND reason = ? AND amount = ? AND effective_date = ?", f.Name, f.Birth, f.Relation, f.Reason, f.Amount, f.EffectiveDate).
		Where("filed_at >= ?", now.Add(-RepeatWindow)).
		Order("id DESC").Limit(1).Scan(ctx, &id)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: repeated filing: %w", err)
	}
	return &Repeated{What: "filing", ID: id}, nil
}

// repeatedFilingOf is repeatedFiling for a filing as the rules see it.
// On PostgreSQL it first locks the unit's row until the transaction ends,
// so that two copies sent at the same moment take turns and the second
// finds the first (SQLite has one writer at a time anyway).
func repeatedFilingOf(ctx context.Context, db bun.IDB, unitID int64, rf rules.Filing, now time.Time) (*Repeated, error) {
	if err := lockUnitRow(ctx, db, unitID); err != nil {
		return nil, err
	}
	f := filingFromRule(rf)
	return repeatedFiling(ctx, db, unitID, &f, now)
}

// lockUnitRow takes the unit's row FOR NO KEY UPDATE on PostgreSQL, before
// the audit chain's head (the order every writer of a unit keeps): filings
// of the unit take turns, while a row that merely refers to the unit (an
// audit event, a print) is not held up. FOR UPDATE also blocked
// those foreign-key checks (FOR KEY SHARE), and a print that held the
// audit chain's head while its event waited for the unit, beside a
// filing that held the unit while it waited for the head, deadlocked
// (two 500s in a four-minute soak at national size).
func lockUnitRow(ctx context.Context, db bun.IDB, unitID int64) error {
	if DialectOf(db) != Postgres {
		return nil
	}
	var id int64
	if err := db.NewSelect().Table("units").Column("id").Where("id = ?", unitID).For("NO KEY UPDATE").Scan(ctx, &id); err != nil {
		return fmt.Errorf("models: lock unit %d: %w", unitID, err)
	}
	return nil
}
