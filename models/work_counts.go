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

// CountWork counts the work waiting within the scope: four small counts
// on indexed status columns, cheap enough for the 工作台 to poll.
func CountWork(ctx context.Context, db bun.IDB, sc Scope) (WorkCounts, error) {
	var w WorkCounts
	if sc.UnitID != 0 || (!sc.All && sc.Branch == "") {
		return w, nil
	}
	count := func(what string, q *bun.SelectQuery, n *int) error {
		c, err := q.Count(ctx)
		if err != nil {
			return fmt.Errorf("models: count %s: %w", what, err)
		}
		*n = int(c)
		return nil
	}
	// IN rather than <> resolved: the same cases (the statuses are
	// checked), counted from the partial index of unresolved cases.
	cases := sc.cases(db.NewSelect().TableExpr("cases AS c").Where("c.status IN (?, ?)", CaseOpen, CaseWaiting), "c")
	if err := count("open cases", cases, &w.OpenCases); err != nil {
		return w, err
	}
	if err := count("reviews", pendingRequests(db, sc), &w.Reviews); err != nil {
		return w, err
	}
	approvals := sc.units(db.NewSelect().TableExpr("deregistrations AS d").Join("JOIN units AS u ON u.id = d.unit_id").
		Where("d.status = ?", DeregPending), "u")
	if err := count("approvals", approvals, &w.Approvals); err != nil {
		return w, err
	}
	items := sc.samples(db.NewSelect().TableExpr("sample_items AS si").Join("JOIN samples AS s ON s.id = si.sample_id").
		Where("si.verdict IS NULL"), "s")
	if err := count("sample items", items, &w.SampleItems); err != nil {
		return w, err
	}
	return w, nil
}

// pendingRequests is the pending change requests within the scope (r),
// joined to their units (u) unless the scope is everything. Read from the
// pending requests to their units (CROSS JOIN keeps SQLite to that order;
// PostgreSQL reads it as the inner join it is), never from a branch's
// 27,000 units to their requests.
func pendingRequests(db bun.IDB, sc Scope) *bun.SelectQuery {
	p := bind(db)
	q := db.NewSelect().Conn(p).TableExpr("change_requests AS r").Where("r.status = ?", RequestPending)
	if sc.All {
		return q
	}
	return sc.unitsBound(p, q.Join("CROSS JOIN units AS u").Where("u.id = r.unit_id"), "u")
}
