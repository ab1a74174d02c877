package models

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// AuditForTest writes an audit event at the moment at, in its own
// transaction, as a business action would, and returns its id. Tests of
// package models_test use it to make decisions (DecisionActions) that no
// store action makes yet, and events of a chosen day.
func (s *Store) AuditForTest(ctx context.Context, at time.Time, a Actor, ch Change) (int64, error) {
	var id int64
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := audit(ctx, tx, at, a, ch); err != nil {
			return err
		}
		return tx.NewRaw("SELECT e.id FROM audit_events AS e JOIN audit_head AS h ON h.seq = e.seq WHERE h.id = 1").Scan(ctx, &id)
	})
	if err != nil {
		return 0, fmt.Errorf("audit for test: %w", err)
	}
	return id, nil
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		xs     []float64
		p      float64
		want   float64
		reason string
	}{
		{[]float64{5}, 0.5, 5, "one value"},
		{[]float64{1, 3}, 0.5, 2, "even count: the mean of the middle two"},
		{[]float64{1, 2, 3}, 0.5, 2, "odd count: the middle one"},
		{[]float64{3600, 7200}, 0.9, 6840, "between the two ranks"},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9.1, "as Excel's PERCENTILE.INC"},
		{[]float64{0, 100}, 1, 100, "the maximum"},
		{[]float64{0, 100}, 0, 0, "the minimum"},
	}
	for _, tt := range tests {
		if got := percentile(tt.xs, tt.p); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("percentile(%v, %v) = %v, want %v (%s)", tt.xs, tt.p, got, tt.want, tt.reason)
		}
	}
	if got := summarise(nil); got != (WaitStats{}) {
		t.Errorf("summarise(nil) = %+v, want zero", got)
	}
	got := summarise([]float64{7200, 3600, 36000})
	want := WaitStats{N: 3, Mean: 15600, Median: 7200, P90: 30240}
	if got != want {
		t.Errorf("summarise = %+v, want %+v", got, want)
	}
}

func TestWaitedSeconds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		after string
		want  float64
		ok    bool
	}{
		{`{"waited_seconds":3600}`, 3600, true},
		{`{"waited_seconds":90.5,"status":"approved"}`, 90.5, true},
		{`{"status":"approved"}`, 0, false},
		{`{"waited_seconds":"3600"}`, 0, false},
		{`{"waited_seconds":-5}`, 0, false},
		{`[1,2]`, 0, false},
		{`not json`, 0, false},
		{``, 0, false},
	}
	for _, tt := range tests {
		got, ok := waitedSeconds(tt.after)
		if got != tt.want || ok != tt.ok {
			t.Errorf("waitedSeconds(%q) = %v, %v; want %v, %v", tt.after, got, ok, tt.want, tt.ok)
		}
	}
}

// TestDayBounds checks that a calendar date means the whole day in Taipei.
func TestDayBounds(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // as rocdate.Parse("115/03/02") returns it
	if got, want := dayStart(d), time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("dayStart = %v, want %v in UTC", got, want)
	}
	if got, want := dayEnd(d), time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("dayEnd = %v, want %v", got, want)
	}
	if got, want := dayEnd(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)), time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("dayEnd at the year's end = %v, want %v", got, want)
	}
}

func TestAuditFilterParams(t *testing.T) {
	t.Parallel()
	f := AuditFilter{ActorKind: "staff", Actor: " taipei ", Action: "unit.close",
		From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Page: 3}
	got := f.Params()
	want := map[string]string{"actor_kind": "staff", "actor": "taipei", "action": "unit.close", "from": "2026-03-01"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Params = %v, want %v", got, want)
	}
}
