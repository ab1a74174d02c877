package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestAuditRefusalBounded(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		store, clock := modelstest.NewStore(db)
		staff := models.Actor{Kind: "staff", ID: 1, Name: "taipei.staff", Role: "staff", IP: "192.0.2.7"}
		anon := models.Actor{Kind: "anonymous", IP: "192.0.2.8"}
		refuse := func(a models.Actor, session string) bool {
			t.Helper()
			wrote, err := store.AuditRefusal(ctx, a, models.Refusal{Action: models.ActionCSRFRefused, Route: "POST /console/logout",
				Status: 403, Reason: "頁面已逾時", SessionID: session})
			if err != nil {
				t.Fatal(err)
			}
			return wrote
		}
		count := func(action string) int64 {
			t.Helper()
			n, err := db.NewSelect().Model((*models.AuditEvent)(nil)).Where("action = ?", action).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		written := 0
		for i := 0; i < 50; i++ {
			if refuse(staff, "session-a") {
				written++
			}
		}
		if written != models.MaxRefusalsPerMinute+1 {
			t.Errorf("50 refusals of one session wrote %d events, want %d", written, models.MaxRefusalsPerMinute+1)
		}
		if n := count(models.ActionRefusalSuppressed); n != 1 {
			t.Errorf("%d suppressed events, want 1", n)
		}
		if !refuse(staff, "session-b") {
			t.Error("another session's refusal was suppressed")
		}
		if !refuse(anon, "") {
			t.Error("an anonymous client's first refusal was suppressed")
		}
		clock.Advance(time.Minute)
		if !refuse(staff, "session-a") {
			t.Error("the next minute's refusal was suppressed")
		}
		if n := count(models.ActionCSRFRefused); n != int64(models.MaxRefusalsPerMinute+3) {
			t.Errorf("%d csrf.refused events, want %d", n, models.MaxRefusalsPerMinute+3)
		}
	})
}
