package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// CountUnits returns the unit counts within the scope from the counters.
func CountUnits(ctx context.Context, db bun.IDB, sc Scope) (UnitCounts, error) {
	var row struct {
		Total        *int64 `bun:"total"`
		Closed       *int64 `bun:"closed"`
		Unregistered *int64 `bun:"unregistered"`
	}
	q := db.NewSelect().TableExpr("unit_counts AS c").
		ColumnExpr("SUM(c.total) AS total, SUM(c.closed) AS closed, SUM(c.unregistered) AS unregistered")
	switch {
	case sc.All:
	case sc.Branch != "" && sc.UnitID == 0:
		q = q.Where("c.branch_code = ?", sc.Branch)
	default:
		return UnitCounts{}, nil
	}
	if err := q.Scan(ctx, &row); err != nil {
		return UnitCounts{}, fmt.Errorf("models: count units: %w", err)
	}
	deref := func(p *int64) int {
		if p == nil {
			return 0
		}
		return int(*p)
	}
	return UnitCounts{Total: deref(row.Total), Closed: deref(row.Closed), Unregistered: deref(row.Unregistered)}, nil
}
