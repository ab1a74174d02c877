package jobs_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/jobs"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestAuditCheckpointJob: with an AuditCheckpointer the runner writes a
// checkpoint of the audit chain at start (then hourly), as a real store's
// checkpointer does it.
func TestAuditCheckpointJob(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		store, _ := modelstest.NewStore(db)
		st := &models.Staff{Username: "aud1", Name: "稽核甲", Role: "auditor", Email: "aud1@example.org"}
		if err := store.CreateStaff(ctx, models.SystemActor, st, "correct horse battery staple"); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "audit-checkpoint.json")
		r, err := jobs.Start(ctx, jobs.Fast(jobs.Config{
			DB: db, Work: &fakeWork{}, Log: quiet, Audit: &models.AuditCheckpointer{Store: store, Path: path},
			Now: func() time.Time { return modelstest.Clock }, PollInterval: 20 * time.Millisecond,
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := r.Stop(sctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}()
		var cp *models.AuditCheckpoint
		waitFor(t, "the audit checkpoint file", func() bool {
			cp, err = models.ReadAuditCheckpoint(path)
			return err == nil
		})
		if cp.Seq != 1 || cp.KeyID != modelstest.AuditKeys.CurrentID() {
			t.Errorf("checkpoint %+v, want seq 1 signed with %s", cp, modelstest.AuditKeys.CurrentID())
		}
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, cp); err != nil {
			t.Errorf("VerifyAudit with the job's checkpoint: %v", err)
		}
	})
}
