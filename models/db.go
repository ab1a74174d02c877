// Package models holds the bun entities, the schema migrations and the store:
// one method per business action, run in one transaction that also writes its
// audit event. The same code runs on SQLite (the embedded default) and on
// PostgreSQL (production).
package models

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// Dialect names the database kind behind a *bun.DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DialectOf returns the dialect of db.
func DialectOf(db bun.IDB) Dialect {
	if db.Dialect().Name().String() == "pg" {
		return Postgres
	}
	return SQLite
}

// pools remembers the pgx pool behind each PostgreSQL *bun.DB: closing the
// *sql.DB made from a pool does not close the pool.
var pools sync.Map // *bun.DB → *pgxpool.Pool

// Close closes db and, on PostgreSQL, the connection pool behind it.
func Close(db *bun.DB) error {
	forgetStmts(db)
	err := db.Close()
	if p, ok := pools.LoadAndDelete(db); ok {
		p.(*pgxpool.Pool).Close()
	}
	return err
}

// PgxPool returns the pgx pool behind a PostgreSQL db, or nil.
func PgxPool(db *bun.DB) *pgxpool.Pool {
	if p, ok := pools.Load(db); ok {
		return p.(*pgxpool.Pool)
	}
	return nil
}

// privateFile makes the SQLite file readable by its owner only before
// SQLite opens it: a new data directory is created 0700 and a new file
// 0600 (SQLite gives its -wal and -shm files the database file's mode); an
// existing file, and its -wal and -shm, are narrowed to 0600.
func privateFile(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open connects to the database named by url: postgres://… or
// sqlite:PATH (file:PATH also accepted). SQLite files get WAL, a busy timeout,
// foreign keys and immediate transactions, and one connection, so that
// writers queue instead of failing with "database is locked".
func Open(ctx context.Context, url string) (*bun.DB, error) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("models: open postgres: %w", err)
		}
		sqldb := stdlib.OpenDBFromPool(pool)
		db := bun.NewDB(sqldb, pgdialect.New())
		pools.Store(db, pool)
		if err := db.PingContext(ctx); err != nil {
			Close(db)
			return nil, fmt.Errorf("models: ping postgres: %w", err)
		}
		return db, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return nil, fmt.Errorf("models: open sqlite: empty path in %q", url)
	}
	if err := privateFile(path); err != nil {
		return nil, fmt.Errorf("models: open sqlite: %w", err)
	}
	// The path goes into an SQLite URI: escape what would end it early.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	dsn := "file:" + esc + "?" + sqlitePragmas + "&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("models: open sqlite: %w", err)
	}
	// One connection writes: SQLite has one writer at a time, and IMMEDIATE
	// transactions queue in Go rather than failing busy. Reads may use the
	// separate pool of OpenReads.
	sqldb.SetMaxOpenConns(1)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("models: ping sqlite: %w", err)
	}
	// Statistics for the query planner, as SQLite advises for a
	// long-lived connection: bounded work, only tables that need it. It
	// writes, so it can meet another process's write lock (a migration in
	// progress): the statistics are an optimisation, the open goes on.
	_, _ = db.ExecContext(ctx, "PRAGMA analysis_limit=400; PRAGMA optimize=0x10002")
	return db, nil
}

// sqlitePragmas are the settings of every SQLite connection: WAL (readers
// never wait for the writer), a busy timeout, foreign keys, a 64 MiB page
// cache and 256 MiB of memory-mapped reads (with the default 2 MiB cache a
// national-size database was read page by page with a system call each,
// half the CPU time of a unit's page).
const sqlitePragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)&_time_format=sqlite"

// OpenReads opens a pool of read-only connections to the SQLite database
// db writes, so that pages and exports read in parallel instead of queueing
// behind each other and behind writes on db's one connection (WAL lets
// readers see the last commit while a write is in progress). It returns
// nil for PostgreSQL, whose pool serves both. Each connection refuses
// writes (query_only), so a write sent to it by mistake fails loudly.
func OpenReads(ctx context.Context, db *bun.DB, conns int) (*bun.DB, error) {
	if DialectOf(db) == Postgres {
		return nil, nil
	}
	var seq int
	var name, path string
	if err := db.QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &name, &path); err != nil {
		return nil, fmt.Errorf("models: open reads: %w", err)
	}
	if path == "" {
		return nil, fmt.Errorf("models: open reads: the database has no file")
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	sqldb, err := sql.Open("sqlite", "file:"+esc+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("models: open reads: %w", err)
	}
	sqldb.SetMaxOpenConns(conns)
	sqldb.SetMaxIdleConns(conns)
	reads := bun.NewDB(sqldb, sqlitedialect.New())
	if err := reads.PingContext(ctx); err != nil {
		reads.Close()
		return nil, fmt.Errorf("models: open reads: %w", err)
	}
	return reads, nil
}

// Analyze refreshes the query planner's statistics after a bulk load (the
// demo's): on SQLite PRAGMA optimize; on PostgreSQL VACUUM ANALYZE, which
// autovacuum would run later (or never, where it is turned off: the unit
// search by name then read 100,000 units instead of a few hundred bigrams,
// and no index-only scan could skip the table), after compacting
// unit_counts. Each unit a batch inserts leaves a dead version of its
// branch's counter row, which the batch's own transaction keeps from being
// pruned: after 100,000 units the six rows lay at the end of 1,300 pages
// that every console home page read (27 ms, 130 ms from disk), and a plain
// VACUUM frees those pages but cannot give them back. VACUUM FULL rewrites
// the six rows (a moment's lock on a table the load is done with); a role
// that does not own the table is only warned.
func Analyze(ctx context.Context, db *bun.DB) error {
	stmts := []string{"PRAGMA optimize=0x10002"}
	if DialectOf(db) == Postgres {
		stmts = []string{"VACUUM FULL unit_counts", "VACUUM FULL audit_counts", "VACUUM FULL work_counts", "VACUUM ANALYZE"}
	}
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("models: analyze: %w", err)
		}
	}
	return nil
}
