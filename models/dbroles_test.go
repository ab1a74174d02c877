package models_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestAuditAppRolePostgres: the role the server runs as can write audit
// events but not change, remove or empty them, nor switch the triggers off.
func TestAuditAppRolePostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ownerURL := modelstest.MustURLPG(t, true)
	if ownerURL == "" {
		return
	}
	owner, err := models.Open(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(owner) })

	role := fmt.Sprintf("mctest_app_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	if _, err := owner.ExecContext(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'app'"); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ownerURL)
	u.User = url.UserPassword(role, "app")
	var app *bun.DB
	t.Cleanup(func() {
		if app != nil {
			models.Close(app)
		}
		for _, q := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := owner.ExecContext(ctx, q); err != nil {
				t.Errorf("cleanup: %s: %v", q, err)
			}
		}
	})

	var owned string
	if err := owner.NewRaw("SELECT current_user").Scan(ctx, &owned); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{owned, "no_such_role_x", "Robert'); DROP TABLE units;--"} {
		if err := models.GrantAppRole(ctx, owner, bad); err == nil {
			t.Errorf("GrantAppRole(%q) accepted", bad)
		}
	}
	if err := models.GrantAppRole(ctx, owner, role); err != nil {
		t.Fatal(err)
	}
	if err := models.GrantAppRole(ctx, owner, role); err != nil {
		t.Fatalf("GrantAppRole again (every start runs it): %v", err)
	}
	if app, err = models.Open(ctx, u.String()); err != nil {
		t.Fatal(err)
	}

	// What the server does works.
	s, _ := modelstest.NewStore(app)
	seedEvents(t, s, 3)
	if n, err := models.VerifyAudit(ctx, app, modelstest.AuditKeys, nil); err != nil || n != 3 {
		t.Fatalf("VerifyAudit as the app role = %d, %v", n, err)
	}
	if err := models.CheckSchema(ctx, app); err != nil {
		t.Errorf("CheckSchema (/readyz) as the app role: %v", err)
	}
	if _, err := app.ExecContext(ctx, "UPDATE units SET phone = phone WHERE 1 = 0"); err != nil {
		t.Errorf("UPDATE of an ordinary table: %v", err)
	}

	// What an intruder with the server's credentials would try does not.
	for _, q := range []string{
		"UPDATE audit_events SET reason = 'rewritten' WHERE seq = 2",
		"DELETE FROM audit_events WHERE seq = 3",
		"TRUNCATE audit_events",
		"ALTER TABLE audit_events DISABLE TRIGGER USER",
		"ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
		"DROP TRIGGER audit_events_no_update ON audit_events",
		"DELETE FROM audit_head",
		"INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, '" + fmt.Sprintf("%064d", 0) + "')",
		"TRUNCATE units",
		"DELETE FROM schema_migrations",
		"CREATE TABLE intruder (x INTEGER)",
	} {
		_, err := app.ExecContext(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" { // insufficient_privilege
			t.Errorf("%s as the app role: %v; want permission denied (42501)", q, err)
		}
	}
	if n, err := models.VerifyAudit(ctx, owner, modelstest.AuditKeys, nil); err != nil || n != 3 {
		t.Fatalf("after the attempts VerifyAudit = %d, %v; want the 3 events intact", n, err)
	}
}
