// Package modelstest opens fresh, migrated databases for tests: SQLite
// always, PostgreSQL when MULTICERT_TEST_PG names a server. Each test gets a
// database of its own; on PostgreSQL it is cloned from a per-package template
// and dropped when the test ends.
package modelstest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for the admin connection
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
)

// EnvPG is the variable naming the PostgreSQL server for tests.
const EnvPG = "MULTICERT_TEST_PG"

// Clock is the fixed time tests start at: 2026-03-02 09:00 in Taipei.
var Clock = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

var (
	skipOnce sync.Once
	pg       struct {
		once     sync.Once
		err      error
		admin    *sql.DB
		base     string // URL up to the database name
		query    string // the URL's query, e.g. ?sslmode=disable
		template string
		n        atomic.Int64
	}
)

// EachDB runs fn as a subtest on SQLite and, when configured, on PostgreSQL.
func EachDB(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, MustOpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		db := MustOpenPG(t)
		if db == nil {
			return
		}
		fn(t, db)
	})
}

// Dialects returns the dialects tests will run on here.
func Dialects() []models.Dialect {
	if os.Getenv(EnvPG) != "" {
		return []models.Dialect{models.SQLite, models.Postgres}
	}
	return []models.Dialect{models.SQLite}
}

// MustOpen opens a fresh migrated database of the given dialect, or skips
// when that dialect is not configured.
func MustOpen(tb testing.TB, d models.Dialect) *bun.DB {
	tb.Helper()
	if d == models.Postgres {
		db := MustOpenPG(tb)
		if db == nil {
			tb.SkipNow()
		}
		return db
	}
	return MustOpenSQLite(tb)
}

// MustOpenSQLite opens a fresh migrated SQLite database in a temporary directory.
func MustOpenSQLite(tb testing.TB) *bun.DB {
	tb.Helper()
	db, err := models.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { models.Close(db) })
	if _, err := models.MigrateUp(context.Background(), db); err != nil {
		tb.Fatal(err)
	}
	return db
}

// URLSQLite returns a URL for a fresh, not yet migrated SQLite database.
func URLSQLite(tb testing.TB) string {
	return "sqlite:" + filepath.Join(tb.TempDir(), "test.db")
}

// MustOpenPG opens a fresh migrated PostgreSQL database. Without
// MULTICERT_TEST_PG it says so once and returns nil (the caller skips); with
// it, an unreachable server fails the test.
func MustOpenPG(tb testing.TB) *bun.DB {
	tb.Helper()
	u := MustURLPG(tb, true)
	if u == "" {
		return nil
	}
	db, err := models.Open(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { models.Close(db) })
	return db
}

// MustURLPG creates a fresh PostgreSQL database and returns its URL; it is
// dropped when the test ends. With migrated false the database is empty.
// Without MULTICERT_TEST_PG it returns "".
func MustURLPG(tb testing.TB, migrated bool) string {
	tb.Helper()
	raw := os.Getenv(EnvPG)
	if raw == "" {
		skipOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "modelstest: %s is not set: PostgreSQL tests are skipped\n", EnvPG)
		})
		tb.Skipf("%s not set", EnvPG)
		return ""
	}
	pg.once.Do(func() { pg.err = setupPG(raw) })
	if pg.err != nil {
		tb.Fatalf("PostgreSQL at %s: %v", EnvPG, pg.err)
	}
	name := fmt.Sprintf("%s_%d", strings.TrimSuffix(pg.template, "_tmpl"), pg.n.Add(1))
	stmt := "CREATE DATABASE " + name
	if migrated {
		stmt += " TEMPLATE " + pg.template
	}
	if _, err := pg.admin.Exec(stmt); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := pg.admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	return pg.base + name + pg.query
}

func setupPG(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.RawQuery != "" {
		pg.query = "?" + u.RawQuery
	}
	u.RawQuery = ""
	u.Path = "/"
	pg.base = u.String()
	admin, err := sql.Open("pgx", raw)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		return fmt.Errorf("cannot reach the server: %w", err)
	}
	admin.SetMaxOpenConns(2)
	pg.admin = admin
	pg.template = fmt.Sprintf("mctest_%d_%d_tmpl", os.Getpid(), time.Now().UnixNano()%1e6)
	if _, err := admin.Exec("CREATE DATABASE " + pg.template); err != nil {
		return err
	}
	db, err := models.Open(ctx, pg.base+pg.template+pg.query)
	if err != nil {
		return err
	}
	defer models.Close(db)
	_, err = models.MigrateUp(ctx, db)
	return err
}

// Main runs the tests of a package and then drops its PostgreSQL template.
// Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if pg.admin != nil {
		pg.admin.Exec("DROP DATABASE IF EXISTS " + pg.template + " WITH (FORCE)") //nolint:errcheck // best effort at exit
		pg.admin.Close()
	}
	return code
}

// AuditKeys are the audit keys of test stores: one key, id "test-1".
var AuditKeys = MustAuditKeys("test-1")

// MustAuditKeys returns keys with the given ids, each key derived from its
// id (tests only), the last one current.
func MustAuditKeys(ids ...string) *models.AuditKeys {
	var entries []string
	for _, id := range ids {
		sum := sha256.Sum256([]byte("multicert test audit key " + id))
		entries = append(entries, id+":"+base64.StdEncoding.EncodeToString(sum[:]))
	}
	k, err := models.ParseAuditKeys(strings.Join(entries, "\n"))
	if err != nil {
		panic(err)
	}
	return k
}

// NewStore returns a store on db with the fixed test clock and AuditKeys.
func NewStore(db *bun.DB) (*models.Store, *Time) {
	s := models.NewStore(db)
	s.AuditKeys = AuditKeys
	clk := &Time{t: Clock}
	s.Now = clk.Now
	return s, clk
}

// Time is a settable clock for tests.
type Time struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Time) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Time) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
