package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestAuditCheckpointCommand: the key file is made on first use and never
// reaches the database or the output; `audit checkpoint` writes the head
// outside the database, and `audit verify` then sees the newest events
// removed, and refuses a chain verified with another key.
func TestAuditCheckpointCommand(t *testing.T) {
	for name, dbURL := range dbURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dataDir := t.TempDir()
			e := env("MULTICERT_DB", dbURL, "MULTICERT_DATA_DIR", dataDir, "MULTICERT_LOG_LEVEL", "error")
			var out bytes.Buffer
			if err := run(ctx, []string{"demo", "--units", "5"}, &out, e); err != nil {
				t.Fatal(err)
			}
			keyPath := filepath.Join(dataDir, "audit.key")
			st, err := os.Stat(keyPath)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v, %v; want mode 0600", st, err)
			}
			keyText, _ := os.ReadFile(keyPath)
			keys, err := models.ParseAuditKeys(string(keyText))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(keyText)), "\n")
			secret := strings.SplitN(lines[len(lines)-1], ":", 2)[1]

			for _, step := range []struct{ args, want []string }{
				{[]string{"audit", "verify"}, []string{"no checkpoint at", "OK:", keys.CurrentID()}},
				{[]string{"audit", "checkpoint"}, []string{"checkpoint written to " + filepath.Join(dataDir, "audit-checkpoint.json"), `{"seq":`}},
				{[]string{"audit", "verify"}, []string{"OK:", "it reaches the checkpoint of"}},
			} {
				out.Reset()
				if err := run(ctx, step.args, &out, e); err != nil {
					t.Fatalf("%v: %v\n%s", step.args, err, out.String())
				}
				for _, w := range step.want {
					if !strings.Contains(out.String(), w) {
						t.Errorf("%v printed %q, want %q", step.args, out.String(), w)
					}
				}
				if strings.Contains(out.String(), secret) {
					t.Errorf("%v printed the key", step.args)
				}
			}
			db, err := models.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			var found int
			if err := db.NewRaw("SELECT count(*) FROM audit_events WHERE before_json LIKE ? OR after_json LIKE ? OR reason LIKE ?",
				"%"+secret+"%", "%"+secret+"%", "%"+secret+"%").Scan(ctx, &found); err != nil || found != 0 {
				t.Errorf("the key is in %d audit events (%v)", found, err)
			}
			if name == "sqlite" {
				u := strings.TrimPrefix(dbURL, "sqlite:")
				for _, f := range []string{u, u + "-wal"} {
					if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(secret)) {
						t.Errorf("the key is in %s", f)
					}
				}
			}

			t.Run("another key", func(t *testing.T) {
				other := filepath.Join(t.TempDir(), "other.key")
				entry, _ := models.NewAuditKeyEntry(time.Now())
				if err := os.WriteFile(other, []byte(entry+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				e2 := env("MULTICERT_DB", dbURL, "MULTICERT_DATA_DIR", dataDir, "MULTICERT_AUDIT_KEY_FILE", other)
				err := run(ctx, []string{"audit", "verify", "--checkpoint", filepath.Join(dataDir, "audit-checkpoint.json")}, &out, e2)
				if err == nil || !strings.Contains(err.Error(), "signature does not verify") {
					t.Errorf("verify with another key: %v; want the checkpoint refused", err)
				}
				// The key file and a new key in the environment: the chain verifies.
				e3 := env("MULTICERT_DB", dbURL, "MULTICERT_DATA_DIR", dataDir, "MULTICERT_AUDIT_KEY", entry)
				out.Reset()
				if err := run(ctx, []string{"audit", "verify"}, &out, e3); err != nil {
					t.Errorf("verify with the old and a new key: %v", err)
				}
			})

			// Remove the two newest events and rewind the head.
			var head int64
			if err := db.NewRaw("SELECT seq FROM audit_head").Scan(ctx, &head); err != nil {
				t.Fatal(err)
			}
			stmts := []string{"DROP TRIGGER audit_events_no_delete"}
			if models.DialectOf(db) == models.Postgres {
				stmts = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
			}
			stmts = append(stmts, fmt.Sprintf("DELETE FROM audit_events WHERE seq > %d", head-2),
				fmt.Sprintf("UPDATE audit_head SET seq = %d, hash = (SELECT hash FROM audit_events WHERE seq = %d) WHERE id = 1", head-2, head-2))
			for _, s := range stmts {
				if _, err := db.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			err = run(ctx, []string{"audit", "verify"}, &out, e)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("seq %d", head-1)) ||
				!strings.Contains(err.Error(), "events were removed from the end") {
				t.Fatalf("verify after truncation: %v; want the break at seq %d named", err, head-1)
			}
			if err := run(ctx, []string{"audit", "verify", "--checkpoint", filepath.Join(dataDir, "nothing.json")}, &out, e); err == nil {
				t.Error("verify with a missing checkpoint file: want an error")
			}
		})
	}
}

// TestServeAsAppRole runs the server on PostgreSQL as a role of its own,
// with the schema's owner migrating, as docker-compose does.
func TestServeAsAppRole(t *testing.T) {
	ownerURL := modelstest.MustURLPG(t, false)
	if ownerURL == "" {
		return
	}
	ctx := context.Background()
	owner, err := models.Open(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(owner) }) // after the role is dropped
	role := fmt.Sprintf("mctest_srv_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	if _, err := owner.ExecContext(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'app'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, q := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := owner.ExecContext(ctx, q); err != nil {
				t.Errorf("cleanup: %s: %v", q, err)
			}
		}
	})
	u, _ := url.Parse(ownerURL)
	u.User = url.UserPassword(role, "app")
	// As scripts/postgres-roles.sql: the role may connect only once granted.
	if _, err := owner.ExecContext(ctx, "REVOKE ALL ON DATABASE "+strings.TrimPrefix(u.Path, "/")+" FROM PUBLIC"); err != nil {
		t.Fatal(err)
	}

	addr, dataDir := freeAddr(t), t.TempDir()
	sctx, cancel := context.WithCancel(ctx)
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() {
		done <- run(sctx, []string{"serve"}, out, env("MULTICERT_DB", u.String(), "MULTICERT_MIGRATE_DB", ownerURL,
			"MULTICERT_ADDR", addr, "MULTICERT_LOG_LEVEL", "warn", "MULTICERT_DATA_DIR", dataDir))
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v\n%s", err, out.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
	}()
	var status int
	for i := 0; i < 150 && status != http.StatusOK; i++ {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			status = res.StatusCode
			res.Body.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != http.StatusOK {
		t.Fatalf("readyz as the app role: %d\n%s", status, out.String())
	}
	// The hourly checkpoint runs at start, as the app role.
	cp := filepath.Join(dataDir, "audit-checkpoint.json")
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(cp); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := models.ReadAuditCheckpoint(cp); err != nil {
		t.Errorf("checkpoint written by the server's job: %v", err)
	}
	var super bool
	if err := owner.NewRaw("SELECT rolsuper FROM pg_roles WHERE rolname = ?", role).Scan(ctx, &super); err != nil || super {
		t.Errorf("the app role is a superuser (%v)", err)
	}
}
