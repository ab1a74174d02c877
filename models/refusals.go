package models

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Audit actions of refused requests.
const (
	ActionAccessDenied      = "access.denied"      // a logged-in user's 403 or 404 on an object
	ActionCSRFRefused       = "csrf.refused"       // a state-changing request without the session's CSRF token
	ActionRefusalSuppressed = "refusal.suppressed" // more refusals than MaxRefusalsPerMinute: the rest are not written
)

// RefusalActions are the refusal audit actions (registered, with their
// labels, in audit_actions.go).
var RefusalActions = []string{ActionAccessDenied, ActionCSRFRefused, ActionRefusalSuppressed}

// MaxRefusalsPerMinute bounds the refusal events of one session (or one
// client address without a session) in one minute; past it one
// refusal.suppressed event is written, and then nothing until the next
// minute, so that a script cannot flood the audit log.
const MaxRefusalsPerMinute = 10

// Refusal is one refused request.
type Refusal struct {
	Action    string // ActionAccessDenied or ActionCSRFRefused
	Route     string // method and path, e.g. "GET /portal/requests/7"
	Status    int    // the HTTP status answered
	Reason    string // the message the user saw
	SessionID string // the sessions table's id (never the cookie token); "" without a session
}

// refusalState is what a refusal event records besides the actor.
type refusalState struct {
	Route   string `json:"route"`
	Status  int    `json:"status"`
	Session string `json:"session,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// AuditRefusal records a refused request as an audit event naming the
// actor, the session, the client address and the route, unless the session
// (or, without one, the address) has had MaxRefusalsPerMinute of them in
// this minute already. The count lives in the database, so that it holds
// across server instances. It reports whether an event was written.
func (s *Store) AuditRefusal(ctx context.Context, a Actor, r Refusal) (bool, error) {
	now := s.now()
	minute := now.Truncate(time.Minute)
	key := "ip:" + a.IP
	if r.SessionID != "" {
		key = "s:" + r.SessionID
	}
	r.Route, r.Reason = clipRunes(r.Route, 200), clipRunes(r.Reason, 200)
	a.Name = clipRunes(a.Name, 100)
	wrote := false
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var n int
		err := tx.NewRaw(`INSERT INTO refusal_counts (key, minute, n) VALUES (?, ?, 1)
			ON CONFLICT (key) DO UPDATE SET
				n = CASE WHEN refusal_counts.minute = excluded.minute THEN refusal_counts.n + 1 ELSE 1 END,
				minute = excluded.minute
			RETURNING n`, key, minute).Scan(ctx, &n)
		if err != nil {
			return fmt.Errorf("count: %w", err)
		}
		if n == 1 {
			// A new minute for this key: forget the keys idle for a while.
			if _, err := tx.NewDelete().Table("refusal_counts").Where("minute < ?", minute.Add(-10*time.Minute)).Exec(ctx); err != nil {
				return fmt.Errorf("purge counts: %w", err)
			}
		}
		state := refusalState{Route: r.Route, Status: r.Status, Session: r.SessionID}
		ch := Change{Action: r.Action, UnitID: a.UnitID, Branch: a.Branch, ObjectType: "route", ObjectID: r.Route, After: state, Reason: r.Reason}
		switch {
		case n > MaxRefusalsPerMinute+1:
			return nil
		case n == MaxRefusalsPerMinute+1:
			state.Count = n - 1
			ch = Change{Action: ActionRefusalSuppressed, UnitID: a.UnitID, Branch: a.Branch, ObjectType: "route", ObjectID: r.Route, After: state,
				Reason: fmt.Sprintf("本分鐘已記錄 %d 次拒絕，其後的拒絕不再逐筆記錄", n-1)}
		}
		wrote = true
		return audit(ctx, tx, now, a, ch)
	})
	if err != nil {
		return false, fmt.Errorf("models: audit refusal %s: %w", r.Route, err)
	}
	return wrote, nil
}

// clipRunes cuts s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
