package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// WorkCounts is the work waiting in a staff member's scope, for the
// console's 工作台: what staff answer and what supervisors decide.
type WorkCounts struct {
	OpenCases   int // phone cases not resolved (open or waiting)
	Reviews     int // units' change requests waiting for a review
	Approvals   int // deregistrations waiting for a supervisor
	SampleItems int // sampled decisions without a verdict
}

// CountWork counts the work waiting within the scope, cheap enough for the
// 工作台 to poll: open cases and sample items from small partial indexes,
// pending reviews and approvals from the counters kept by triggers
// (work_counts, migration 33).
func CountWork(ctx context.Context, db bun.IDB, sc Scope) (WorkCounts, error) {
	var w WorkCounts
	if !sc.staffWork() {
		return w, nil
	}
	p := bind(db)
	cases := db.NewSelect().Conn(p).TableExpr("cases AS c").Where("c.status IN (?, ?)", CaseOpen, CaseWaiting)
	if !sc.All {
		cases = cases.Where("c.branch_code = ?", p.Text(sc.Branch))
	}
	n, err := cases.Count(ctx)
	if err != nil {
		return w, fmt.Errorf("models: count open cases: %w", err)
	}
	w.OpenCases = int(n)
	if w.Reviews, w.Approvals, err = pendingCounts(ctx, db, sc); err != nil {
		return w, err
	}
	p = bind(db)
	items := db.NewSelect().Conn(p).TableExpr("sample_items AS si").Join("JOIN samples AS s ON s.id = si.sample_id").
		Where("si.verdict IS NULL")
	if !sc.All {
		items = items.Where("s.branch_code = ?", p.Text(sc.Branch))
	}
	if n, err = items.Count(ctx); err != nil {
		return w, fmt.Errorf("models: count sample items: %w", err)
	}
	w.SampleItems = int(n)
	return w, nil
}

// staffWork says whether the scope is head office's or a branch's: the
// queues and counts of staff work have nothing for a unit's scope or an
// empty one.
func (sc Scope) staffWork() bool { return sc.UnitID == 0 && (sc.All || sc.Branch != "") }

// pendingCounts are the pending change requests and deregistrations of the
// scope's units (a staff scope), from work_counts.
func pendingCounts(ctx context.Context, db bun.IDB, sc Scope) (reviews, approvals int, err error) {
	p := bind(db)
	q := db.NewSelect().Conn(p).TableExpr("work_counts").
		ColumnExpr("COALESCE(SUM(reviews), 0) AS reviews, COALESCE(SUM(approvals), 0) AS approvals")
	if !sc.All {
		q = q.Where("branch_code = ?", p.Text(sc.Branch))
	}
	var row struct {
		Reviews   int64 `bun:"reviews"`
		Approvals int64 `bun:"approvals"`
	}
	if err := q.Scan(ctx, &row); err != nil {
		return 0, 0, fmt.Errorf("models: count pending work: %w", err)
	}
	return int(row.Reviews), int(row.Approvals), nil
}

// countWorkSlowly counts the work from the rows, as CountWork did before
// the counters: tests compare the two.
func countWorkSlowly(ctx context.Context, db bun.IDB, sc Scope) (WorkCounts, error) {
	var w WorkCounts
	if !sc.staffWork() {
		return w, nil
	}
	count := func(q *bun.SelectQuery, n *int) error {
		c, err := q.Count(ctx)
		*n = int(c)
		return err
	}
	if err := count(sc.cases(db.NewSelect().TableExpr("cases AS c").Where("c.status IN (?, ?)", CaseOpen, CaseWaiting), "c"), &w.OpenCases); err != nil {
		return w, err
	}
	if err := count(sc.units(db.NewSelect().TableExpr("change_requests AS r").Join("JOIN units AS u ON u.id = r.unit_id").
		Where("r.status = ?", RequestPending), "u"), &w.Reviews); err != nil {
		return w, err
	}
	if err := count(sc.units(db.NewSelect().TableExpr("deregistrations AS d").Join("JOIN units AS u ON u.id = d.unit_id").
		Where("d.status = ?", DeregPending), "u"), &w.Approvals); err != nil {
		return w, err
	}
	err := count(sc.samples(db.NewSelect().TableExpr("sample_items AS si").Join("JOIN samples AS s ON s.id = si.sample_id").
		Where("si.verdict IS NULL"), "s"), &w.SampleItems)
	return w, err
}
