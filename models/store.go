package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// Store runs the business actions. Each action is one transaction that also
// writes its audit event.
type Store struct {
	DB *bun.DB
	// Reads, when set, serves the reads of pages and exports (OpenReads:
	// SQLite's read-only pool); R returns it, or DB.
	Reads *bun.DB
	// Now is the clock; tests set a fixed one.
	Now func() time.Time
	// SessionIdle ends a session that saw no request for this long.
	SessionIdle time.Duration
	// SessionMax ends any session this long after it began.
	SessionMax time.Duration
	// BatchChunk is the nightly batch's chunk size (filings per
	// transaction); 0 means the default.
	BatchChunk int
	// AuditKeys sign the audit chain; without them every audited action
	// fails with ErrNoAuditKey.
	AuditKeys *AuditKeys
}

// NewStore returns a store with the real clock and the default session limits.
func NewStore(db *bun.DB) *Store {
	return &Store{DB: db, Now: time.Now, SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour}
}

// R is the database to read from: the read pool when there is one.
func (s *Store) R() bun.IDB {
	if s.Reads != nil {
		return s.Reads
	}
	return s.DB
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.DB.RunInTx(withAuditKeys(ctx, s.AuditKeys), nil, fn)
}

// Timestamp is the store's clock as rows keep it: UTC, to the microsecond
// (PostgreSQL's precision), so that a time written is the time read back.
func (s *Store) Timestamp() time.Time { return s.now() }

// RunInTx runs fn in one transaction that can write audit events (Audit,
// InsertStaff): it hands them the store's audit keys. For work outside
// package models that writes several tables at once, such as seeding.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.tx(ctx, fn)
}

// Audit appends the event of a change made in tx, which RunInTx began: if
// the change rolls back, so does its event.
func (s *Store) Audit(ctx context.Context, tx bun.IDB, a Actor, ch Change) error {
	return audit(ctx, tx, s.now(), a, ch)
}

// Scope limits what a query may see: one unit, one branch, or everything
// (head office). It is an explicit argument of every query on scoped data.
type Scope struct {
	All    bool
	Branch string
	UnitID int64
}

// ScopeAll sees every branch.
var ScopeAll = Scope{All: true}

// BranchScope sees one branch, or everything when code is "" (head office).
func BranchScope(code *string) Scope {
	if code == nil || *code == "" {
		return ScopeAll
	}
	return Scope{Branch: *code}
}

// UnitScope sees one unit.
func UnitScope(id int64) Scope { return Scope{UnitID: id} }

// units restricts a query on units (aliased alias) to the scope.
func (sc Scope) units(q *bun.SelectQuery, alias string) *bun.SelectQuery {
	return sc.unitsBound(nil, q, alias)
}

// unitsBound is units with the scope's values as p's parameters (p nil:
// in the text).
func (sc Scope) unitsBound(p *params, q *bun.SelectQuery, alias string) *bun.SelectQuery {
	switch {
	case sc.UnitID != 0:
		return q.Where(alias+".id = ?", p.ID(sc.UnitID))
	case sc.All:
		return q
	case sc.Branch != "":
		return q.Where(alias+".branch_code = ?", p.Text(sc.Branch))
	default:
		return q.Where("1 = 0") // an empty scope sees nothing
	}
}

// ofUnits restricts a query on a table of a unit's objects (its unit id in
// column col) to the scope.
func (sc Scope) ofUnits(q *bun.SelectQuery, col string) *bun.SelectQuery {
	return sc.ofUnitsBound(nil, q, col)
}

// ofUnitsBound is ofUnits with the scope's values as p's parameters (p
// nil: in the text).
func (sc Scope) ofUnitsBound(p *params, q *bun.SelectQuery, col string) *bun.SelectQuery {
	switch {
	case sc.UnitID != 0:
		return q.Where(col+" = ?", p.ID(sc.UnitID))
	case sc.All:
		return q
	case sc.Branch != "":
		// The row's unit's branch, looked up per row (the queries this
		// scopes read one unit's rows): "col IN (SELECT the branch's
		// units)" built the list of a branch's 27,000 units for every
		// query on SQLite, 6 ms a query, six queries a unit's page.
		return q.Where("(SELECT su.branch_code FROM units AS su WHERE su.id = "+col+") = ?", p.Text(sc.Branch))
	default:
		return q.Where("1 = 0")
	}
}

func notFound(what string) error {
	return apperr.New(apperr.NotFound, "查無此"+what+"，或您沒有查看的權限。")
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Branches lists the branches in code order.
func Branches(ctx context.Context, db bun.IDB) ([]Branch, error) {
	var bs []Branch
	if err := db.NewSelect().Conn(bind(db)).Model(&bs).Order("code").Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: branches: %w", err)
	}
	return bs, nil
}

// BranchByCode returns one branch.
func BranchByCode(ctx context.Context, db bun.IDB, code string) (*Branch, error) {
	b := new(Branch)
	if err := db.NewSelect().Model(b).Where("code = ?", code).Scan(ctx); err != nil {
		if isNoRows(err) {
			return nil, notFound("業務組")
		}
		return nil, fmt.Errorf("models: branch %s: %w", code, err)
	}
	return b, nil
}

// Ping checks that the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.DB.NewRaw("SELECT 1").Scan(ctx, &one)
}
