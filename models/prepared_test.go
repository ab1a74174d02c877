package models_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// busyReads runs the reads of the busy pages (a unit's page, the portal
// home, 異動檢核後查詢, the audit log, the console home and the review
// queue) for one unit as seen by sc, and returns what they read.
func busyReads(t *testing.T, db bun.IDB, sc models.Scope, unitID int64, page int) []any {
	t.Helper()
	ctx := context.Background()
	var out []any
	add := func(v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	add(models.UnitByID(ctx, db, sc, unitID))
	add(models.ActiveAccount(ctx, db, sc, unitID))
	add(models.ClerksOfUnit(ctx, db, sc, unitID))
	add(models.AuditEventsOfUnit(ctx, db, sc, unitID, 20))
	add(models.Deregistrations(ctx, db, sc, false, unitID))
	add(models.RecentFilingsOfUnit(ctx, db, sc, unitID, false, 20))
	add(models.CodesOfUnit(ctx, db, sc, unitID, 10))
	add(models.NHIPasswordsOfUnit(ctx, db, sc, unitID))
	add(models.CountInsured(ctx, db, sc, unitID, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)))
	add(models.UnitHistory(ctx, db, sc, unitID, 10))
	add(models.NoticesOfUnit(ctx, db, sc, unitID, 5))
	add(models.Branches(ctx, db))
	add(models.ErrorCodes(ctx, db))
	rows, n, err := models.FilingsOfUnit(ctx, db, sc, unitID, models.FilingFilter{
		From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Page: page, PageSize: 5})
	add(rows, err)
	out = append(out, n)
	if !sc.All && sc.Branch == "" {
		return out // a unit's own scope: the staff pages below are not its
	}
	evs, total, err := models.SearchAuditEvents(ctx, db, sc, models.AuditFilter{Page: page, PageSize: 5})
	add(evs, err)
	out = append(out, total)
	add(models.CountWork(ctx, db, sc))
	items, total, err := models.ReviewQueue(ctx, db, sc, page)
	add(items, err)
	out = append(out, total)
	return out
}

// TestPreparedStatements: the busy pages' statements carry their values as
// parameters, so that one prepared statement serves every unit and branch:
// after the reads for one unit and branch, another unit in another branch
// and later pages add no statement to SQLite's cache, and the same reads
// run in a transaction (unprepared) give the same answers.
func TestPreparedStatements(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 12); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.SeedFilings(ctx, s, 120); err != nil {
			t.Fatal(err)
		}
		unit := func(code string) *models.Unit {
			u := new(models.Unit)
			if err := db.NewSelect().Model(u).Where("code = ?", code).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return u
		}
		taipei, north := unit(demo.UnitCode(0)), unit(demo.UnitCode(3))
		if taipei.BranchCode == north.BranchCode {
			t.Fatalf("demo units 0 and 3 both in branch %s", taipei.BranchCode)
		}
		scopes := func(u *models.Unit) []models.Scope {
			return []models.Scope{models.ScopeAll, {Branch: u.BranchCode}, models.UnitScope(u.ID)}
		}
		for _, sc := range scopes(taipei) {
			busyReads(t, db, sc, taipei.ID, 1)
		}
		first := models.CachedStmts(db)
		if models.DialectOf(db) == models.SQLite && first < 20 {
			t.Fatalf("%d statements cached after the busy pages' reads, want them prepared (20 or more)", first)
		}
		var answers [][]any
		for _, sc := range scopes(north) {
			answers = append(answers, busyReads(t, db, sc, north.ID, 1))
			busyReads(t, db, sc, north.ID, 2)
		}
		if n := models.CachedStmts(db); n != first {
			t.Errorf("%d statements cached after another unit, branch and page, want still %d: a value is written into a statement's text", n, first)
		}
		if models.DialectOf(db) == models.Postgres && first != 0 {
			t.Errorf("%d statements cached on PostgreSQL, want none (pgx keeps its own)", first)
		}
		// The same reads in a transaction (parameters, no cache).
		err := s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			for i, sc := range scopes(north) {
				if got := busyReads(t, tx, sc, north.ID, 1); !reflect.DeepEqual(got, answers[i]) {
					return fmt.Errorf("scope %+v: the reads in a transaction differ from the pool's", sc)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A unit of another branch is not found through a branch's scope,
		// with parameters as without.
		if _, err := models.UnitByID(ctx, db, models.Scope{Branch: taipei.BranchCode}, north.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another branch's unit: %v, want NotFound", err)
		}
		if err := models.UnitVisible(ctx, db, models.UnitScope(taipei.ID), north.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another unit through a unit's scope: %v, want NotFound", err)
		}
	})
}

// TestPreparedStatementsBounded: texts past the cache's bound still run
// (unprepared) and give the right answers; the cache stops growing.
func TestPreparedStatementsBounded(t *testing.T) {
	db := modelstest.MustOpenSQLite(t)
	ctx := context.Background()
	for b := int64(0); b < models.MaxCachedStmts+20; b++ {
		n, err := models.AddBound(ctx, db, 1000, b)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1000+b {
			t.Fatalf("1000 + %d = %d", b, n)
		}
	}
	if n := models.CachedStmts(db); n != models.MaxCachedStmts {
		t.Errorf("%d statements cached, want the bound %d", n, models.MaxCachedStmts)
	}
	// A cached statement answers for every value of its parameter.
	for a := int64(0); a < 5; a++ {
		if n, err := models.AddBound(ctx, db, a, 7); err != nil || n != a+7 {
			t.Errorf("%d + 7 = %d, %v", a, n, err)
		}
	}
}
