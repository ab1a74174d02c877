package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestMigrateUpDown runs every migration up, all the way down, and up again
// on each database, checking the status in between.
func TestMigrateUpDown(t *testing.T) {
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
