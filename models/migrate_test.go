package models_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of the lock holder
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestMigrateUpDown runs every migration up, all the way down, and up again
// on each database, checking the status in between.
func TestMigrateUpDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, d := range modelstest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			var url string
			if d == models.Postgres {
				url = modelstest.MustURLPG(t, false)
			} else {
				url = modelstest.URLSQLite(t)
			}
			db, err := models.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			if err := models.CheckSchema(ctx, db); err == nil {
				t.Fatal("CheckSchema on an empty database: want an error")
			}
			n, err := models.MigrateUp(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := models.MigrationStatuses(ctx, db)
			if n != len(st) || n == 0 {
				t.Fatalf("MigrateUp applied %d, want all %d", n, len(st))
			}
			if err := models.CheckSchema(ctx, db); err != nil {
				t.Fatalf("CheckSchema after up: %v", err)
			}
			if n, _ := models.MigrateUp(ctx, db); n != 0 {
				t.Fatalf("second MigrateUp applied %d, want 0", n)
			}
			for i := 0; ; i++ {
				ok, err := models.MigrateDown(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					if i != len(st) {
						t.Fatalf("went down %d migrations, want %d", i, len(st))
					}
					break
				}
			}
			var tables []string
			q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
			if d == models.Postgres {
				q = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
			}
			if err := db.NewRaw(q).Scan(ctx, &tables); err != nil {
				t.Fatal(err)
			}
			if strings.Join(tables, ",") != "schema_migrations" {
				t.Fatalf("tables left after all downs: %v, want only schema_migrations", tables)
			}
			if n, err := models.MigrateUp(ctx, db); err != nil || n != len(st) {
				t.Fatalf("up again: %d, %v", n, err)
			}
		})
	}
}

// TestMigrateConcurrently starts the migrations of three instances at once
// on one empty database: all succeed and each migration is applied once.
// On PostgreSQL a fourth holder of the migration lock makes them wait, and
// when its process dies (the connection ends) they go on: nothing stale is
// left behind as bun's lock row would be.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, d := range modelstest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url := modelstest.URLSQLite(t)
			if d == models.Postgres {
				url = modelstest.MustURLPG(t, false)
			}
			var holder *sql.Conn
			if d == models.Postgres {
				db, err := sql.Open("pgx", url)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if holder, err = db.Conn(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_lock(7432001)"); err != nil {
					t.Fatal(err)
				}
			}
			type result struct {
				n   int
				err error
			}
			results := make(chan result, 3)
			var dbs []*bun.DB
			for range cap(results) {
				db, err := models.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				defer models.Close(db)
				dbs = append(dbs, db)
			}
			for _, db := range dbs {
				go func() {
					n, err := models.MigrateUp(ctx, db)
					results <- result{n, err}
				}()
			}
			if holder != nil {
				select {
				case r := <-results:
					t.Fatalf("MigrateUp = %d, %v while another process held the lock; want it to wait", r.n, r.err)
				case <-time.After(300 * time.Millisecond):
				}
				holder.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // the holder's process dies
				holder.Close()
			}
			total := 0
			for range cap(results) {
				select {
				case r := <-results:
					if r.err != nil {
						t.Fatal(r.err)
					}
					total += r.n
				case <-time.After(60 * time.Second):
					t.Fatal("MigrateUp still waiting")
				}
			}
			db, err := models.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			st, err := models.MigrationStatuses(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(st) {
				t.Errorf("the three instances applied %d migrations in all, want each of the %d once", total, len(st))
			}
			if err := models.CheckSchema(ctx, db); err != nil {
				t.Error(err)
			}
		})
	}
}
