package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// JobCount is how many of River's jobs of one kind are in one state. River
// keeps finished jobs (completed, cancelled, discarded) for a day, so those
// states count the outcomes of about the last day.
type JobCount struct {
	State string `bun:"state"`
	Kind  string `bun:"kind"`
	N     int64  `bun:"n"`
}

// JobCounts counts River's jobs by state and kind, for the metrics.
func JobCounts(ctx context.Context, db bun.IDB) ([]JobCount, error) {
	var out []JobCount
	if err := db.NewSelect().Table("river_job").ColumnExpr("state, kind, count(*) AS n").
		Group("state", "kind").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("models: job counts: %w", err)
	}
	return out, nil
}

// BatchProgress is the state of one run of the nightly validation.
type BatchProgress struct {
	BatchOn    string     `bun:"batch_on"` // the Taipei date validated, 2006-01-02
	StartedAt  time.Time  `bun:"started_at"`
	FinishedAt *time.Time `bun:"finished_at"` // nil while it runs
	Validated  int64      `bun:"validated"`   // filings checked so far
	Changed    int64      `bun:"changed"`     // filings whose result changed
}

// LatestBatch returns the latest run of the nightly validation, nil when
// none has run. While it runs, Changed counts the changes recorded so far.
func LatestBatch(ctx context.Context, db bun.IDB) (*BatchProgress, error) {
	var b BatchProgress
	err := db.NewSelect().Table("filing_batches").Column("batch_on", "started_at", "finished_at", "validated", "changed").
		Order("batch_on DESC").Limit(1).Scan(ctx, &b)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: latest batch: %w", err)
	}
	if b.FinishedAt == nil {
		n, err := db.NewSelect().Table("filing_changes").Where("batch_on = ?", b.BatchOn).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("models: latest batch: %w", err)
		}
		b.Changed = int64(n)
	}
	return &b, nil
}
