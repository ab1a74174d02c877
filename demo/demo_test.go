package demo_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Main(m)) }

func TestSeed(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		res, err := demo.Seed(ctx, s, 240)
		if err != nil {
			t.Fatal(err)
		}
		if res.Units != 240 || res.Staff == 0 || res.Accounts == 0 || res.Clerks == 0 {
			t.Fatalf("first seed = %+v; want 6 branches, 240 units, staff, accounts and clerks", res)
		}
		again, err := demo.Seed(ctx, s, 240)
		if err != nil {
			t.Fatal(err)
		}
		if again.Units+again.Accounts+again.Clerks+again.Staff != 0 {
			t.Fatalf("second seed added %+v; want nothing (idempotent)", again)
		}
		more, err := demo.Seed(ctx, s, 300)
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
		if err := db.NewSelect().Table("clerks").Column("id_no").Scan(ctx, &hids); err != nil {
			t.Fatal(err)
		}
		for _, id := range hids {
			if _, err := twid.CheckPersonID(id); err != nil {
				t.Errorf("clerk ID %s: %v", id, err)
			}
		}
		if n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil || n == 0 {
			t.Errorf("VerifyAudit after seeding = %d, %v", n, err)
		}
	})
}

func TestSeedFilings(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 24); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct{ n, added int }{{100, 100}, {100, 0}, {150, 50}} {
			added, err := demo.SeedFilings(ctx, s, step.n)
			if err != nil {
				t.Fatal(err)
			}
			if added != step.added {
				t.Errorf("SeedFilings(%d) added %d, want %d", step.n, added, step.added)
			}
		}
		count := func(table, where string, args ...any) int {
			t.Helper()
			n, err := db.NewSelect().Table(table).Where(where, args...).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		if got := count("filings", "1 = 1"); got != 150 {
			t.Errorf("filings = %d, want 150", got)
		}
		validated, failed := count("filings", "status = ?", models.FilingValidated), count("filings", "status = ?", models.FilingError)
		if validated+failed != 150 || failed == 0 {
			t.Errorf("filings: %d validated, %d with an error code; want both, 150 in all", validated, failed)
		}
		if got := count("coverage", "until IS NULL"); got != validated {
			t.Errorf("coverage rows = %d, want one per validated filing (%d)", got, validated)
		}
	})
}

func TestBindCards(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.People(ctx, db); err == nil {
			t.Error("People before seeding: no error")
		}
		if _, err := demo.Seed(ctx, s, 12); err != nil {
			t.Fatal(err)
		}
		p, err := demo.People(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if p.UnitCode != demo.UnitCode(0) || p.OwnerUnit != demo.UnitCode(6) || p.FreeUnitCode != demo.UnitCode(9) ||
			p.ClerkIDNo == "" || p.Owner.CardNo == "" || p.NHIClerk.CardNo == "" {
			t.Fatalf("People = %+v", p)
		}
		at := modelstest.Clock
		unitCert := models.CertInfo{Issuer: "CN=示範 CA", Serial: "0a1b", Subject: "CN=" + p.UnitName, NotBefore: at, NotAfter: at.Add(time.Hour)}
		clerkCert := models.CertInfo{Issuer: "CN=示範 CA", Serial: "2c3d", Subject: "CN=" + p.ClerkName, NotBefore: at, NotAfter: at.Add(time.Hour)}
		for range 2 {
			if err := demo.BindCards(ctx, s, unitCert, clerkCert); err != nil {
				t.Fatal(err)
			}
		}
		var serial string
		if err := db.NewSelect().Table("unit_accounts").Column("cert_serial").
			Where("unit_id = (SELECT id FROM units WHERE code = ?)", p.UnitCode).Scan(ctx, &serial); err != nil {
			t.Fatal(err)
		}
		if serial != unitCert.Serial {
			t.Errorf("unit %s certificate serial = %q, want %q", p.UnitCode, serial, unitCert.Serial)
		}
		if n, err := db.NewSelect().Table("clerks").Where("card_serial = ? AND id_no = ?", clerkCert.Serial, p.ClerkIDNo).Count(ctx); err != nil || n != 1 {
			t.Errorf("clerks bound to the citizen certificate = %d, %v; want 1", n, err)
		}
		if n, err := db.NewSelect().Table("nhi_registrations").Where("id_no = ?", p.NHIClerk.IDNo).Count(ctx); err != nil || n != 1 {
			t.Errorf("NHI registrations of %s = %d, %v; want 1", p.NHIClerk.IDNo, n, err)
		}
		if n, err := db.NewSelect().Table("audit_events").Where("action = ?", "demo.cards").Count(ctx); err != nil || n != 1 {
			t.Errorf("demo.cards events = %d, %v; want 1 (binding twice changes nothing the second time)", n, err)
		}
		if n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil || n == 0 {
			t.Errorf("VerifyAudit = %d, %v", n, err)
		}
	})
}

// TestBindKindCards: the demo's agency, school and hospital (units 11 to
// 13, when seeded) get their identifiers and their accounts bound to the
// cards of their kind, once.
func TestBindKindCards(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 12); err != nil {
			t.Fatal(err)
		}
		if units, err := demo.KindUnits(ctx, db); err != nil || len(units) != 1 || units[0].Kind != certlogin.KindGCA {
			t.Fatalf("KindUnits of 12 demo units = %+v, %v; want the agency only", units, err)
		}
		if _, err := demo.Seed(ctx, s, 24); err != nil {
			t.Fatal(err)
		}
		units, err := demo.KindUnits(ctx, db)
		if err != nil || len(units) != 3 {
			t.Fatalf("KindUnits = %+v, %v", units, err)
		}
		// An older database: the identifiers are missing until bound.
		if _, err := db.NewUpdate().Table("units").Set("agency_code = NULL, org_code = NULL, medical_code = NULL").Where("TRUE").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		at := modelstest.Clock
		certs := map[certlogin.Kind]models.CertInfo{}
		for i, ku := range units {
			certs[ku.Kind] = models.CertInfo{Issuer: "CN=示範 " + string(ku.Kind), Serial: fmt.Sprintf("ab%d", i), Subject: "CN=" + ku.Name, NotBefore: at, NotAfter: at.Add(time.Hour)}
		}
		for range 2 {
			if err := demo.BindKindCards(ctx, s, certs); err != nil {
				t.Fatal(err)
			}
		}
		for _, ku := range units {
			var u models.Unit
			if err := db.NewSelect().Model(&u).Where("code = ?", ku.Code).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if id, ok := u.CertID(ku.Kind); !ok || id != ku.ID {
				t.Errorf("%s: CertID(%s) = %q, want %q", ku.Code, ku.Kind, id, ku.ID)
			}
			a, err := models.ActiveAccount(ctx, db, models.ScopeAll, u.ID)
			if err != nil || a == nil || a.CertKind == nil || *a.CertKind != string(ku.Kind) || *a.CertSerial != certs[ku.Kind].Serial {
				t.Errorf("%s: account %+v, %v; want bound to the %s card", ku.Code, a, err, ku.Kind)
			}
		}
		if n, err := db.NewSelect().Table("audit_events").Where("action = ?", "demo.cards").Count(ctx); err != nil || n != 1 {
			t.Errorf("demo.cards events = %d, %v; want 1", n, err)
		}
	})
}
