package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestUnitCertKinds: a unit registered with a 醫事憑證 logs in with a
// certificate of that kind carrying its 醫事機構代碼, and with nothing else:
// not with its 統一編號 in an HCA certificate, not with an HCA account's
// certificate presented as another kind, and a unit without a code of a
// kind cannot register with that kind.
func TestUnitCertKinds(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newLoginFixture(t, db)
		ctx := context.Background()
		// Demo unit 9 has no account; give it a 醫事機構代碼.
		var u models.Unit
		if err := db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		const code = "3599990099"
		if _, err := db.NewUpdate().Model((*models.Unit)(nil)).Set("medical_code = ?", code).Where("id = ?", u.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		register := func(kind certlogin.Kind, id, serial string) error {
			sess, nonce := f.preLogin(t, models.PurposeRegister)
			in := models.CertLogin{Session: sess, Nonce: nonce, Issuer: "CN=HCA", Serial: serial, Kind: kind, UnitID: id, IP: "192.0.2.1"}
			_, _, err := f.s.RegisterUnitCert(ctx, in, u.Code, models.CertInfo{Issuer: "CN=HCA", Serial: serial, Subject: "CN=" + u.Name,
				NotBefore: modelstest.Clock, NotAfter: modelstest.Clock.AddDate(2, 0, 0)})
			return err
		}
		login := func(kind certlogin.Kind, id, serial string) error {
			sess, nonce := f.preLogin(t, models.PurposeUnitLogin)
			_, _, err := f.s.UnitCertLogin(ctx, models.CertLogin{Session: sess, Nonce: nonce, Issuer: "CN=HCA", Serial: serial, Kind: kind, UnitID: id, IP: "192.0.2.1"})
			return err
		}

		// Refused registrations: the unit's 統一編號 in an HCA certificate,
		// a GCA certificate (the unit has no agency identifier), an empty
		// identifier.
		for _, r := range []struct {
			kind certlogin.Kind
			id   string
		}{{certlogin.KindHCA, u.BAN}, {certlogin.KindGCA, code}, {certlogin.KindHCA, ""}, {certlogin.KindXCA, code}} {
			if err := register(r.kind, r.id, "a1"); !errors.Is(err, models.ErrCertOtherUnit) {
				t.Errorf("register with %s carrying %q: %v, want ErrCertOtherUnit", r.kind, r.id, err)
			}
		}
		if err := register(certlogin.KindHCA, code, "a1"); err != nil {
			t.Fatalf("register with the unit's 醫事憑證: %v", err)
		}
		var acct models.UnitAccount
		if err := db.NewSelect().Model(&acct).Where("unit_id = ? AND status = 'active'", u.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if acct.CertKind == nil || *acct.CertKind != "hca" {
			t.Fatalf("account kind = %v, want hca", acct.CertKind)
		}

		if err := login(certlogin.KindHCA, code, "a1"); err != nil {
			t.Errorf("login with the registered 醫事憑證: %v", err)
		}
		// The same issuer and serial presented as a 工商憑證 carrying the
		// 統一編號: another kind, so not this account.
		if err := login(certlogin.KindMOEACA, u.BAN, "a1"); !errors.Is(err, models.ErrCertNotRegistered) {
			t.Errorf("login as MOEACA with the HCA account's certificate: %v, want ErrCertNotRegistered", err)
		}
		if err := login(certlogin.KindHCA, u.BAN, "a1"); !errors.Is(err, models.ErrCertOtherUnit) {
			t.Errorf("login with an HCA certificate carrying the 統一編號: %v, want ErrCertOtherUnit", err)
		}
		if err := login(certlogin.KindHCA, "", "a1"); !errors.Is(err, models.ErrCertOtherUnit) {
			t.Errorf("login with an HCA certificate carrying nothing: %v, want ErrCertOtherUnit", err)
		}

		// 單位憑證變更作業 keeps to the unit's identifiers of each kind.
		a := models.Actor{Kind: "unit", ID: acct.ID, Name: u.Name, Role: models.RoleUnitOwner, UnitID: u.ID}
		cert := models.CertInfo{Issuer: "CN=MOEACA", Serial: "b2", Subject: "CN=" + u.Name, NotBefore: modelstest.Clock, NotAfter: modelstest.Clock.AddDate(2, 0, 0)}
		if err := f.s.ChangeUnitCert(ctx, a, u.ID, cert, certlogin.KindGCA, u.BAN); err == nil {
			t.Error("change to a GCA certificate carrying the 統一編號: want an error")
		}
		if err := f.s.ChangeUnitCert(ctx, a, u.ID, cert, certlogin.KindMOEACA, u.BAN); err != nil {
			t.Fatalf("change to the unit's 工商憑證: %v", err)
		}
		if err := login(certlogin.KindHCA, code, "a1"); !errors.Is(err, models.ErrCertNotRegistered) {
			t.Errorf("login with the replaced 醫事憑證: %v, want ErrCertNotRegistered", err)
		}

		// A 醫事機構代碼 names one unit only.
		_, err := db.NewUpdate().Model((*models.Unit)(nil)).Set("medical_code = ?", code).Where("id = ?", f.cert.ID).Exec(ctx)
		if err == nil {
			t.Error("a second unit with the same 醫事機構代碼: want a unique violation")
		}
	})
}

// TestSetUnitCertIDs: staff record a unit's identifiers of the other kinds;
// the form is checked, an identifier names one unit, "" removes one.
func TestSetUnitCertIDs(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newLoginFixture(t, db)
		ctx := context.Background()
		a := models.Actor{Kind: "staff", Name: "hq.staff", Role: models.RoleStaff}
		ids := models.UnitCertIDs{AgencyCode: "2.16.886.101.90000.1", OrgCode: " A21030000I ", MedicalCode: "3599990001"}
		if err := f.s.SetUnitCertIDs(ctx, a, models.ScopeAll, f.cert.ID, ids); err != nil {
			t.Fatal(err)
		}
		var u models.Unit
		if err := db.NewSelect().Model(&u).Where("id = ?", f.cert.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			kind certlogin.Kind
			want string
		}{{certlogin.KindGCA, "2.16.886.101.90000.1"}, {certlogin.KindXCA, "A21030000I"}, {certlogin.KindHCA, "3599990001"}, {certlogin.KindMOEACA, u.BAN}} {
			if got, ok := u.CertID(c.kind); !ok || got != c.want {
				t.Errorf("CertID(%s) = %q, %v; want %q", c.kind, got, ok, c.want)
			}
		}
		if err := f.s.SetUnitCertIDs(ctx, a, models.ScopeAll, f.cert.ID, ids); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("no change: %v, want Invalid", err)
		}
		if err := f.s.SetUnitCertIDs(ctx, a, models.ScopeAll, f.nhi.ID, models.UnitCertIDs{MedicalCode: "3599990001"}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("another unit's 醫事機構代碼: %v, want Conflict", err)
		}
		for _, bad := range []models.UnitCertIDs{{MedicalCode: "12345"}, {AgencyCode: "機關"}, {OrgCode: strings.Repeat("1", 65)}} {
			if err := f.s.SetUnitCertIDs(ctx, a, models.ScopeAll, f.nhi.ID, bad); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%+v: %v, want Invalid", bad, err)
			}
		}
		if err := f.s.SetUnitCertIDs(ctx, a, models.ScopeAll, f.cert.ID, models.UnitCertIDs{}); err != nil {
			t.Fatal(err)
		}
		var cleared models.Unit
		if err := db.NewSelect().Model(&cleared).Where("id = ?", f.cert.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if cleared.AgencyCode != nil || cleared.OrgCode != nil || cleared.MedicalCode != nil {
			t.Errorf("identifiers left after clearing: %v %v %v", cleared.AgencyCode, cleared.OrgCode, cleared.MedicalCode)
		}
	})
}
