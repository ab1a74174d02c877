package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// CountUnitsSlowly exports the row count for tests that check the counters.
var CountUnitsSlowly = countUnitsSlowly

// CountFound counts what a unit search finds, row by row, as SearchUnits
// did before it took its total from the page or the counters.
func CountFound(ctx context.Context, db bun.IDB, sc Scope, f UnitFilter) (int64, error) {
	return searchQuery(db, sc, f).Count(ctx)
}

// CachedStmts is how many statements db's prepared-statement cache holds.
var CachedStmts = cachedStmts

// MaxCachedStmts bounds that cache.
const MaxCachedStmts = maxCachedStmts

// UnitVisible is unitVisible, a query with parameters and a cached statement.
var UnitVisible = unitVisible

// AddBound answers a + b with a as a parameter and b in the text: a new
// statement text for every b.
func AddBound(ctx context.Context, db *bun.DB, a, b int64) (int64, error) {
	p := bind(db)
	var n int64
	err := db.NewSelect().Conn(p).ColumnExpr(fmt.Sprintf("? + %d", b), p.ID(a)).Scan(ctx, &n)
	return n, err
}

// CountWorkSlowly counts the 工作台's work from the rows, as before the counters.
var CountWorkSlowly = countWorkSlowly

// LockUnitRow is the lock a filing takes on its unit's row.
var LockUnitRow = lockUnitRow
