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

// TestSeedWork: a year's work in proportion to the units, in the states
// the store's actions leave, with an audit log of the size asked for whose
// chain verifies; the named demo units get none; seeding again adds
// nothing.
func TestSeedWork(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 2000); err != nil {
			t.Fatal(err)
		}
		n, err := db.NewSelect().Table("audit_events").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before := int(n)
		res, err := demo.SeedWork(ctx, s, 20_000)
		if err != nil {
			t.Fatal(err)
		}
		// 2,000 units: 600 cases (60 open), 400 change requests (30 to
		// review), 60 deregistrations (4 to approve).
		if res.Cases != 600 || res.OpenCases != 60 || res.ChangeRequests != 400 || res.PendingReviews != 30 ||
			res.Deregistrations != 60 || res.PendingDeregistrations != 4 {
			t.Errorf("SeedWork = %+v", res)
		}
		if res.Samples == 0 || res.OpenSampleItems == 0 || res.SampleItems == res.OpenSampleItems {
			t.Errorf("samples: %+v; want some with open and judged items", res)
		}
		count := func(table, where string, args ...any) int {
			t.Helper()
			n, err := db.NewSelect().TableExpr(table).Where(where, args...).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		// 20,000 for the year, then the samples' draws and verdicts, and the demo.seed event.
		if got := count("audit_events", "1 = 1"); got != before+res.AuditEvents || res.AuditEvents < 20_001 || res.AuditEvents > 20_100 {
			t.Errorf("audit events: %d before, %d after, %d reported; want 20,000 more, the samples' and the demo.seed event", before, got, res.AuditEvents)
		}
		if n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil || int(n) != count("audit_events", "1 = 1") {
			t.Errorf("VerifyAudit = %d, %v", n, err)
		}
		// The rows are in the states the actions leave.
		for _, c := range []struct {
			what, table, where string
			want               int
		}{
			{"open cases", "cases", "status IN ('open','waiting')", 60},
			{"waiting cases", "cases", "status = 'waiting' AND version = 2 AND resolved_at IS NULL", 20},
			{"resolved cases", "cases", "status = 'resolved' AND resolution <> '' AND resolved_at >= opened_at AND version = 2", 540},
			{"pending reviews", "change_requests", "status = 'pending' AND decided_at IS NULL AND version = 1", 30},
			{"applied changes", "change_requests", "status = 'approved' AND applied_at = decided_at AND decided_by IS NOT NULL", -1},
			{"change requests without their proof", "change_requests AS r", "NOT EXISTS (SELECT 1 FROM change_documents AS d WHERE d.request_id = r.id)", 0},
			{"pending deregistrations", "deregistrations", "status = 'pending' AND decided_by IS NULL", 4},
			{"approvals of an active account", "deregistrations AS d", "d.status = 'approved' AND EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.id = d.account_id AND a.status = 'active')", 0},
			{"active clerks of a deregistered account", "deregistrations AS d", "d.status = 'approved' AND EXISTS (SELECT 1 FROM clerks AS c WHERE c.unit_id = d.unit_id AND c.status = 'active')", 0},
			{"pending deregistrations of an inactive account", "deregistrations AS d", "d.status = 'pending' AND NOT EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.id = d.account_id AND a.status = 'active')", 0},
			{"work of the named demo units", "cases AS c", "c.unit_id IN (SELECT id FROM units WHERE code IN (?, ?, ?))", 0},
			{"events of the work", "audit_events", "action IN ('case.open', 'change_request.submit', 'deregistration.request')", 1060},
			{"sampled events that are no decision", "sample_items AS si", "NOT EXISTS (SELECT 1 FROM audit_events AS e WHERE e.id = si.audit_event_id AND e.action IN ('case.resolve', 'change_request.approve', 'change_request.reject', 'deregistration.request', 'deregistration.approve', 'deregistration.reject', 'unit.close', 'unit.reopen'))", 0},
		} {
			var args []any
			if c.what == "work of the named demo units" {
				args = []any{demo.UnitCode(0), demo.UnitCode(6), demo.UnitCode(9)}
			}
			got := count(c.table, c.where, args...)
			if (c.want >= 0 && got != c.want) || (c.want < 0 && got == 0) {
				t.Errorf("%s: %d, want %d", c.what, got, c.want)
			}
		}
		// The open cases are spread over the six branches.
		var branches []string
		if err := db.NewSelect().Table("cases").ColumnExpr("DISTINCT branch_code").Where("status <> 'resolved'").Scan(ctx, &branches); err != nil {
			t.Fatal(err)
		}
		if len(branches) != 6 {
			t.Errorf("open cases in branches %v, want all six", branches)
		}
		// The unit counts kept by triggers still hold after the deregistrations.
		var kept, real int
		if err := db.NewSelect().Table("unit_counts").ColumnExpr("SUM(unregistered)").Scan(ctx, &kept); err != nil {
			t.Fatal(err)
		}
		real = count("units AS u", "NOT EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = u.id AND a.status = 'active')")
		if kept != real {
			t.Errorf("unit_counts says %d units without an account, counted %d", kept, real)
		}
		again, err := demo.SeedWork(ctx, s, 20_000)
		if err != nil || again.Cases+again.AuditEvents != 0 {
			t.Errorf("second SeedWork = %+v, %v; want nothing", again, err)
		}
	})
}
