package models_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestSeedDemo(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		res, err := s.SeedDemo(ctx, 240)
		if err != nil {
			t.Fatal(err)
		}
		if res.Units != 240 || res.Staff == 0 || res.Accounts == 0 || res.Handlers == 0 {
			t.Fatalf("first seed = %+v; want 6 branches, 240 units, staff, accounts and handlers", res)
		}
		again, err := s.SeedDemo(ctx, 240)
		if err != nil {
			t.Fatal(err)
		}
		if again.Units+again.Accounts+again.Handlers+again.Staff != 0 {
			t.Fatalf("second seed added %+v; want nothing (idempotent)", again)
		}
		more, err := s.SeedDemo(ctx, 300)
		if err != nil {
			t.Fatal(err)
		}
		if more.Units != 60 {
			t.Fatalf("growing to 300 added %d units, want 60", more.Units)
		}

		var units []models.Unit
		if err := db.NewSelect().Model(&units).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		perBranch := map[string]int{}
		closed, labor := 0, 0
		for _, u := range units {
			perBranch[u.BranchCode]++
			if err := twid.CheckBAN(u.BAN); err != nil {
				t.Errorf("unit %s: 統一編號 %s: %v", u.Code, u.BAN, err)
			}
			if err := twid.CheckUnitCode(u.Code); err != nil {
				t.Errorf("unit code %s: %v", u.Code, err)
			}
			if u.Reg.County == "" || u.Mail.Street == "" {
				t.Errorf("unit %s has an empty address: %+v / %+v", u.Code, u.Reg, u.Mail)
			}
			if u.Status == models.UnitClosed {
				closed++
			}
			if u.LaborInsNo != nil {
				labor++
				if err := twid.CheckLaborInsuranceNo(*u.LaborInsNo); err != nil {
					t.Errorf("unit %s: 勞保證號 %s: %v", u.Code, *u.LaborInsNo, err)
				}
			}
		}
		if len(perBranch) != 6 || closed == 0 || labor == 0 || labor == len(units) {
			t.Errorf("spread: %d branches, %d closed, %d with 勞保證號 of %d", len(perBranch), closed, labor, len(units))
		}
		var types []string
		if err := db.NewSelect().Table("unit_accounts").ColumnExpr("DISTINCT reg_type").Scan(ctx, &types); err != nil {
			t.Fatal(err)
		}
		if len(types) != 2 {
			t.Errorf("registration types %v, want both", types)
		}
		var hids []string
		if err := db.NewSelect().Table("handlers").Column("id_no").Scan(ctx, &hids); err != nil {
			t.Fatal(err)
		}
		for _, id := range hids {
			if _, err := twid.CheckPersonID(id); err != nil {
				t.Errorf("handler ID %s: %v", id, err)
			}
		}
		if n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil || n == 0 {
			t.Errorf("VerifyAudit after seeding = %d, %v", n, err)
		}
	})
}
