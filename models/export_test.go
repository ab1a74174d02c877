package models

import (
	"context"

	"github.com/uptrace/bun"
)

// CountUnitsSlowly exports the row count for tests that check the counters.
var CountUnitsSlowly = countUnitsSlowly

// CountFound counts what a unit search finds, row by row, as SearchUnits
// did before it took its total from the page or the counters.
func CountFound(ctx context.Context, db bun.IDB, sc Scope, f UnitFilter) (int64, error) {
	return searchQuery(db, sc, f).Count(ctx)
}
