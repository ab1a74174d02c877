package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestClerkRenameKeepsData upgrades a database written before migration 16
// (the 承辦人 were "handlers"): the clerks, their filings and the audit
// chain survive, a session of the old kind ends, and clerks can log in and
// be audited under the new names.
func TestClerkRenameKeepsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, d := range modelstest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url := modelstest.URLSQLite(t)
			if d == models.Postgres {
				url = modelstest.MustURLPG(t, false)
			}
			db, err := models.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			if _, err := models.MigrateUp(ctx, db); err != nil {
				t.Fatal(err)
			}
			s, _ := modelstest.NewStore(db)
			if _, err := demo.Seed(ctx, s, 12); err != nil {
				t.Fatal(err)
			}
			var clerks int64
			if clerks, err = db.NewSelect().Table("clerks").Count(ctx); err != nil || clerks == 0 {
				t.Fatalf("clerks after the seed: %d, %v", clerks, err)
			}
			// Back to the schema before the rename, with a clerk's
			// session of the old kind.
			for {
				st, err := models.MigrationStatuses(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				if st[15].Version != 16 {
					t.Fatalf("migration 16 is at %d", 15)
				}
				if st[15].AppliedAt == nil {
					break
				}
				if ok, err := models.MigrateDown(ctx, db); err != nil || !ok {
					t.Fatalf("down: %v, %v", ok, err)
				}
			}
			var h struct {
				ID     int64 `bun:"id"`
				UnitID int64 `bun:"unit_id"`
			}
			if err := db.NewSelect().Table("handlers").Column("id", "unit_id").Limit(1).Scan(ctx, &h); err != nil {
				t.Fatalf("handlers table after down: %v", err)
			}
			now := time.Now().UTC()
			if _, err := db.ExecContext(ctx, `INSERT INTO sessions (id, csrf_token, kind, role, unit_id, handler_id, created_at, last_seen_at, expires_at)
				VALUES (?, ?, 'handler', 'handler', ?, ?, ?, ?, ?)`,
				strings.Repeat("a", 64), strings.Repeat("b", 32), h.UnitID, h.ID, now, now, now.Add(time.Hour)); err != nil {
				t.Fatalf("old session: %v", err)
			}
			if n, err := models.MigrateUp(ctx, db); err != nil || n == 0 {
				t.Fatalf("up again: %d, %v", n, err)
			}
			if n, err := db.NewSelect().Table("clerks").Count(ctx); err != nil || n != clerks {
				t.Errorf("clerks after the rename: %d, %v; want %d", n, err, clerks)
			}
			if n, err := db.NewSelect().Table("sessions").Where("kind = 'handler' OR clerk_id IS NOT NULL").Count(ctx); err != nil || n != 0 {
				t.Errorf("sessions of the old kind left: %d, %v", n, err)
			}
			for _, table := range []string{"filings", "filing_changes"} {
				if _, err := db.NewSelect().Table(table).Where("clerk_id IS NOT NULL").Count(ctx); err != nil {
					t.Errorf("%s.clerk_id after the rename: %v", table, err)
				}
			}
			// The session kind and roles are the new ones now, and the old
			// kind is refused.
			if _, err := db.ExecContext(ctx, `INSERT INTO sessions (id, csrf_token, kind, role, unit_id, clerk_id, created_at, last_seen_at, expires_at)
				VALUES (?, ?, 'handler', 'clerk', ?, ?, ?, ?, ?)`,
				strings.Repeat("c", 64), strings.Repeat("d", 32), h.UnitID, h.ID, now, now, now.Add(time.Hour)); err == nil {
				t.Error("a session of kind 'handler' was stored after the rename")
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO sessions (id, csrf_token, kind, role, unit_id, clerk_id, created_at, last_seen_at, expires_at)
				VALUES (?, ?, 'clerk', 'clerk', ?, ?, ?, ?, ?)`,
				strings.Repeat("e", 64), strings.Repeat("f", 32), h.UnitID, h.ID, now, now, now.Add(time.Hour)); err != nil {
				t.Errorf("a clerk's session: %v", err)
			}
			// A clerk is audited under the new kind, and the chain holds.
			a := models.Actor{Kind: models.ActorKindClerk, ID: h.ID, Name: "承辦人", Role: models.RoleClerk, UnitID: h.UnitID}
			if err := s.RevokeClerk(ctx, a, h.UnitID, h.ID); err != nil {
				t.Fatalf("revoke a clerk, audited as one: %v", err)
			}
			if n, err := db.NewSelect().Table("sessions").Where("clerk_id = ?", h.ID).Count(ctx); err != nil || n != 0 {
				t.Errorf("the revoked clerk's sessions: %d, %v", n, err)
			}
			if _, err := models.VerifyAudit(ctx, db, s.AuditKeys, nil); err != nil {
				t.Errorf("audit chain after the rename: %v", err)
			}
		})
	}
}

// A clerk is read only within a scope that holds their unit: the unit
// itself, its branch, or the head office.
func TestClerkReadsTakeAScope(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 12); err != nil {
			t.Fatal(err)
		}
		var h struct {
			ID     int64  `bun:"id"`
			UnitID int64  `bun:"unit_id"`
			Branch string `bun:"branch_code"`
		}
		if err := db.NewSelect().TableExpr("clerks AS h").ColumnExpr("h.id, h.unit_id, u.branch_code").
			Join("JOIN units AS u ON u.id = h.unit_id").OrderExpr("h.id").Limit(1).Scan(ctx, &h); err != nil {
			t.Fatal(err)
		}
		other := "1"
		if h.Branch == other {
			other = "2"
		}
		for _, c := range []struct {
			name string
			sc   models.Scope
			sees bool
		}{
			{"the unit", models.UnitScope(h.UnitID), true},
			{"its branch", models.BranchScope(&h.Branch), true},
			{"the head office", models.ScopeAll, true},
			{"another unit", models.UnitScope(h.UnitID + 1), false},
			{"another branch", models.BranchScope(&other), false},
			{"no scope", models.Scope{}, false},
		} {
			_, err := models.ClerkByID(ctx, db, c.sc, h.ID)
			list, lerr := models.ClerksOfUnit(ctx, db, c.sc, h.UnitID)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if (err == nil) != c.sees || (len(list) > 0) != c.sees {
				t.Errorf("%s: ClerkByID error %v, ClerksOfUnit %d; want seen = %v", c.name, err, len(list), c.sees)
			}
		}
	})
}
