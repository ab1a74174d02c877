package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// seedEvents makes n audit events through a real business action.
func seedEvents(t *testing.T, s *models.Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		_, _, err := s.StaffLogin(context.Background(), "", fmt.Sprintf("nobody%d", i), "x", "192.0.2.1", "test")
		if !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("login of an unknown user: %v, want ErrBadCredentials", err)
		}
	}
}

// bypass runs stmt with the append-only triggers out of the way, as an
// attacker with database access would.
func bypass(t *testing.T, db *bun.DB, stmt string) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete", stmt}
	if models.DialectOf(db) == models.Postgres {
		stmts = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER", stmt, "ALTER TABLE audit_events ENABLE TRIGGER USER"}
	}
	for _, s := range stmts { // one at a time: SQLite re-runs a multi-statement string after a schema change
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("tamper: %s: %v", s, err)
		}
	}
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		seedEvents(t, s, 5)
		n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil)
		if err != nil || n != 5 {
			t.Fatalf("VerifyAudit = %d, %v; want 5, nil", n, err)
		}

		t.Run("refuses update and delete", func(t *testing.T) {
			if _, err := db.ExecContext(ctx, "UPDATE audit_events SET reason = 'rewritten' WHERE seq = 2"); err == nil ||
				!strings.Contains(err.Error(), "append-only") {
				t.Errorf("UPDATE: err = %v, want the append-only refusal", err)
			}
			if _, err := db.ExecContext(ctx, "DELETE FROM audit_events WHERE seq = 5"); err == nil ||
				!strings.Contains(err.Error(), "append-only") {
				t.Errorf("DELETE: err = %v, want the append-only refusal", err)
			}
		})

		t.Run("names the tampered event", func(t *testing.T) {
			bypass(t, db, "UPDATE audit_events SET reason = 'rewritten' WHERE seq = 3")
			_, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil)
			var br *models.AuditBreak
			if !errors.As(err, &br) || br.Seq != 3 {
				t.Fatalf("VerifyAudit after tampering with seq 3: %v, want a break at seq 3", err)
			}
		})
	})
}

func TestAuditChainDeletions(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		seedEvents(t, s, 4)
		bypass(t, db, "DELETE FROM audit_events WHERE seq = 4")
		var br *models.AuditBreak
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); !errors.As(err, &br) || br.Seq != 4 {
			t.Fatalf("after deleting the last event: %v, want a break naming seq 4 (the head)", err)
		}
	})
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		seedEvents(t, s, 4)
		bypass(t, db, "DELETE FROM audit_events WHERE seq = 2")
		var br *models.AuditBreak
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); !errors.As(err, &br) || br.Seq != 3 {
			t.Fatalf("after deleting event 2: %v, want a break at seq 3", err)
		}
	})
}

// TestAuditConcurrentWriters checks that writers in parallel transactions
// extend one chain and never fork it.
func TestAuditConcurrentWriters(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 3; j++ {
					s.StaffLogin(ctx, "", fmt.Sprintf("ghost%d-%d", i, j), "x", "192.0.2.9", "test") //nolint:errcheck // always fails: that is the point
				}
			}()
		}
		wg.Wait()
		if n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil || n != 24 {
			t.Fatalf("VerifyAudit after 24 concurrent events = %d, %v", n, err)
		}
	})
}
