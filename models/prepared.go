package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// params sends a query's values as numbered parameters ($1, $2, …)
// instead of writing them into its text, as bun does. With the values in
// the text every unit's page is a new statement: SQLite parses and plans
// it again (a quarter of the CPU time of a unit's page, ten statements a
// page) and pgx prepares it again on PostgreSQL (one more round trip each).
// With parameters the text is the same for every unit, so SQLite's
// statement is prepared once per connection and kept (stmtCache), and
// pgx's statement cache finds it.
//
// Use it on the statements of the busy pages:
//
//	p := bind(db)
//	q := db.NewSelect().Conn(p).Model(&evs).Where("unit_id = ?", p.ID(unitID))
//
// Only identifiers and free text go through p (ID, Text): the values the
// query planner must see to choose a partial index (a status of
// 'pending', say) stay in the text, and so do LIMIT and OFFSET (bun's
// Count drops them, and PostgreSQL refuses a parameter a statement does
// not use). SQLite and PostgreSQL both read $N (modernc's driver binds
// $N to the N-th argument).
//
// PostgreSQL may run a statement prepared five times with a generic plan,
// which saves planning it each time: forcing a custom plan per run
// (plan_cache_mode) took the unit page from 590 to 210 pages a second at
// national size. The generic plans of the unit page's statements were
// checked (EXPLAIN with force_generic_plan): the same index scans.
type params struct {
	db     bun.IDB
	raw    querier // the database/sql handle under db
	pool   *bun.DB // db when it is the pool: its statements may be cached
	args   []any
	inline bool // values go into the text, as bun writes them; nothing cached
}

// querier is what *sql.DB, *sql.Tx and *sql.Conn share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// bind starts the parameters of one query on db (the pool, a transaction
// or a connection: bun's three kinds of handle).
func bind(db bun.IDB) *params {
	p := &params{db: db}
	switch d := db.(type) {
	case *bun.DB:
		p.raw, p.pool = d.DB, d
	case bun.Tx:
		p.raw = d.Tx
	case bun.Conn:
		p.raw = d.Conn
	default:
		panic(fmt.Sprintf("models: bind on a %T", db))
	}
	return p
}

// bindFirstPage is bind for the first page of a list, and for any later
// page a query with its values in the text and nothing cached: OFFSET
// stays in the text (see above), and a cached text per page would fill
// the cache with pages nobody opens twice.
func bindFirstPage(db bun.IDB, page int) *params {
	p := bind(db)
	p.inline = page > 1
	return p
}

func (p *params) add(v any) any {
	if p == nil || p.inline {
		return v
	}
	p.args = append(p.args, v)
	return bun.Safe("$" + strconv.Itoa(len(p.args)))
}

// ID adds an integer value and returns what stands for it in the text.
// A nil p writes the value into the text (the scope helpers serve both
// kinds of query).
func (p *params) ID(v int64) any { return p.add(v) }

// Text adds a text value and returns what stands for it in the text.
func (p *params) Text(v string) any { return p.add(v) }

// QueryContext runs bun's text (whose placeholders p wrote) with p's
// values; bun passes no arguments of its own.
func (p *params) QueryContext(ctx context.Context, query string, _ ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, p.args...)
	}
	return p.raw.QueryContext(ctx, query, p.args...)
}

// QueryRowContext is QueryContext for one row (bun's Count and Exists).
func (p *params) QueryRowContext(ctx context.Context, query string, _ ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, p.args...)
	}
	return p.raw.QueryRowContext(ctx, query, p.args...)
}

// ExecContext runs a statement with p's values (not cached: the busy
// pages read).
func (p *params) ExecContext(ctx context.Context, query string, _ ...any) (sql.Result, error) {
	return p.raw.ExecContext(ctx, query, p.args...)
}

// stmt is the query's cached statement, nil unless p runs on the pool
// with its values as parameters.
func (p *params) stmt(ctx context.Context, query string) *sql.Stmt {
	if p.pool == nil || p.inline {
		return nil
	}
	return cachedStmt(ctx, p.pool, query)
}

// maxCachedStmts bounds each database's statement cache. The texts are
// the busy pages' statements, a few dozen shapes (scope, filters); a text
// that still carried a value would make a new one per value, and past the
// bound it runs unprepared instead of growing the cache.
const maxCachedStmts = 256

// stmtCache keeps SQLite statements prepared by their text. database/sql
// prepares a *sql.Stmt once on each connection that runs it and keeps it
// while the connection lives (the read pool keeps its connections).
// PostgreSQL needs none: pgx keeps its own per connection.
type stmtCache struct {
	m sync.Map // text → *sql.Stmt
	n atomic.Int64
}

var stmtCaches sync.Map // *bun.DB → *stmtCache

// cachedStmt is query's prepared statement on an SQLite db, nil on
// PostgreSQL, when the cache is full or when preparing fails (the query
// then runs unprepared and reports its own error). Nothing is locked
// while a statement is prepared.
func cachedStmt(ctx context.Context, db *bun.DB, query string) *sql.Stmt {
	if DialectOf(db) != SQLite {
		return nil
	}
	c, ok := stmtCaches.Load(db)
	if !ok {
		c, _ = stmtCaches.LoadOrStore(db, &stmtCache{})
	}
	cache := c.(*stmtCache)
	if st, ok := cache.m.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if cache.n.Load() >= maxCachedStmts {
		return nil
	}
	st, err := db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if old, loaded := cache.m.LoadOrStore(query, st); loaded {
		st.Close()
		return old.(*sql.Stmt)
	}
	cache.n.Add(1)
	return st
}

// cachedStmts is how many statements db's cache holds (tests).
func cachedStmts(db *bun.DB) int {
	if c, ok := stmtCaches.Load(db); ok {
		return int(c.(*stmtCache).n.Load())
	}
	return 0
}

func forgetCachedStmts(db *bun.DB) {
	c, ok := stmtCaches.LoadAndDelete(db)
	if !ok {
		return
	}
	c.(*stmtCache).m.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
}
