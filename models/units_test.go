package models_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestSearchUnits(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 66); err != nil {
			t.Fatal(err)
		}
		taipei, north := models.Scope{Branch: "1"}, models.Scope{Branch: "2"}
		code1 := demo.UnitCode(0) // a 臺北 unit
		var u1 models.Unit
		if err := db.NewSelect().Model(&u1).Where("code = ?", code1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		var h models.Clerk
		if err := db.NewSelect().Model(&h).Where("unit_id = ?", u1.ID).Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name  string
			scope models.Scope
			f     models.UnitFilter
			want  int // -1: at least one
		}{
			{"by code in own branch", taipei, models.UnitFilter{Q: code1}, 1},
			{"by code from another branch", north, models.UnitFilter{Q: code1}, 0},
			{"by code at head office", models.ScopeAll, models.UnitFilter{Q: code1}, 1},
			{"by 統一編號", taipei, models.UnitFilter{Q: u1.BAN}, 1},
			{"by clerk ID", taipei, models.UnitFilter{Q: h.IDNo}, 1},
			{"by clerk ID from another branch", north, models.UnitFilter{Q: h.IDNo}, 0},
			{"by part of the name", taipei, models.UnitFilter{Q: string([]rune(u1.Name)[:2])}, -1},
			{"LIKE wildcards are literal", models.ScopeAll, models.UnitFilter{Q: "%"}, 0},
			{"closed only", models.ScopeAll, models.UnitFilter{Status: models.UnitClosed}, -1},
			{"empty scope sees nothing", models.Scope{}, models.UnitFilter{}, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rows, total, err := models.SearchUnits(ctx, db, tc.scope, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if (tc.want >= 0 && total != tc.want) || (tc.want < 0 && total == 0) || len(rows) > total {
					t.Fatalf("total %d (%d rows), want %d", total, len(rows), tc.want)
				}
				for _, r := range rows {
					if !tc.scope.All && r.BranchCode != tc.scope.Branch {
						t.Errorf("row %s of branch %s outside scope %s", r.Code, r.BranchCode, tc.scope.Branch)
					}
					if tc.f.Status != "" && r.Status != tc.f.Status {
						t.Errorf("row %s status %s, want %s", r.Code, r.Status, tc.f.Status)
					}
				}
			})
		}

		t.Run("pages and sorts", func(t *testing.T) {
			p1, total, err := models.SearchUnits(ctx, db, models.ScopeAll, models.UnitFilter{Sort: "code", PageSize: 20, Page: 1})
			if err != nil {
				t.Fatal(err)
			}
			p4, _, _ := models.SearchUnits(ctx, db, models.ScopeAll, models.UnitFilter{Sort: "code", PageSize: 20, Page: 4})
			if total != 66 || len(p1) != 20 || len(p4) != 6 {
				t.Fatalf("total %d, page 1 %d rows, page 4 %d rows; want 66, 20, 6", total, len(p1), len(p4))
			}
			desc, _, _ := models.SearchUnits(ctx, db, models.ScopeAll, models.UnitFilter{Sort: "code", Desc: true, PageSize: 20})
			if p1[0].Code >= p1[1].Code || desc[0].Code <= desc[1].Code {
				t.Errorf("order: asc %s,%s desc %s,%s", p1[0].Code, p1[1].Code, desc[0].Code, desc[1].Code)
			}
		})

		t.Run("UnitByID is scoped", func(t *testing.T) {
			if _, err := models.UnitByID(ctx, db, taipei, u1.ID); err != nil {
				t.Errorf("own branch: %v", err)
			}
			if _, err := models.UnitByID(ctx, db, north, u1.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("other branch: %v, want NotFound", err)
			}
			if _, err := models.UnitByID(ctx, db, models.UnitScope(u1.ID+1), u1.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("other unit: %v, want NotFound", err)
			}
		})
	})
}

// A search's total, counted with its page or taken from the counters for
// a list without a search string, is the number of units it finds, in
// every scope, with every filter, on a page past the last too.
func TestSearchUnitsTotal(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 66); err != nil {
			t.Fatal(err)
		}
		var u1 models.Unit
		if err := db.NewSelect().Model(&u1).Where("code = ?", demo.UnitCode(0)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE units SET status = 'closed' WHERE id IN (?, ?)", u1.ID, u1.ID+7); err != nil {
			t.Fatal(err)
		}
		scopes := []models.Scope{models.ScopeAll, {Branch: "1"}, {Branch: "2"}, {}, models.UnitScope(u1.ID)}
		filters := []models.UnitFilter{{}, {Status: models.UnitClosed}, {Status: models.UnitActive}, {Branch: "1"},
			{Branch: "2", Status: models.UnitActive}, {Q: string([]rune(u1.Name)[:2])}, {Q: u1.Code}, {Q: "公司"},
			{Q: "公司", Status: models.UnitClosed}, {Q: "不存在"}, {Page: 9}, {Q: "公司", Page: 9}}
		for _, sc := range scopes {
			for _, f := range filters {
				f.PageSize = 5
				rows, total, err := models.SearchUnits(ctx, db, sc, f)
				if err != nil {
					t.Fatal(err)
				}
				want, err := models.CountFound(ctx, db, sc, f)
				if err != nil {
					t.Fatal(err)
				}
				if int64(total) != want || len(rows) > total {
					t.Errorf("scope %+v, filter %+v: total %d (%d rows), %d found", sc, f, total, len(rows), want)
				}
			}
		}
	})
}

// Searching by part of a name through the bigram table finds exactly what
// a scan with LIKE finds, also after a unit is added, renamed or deleted.
func TestUnitNameSearchMatchesLike(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 60); err != nil {
			t.Fatal(err)
		}
		var names []string
		if err := db.NewSelect().Table("units").Column("name").Order("id").Limit(20).Scan(ctx, &names); err != nil {
			t.Fatal(err)
		}
		// A renamed unit (its old name is among the queries) and one with
		// letters of both cases; the others' grams come from the insert
		// trigger (the seed runs after the migration).
		var renamed, lettered int64
		if err := db.NewSelect().Table("units").Column("id").Order("id").Limit(1).Scan(ctx, &renamed); err != nil {
			t.Fatal(err)
		}
		if err := db.NewSelect().Table("units").Column("id").Order("id").Offset(1).Limit(1).Scan(ctx, &lettered); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE units SET name = ? WHERE id = ?", "鼎泰豐餐飲股份有限公司", renamed); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE units SET name = ? WHERE id = ?", "ＡＢＣ Data 科技有限公司", lettered); err != nil {
			t.Fatal(err)
		}
		queries := []string{"鼎泰豐", "泰豐餐", "豐餐飲股份", names[0], "data", "DATA 科技", "Ａ", "ＡＢＣ", "ｂ", "有限公司", "公", "不存在的名稱"}
		for _, n := range names[1:] {
			r := []rune(n)
			queries = append(queries, string(r[:2]), string(r[len(r)/2-1:len(r)/2+1]), string(r[len(r)-3:]))
		}
		for _, q := range queries {
			_, total, err := models.SearchUnits(ctx, db, models.ScopeAll, models.UnitFilter{Q: q})
			if err != nil {
				t.Fatal(err)
			}
			want, err := db.NewSelect().Table("units").Where("name LIKE ?", "%"+q+"%").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if int64(total) != want {
				t.Errorf("search %q: %d units, LIKE finds %d", q, total, want)
			}
		}
	})
}

// A unit's reads apply the scope they are given: the unit's own, its
// branch's and the head office's see its account; another unit's or
// another branch's see nothing.
func TestUnitReadsTakeAScope(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 12); err != nil {
			t.Fatal(err)
		}
		var u models.Unit
		if err := db.NewSelect().Model(&u).Where("id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')").
			OrderExpr("id").Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		other := "1"
		if u.BranchCode == other {
			other = "2"
		}
		for _, c := range []struct {
			name string
			sc   models.Scope
			sees bool
		}{
			{"the unit", models.UnitScope(u.ID), true},
			{"its branch", models.BranchScope(&u.BranchCode), true},
			{"the head office", models.ScopeAll, true},
			{"another unit", models.UnitScope(u.ID + 1), false},
			{"another branch", models.BranchScope(&other), false},
		} {
			acct, err := models.ActiveAccount(ctx, db, c.sc, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			fs, n, err := models.FilingsOfUnit(ctx, db, c.sc, u.ID, models.FilingFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if (acct != nil) != c.sees || (!c.sees && (n != 0 || len(fs) != 0)) {
				t.Errorf("%s: account %v, %d filings; want seen = %v", c.name, acct != nil, n, c.sees)
			}
		}
	})
}
