package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/uptrace/bun"
)

var roleNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// GrantAppRole gives the PostgreSQL role the server runs as the rights it
// needs and no more. db must be connected as the schema's owner (the role
// that migrates), and role must already exist, log in, and be neither that
// owner nor a superuser: only an owner or a superuser can switch the
// append-only triggers off.
//
// The role may SELECT, INSERT, UPDATE and DELETE the ordinary tables; of
// audit_events only SELECT and INSERT, of audit_head only SELECT and UPDATE
// (the chain's tip), of schema_migrations only SELECT; TRUNCATE nothing. It
// runs after every migration, so that new tables are covered. Dialect
// specific: PostgreSQL only.
func GrantAppRole(ctx context.Context, db *bun.DB, role string) error {
	if DialectOf(db) != Postgres {
		return errors.New("models: grant app role: PostgreSQL only (SQLite has no roles)")
	}
	if !roleNamePattern.MatchString(role) {
		return fmt.Errorf("models: grant app role: %q: want a lower-case role name of letters, digits and _", role)
	}
	var who struct {
		Current string `bun:"current_user"`
		DB      string `bun:"db"`
		Schema  string `bun:"schema"`
	}
	if err := db.NewRaw("SELECT current_user, current_database() AS db, current_schema() AS schema").Scan(ctx, &who); err != nil {
		return fmt.Errorf("models: grant app role: %w", err)
	}
	var super []bool
	if err := db.NewRaw("SELECT rolsuper FROM pg_roles WHERE rolname = ?", role).Scan(ctx, &super); err != nil {
		return fmt.Errorf("models: grant app role: %w", err)
	}
	switch {
	case len(super) == 0:
		return fmt.Errorf("models: grant app role: no role %q: create it first (CREATE ROLE %s LOGIN PASSWORD '…')", role, role)
	case super[0]:
		return fmt.Errorf("models: grant app role: %q is a superuser: the server's role must not be", role)
	case role == who.Current:
		return fmt.Errorf("models: grant app role: %q is the role that migrates: the server needs a role of its own", role)
	}
	r, sch := bun.Ident(role), bun.Ident(who.Schema)
	stmts := []struct {
		q    string
		args []any
	}{
		{"GRANT CONNECT ON DATABASE ? TO ?", []any{bun.Ident(who.DB), r}},
		{"GRANT USAGE ON SCHEMA ? TO ?", []any{sch, r}},
		{"REVOKE ALL ON ALL TABLES IN SCHEMA ? FROM ?", []any{sch, r}},
		{"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ? TO ?", []any{sch, r}},
		{"REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM ?", []any{r}},
		{"REVOKE UPDATE, DELETE ON audit_events FROM ?", []any{r}},
		{"REVOKE INSERT, DELETE ON audit_head FROM ?", []any{r}},
		{"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ? TO ?", []any{sch, r}},
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Serialised with migrations: several instances start at once.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7432001)"); err != nil {
			return fmt.Errorf("models: grant app role: lock: %w", err)
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("models: grant app role %s: %w", role, err)
			}
		}
		return nil
	})
}
