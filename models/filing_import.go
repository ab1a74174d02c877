package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
)

// ImportFilings inserts filings of any units as they are, already checked,
// and starts the coverage of each validated enrollment among them. It is
// for loading history (the demo's filings, a take-over from another
// system), not for filing, which goes through the rules. Give it a few
// thousand filings at a time: they go in with one INSERT, their coverage
// with another.
func ImportFilings(ctx context.Context, tx bun.IDB, fs []Filing) error {
	if len(fs) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&fs).Exec(ctx); err != nil {
		return fmt.Errorf("models: import filings: %w", err)
	}
	cov := make([]coverage, 0, len(fs))
	for _, f := range fs {
		if f.Status == FilingValidated && f.Kind == rules.KindAdd {
			cov = append(cov, coverage{UnitID: f.UnitID, PersonID: f.PersonID(), InsuredID: f.InsuredID, Birth: f.Birth,
				Since: f.EffectiveDate, AddFilingID: f.ID})
		}
	}
	if len(cov) > 0 {
		if _, err := tx.NewInsert().Model(&cov).Exec(ctx); err != nil {
			return fmt.Errorf("models: import filings: coverage: %w", err)
		}
	}
	return nil
}
