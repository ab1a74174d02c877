package handlers_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestUnitCertificateKinds logs units in through HTTP with a 政府憑證, a
// 組織及團體憑證 and a 醫事憑證 (the demo's agency, school and hospital),
// and refuses a card of one kind wherever another kind's identifier would
// match: the login is proven by the signature of a card that chains to
// its own kind's CA, and that kind's field names the unit.
func TestUnitCertificateKinds(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		ca := devCA(t)
		nb, na := modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0)
		units, err := demo.KindUnits(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		cards := map[certlogin.Kind]*devca.Card{}
		infos := map[certlogin.Kind]models.CertInfo{}
		for _, ku := range units {
			var c *devca.Card
			switch ku.Kind {
			case certlogin.KindGCA:
				c, err = ca.IssueGCA(ku.ID, ku.Name, nb, na)
			case certlogin.KindXCA:
				c, err = ca.IssueXCA(ku.ID, ku.Name, nb, na)
			case certlogin.KindHCA:
				c, err = ca.IssueHCA(ku.ID, ku.Name, nb, na)
			}
			if err != nil {
				t.Fatal(err)
			}
			issuer, serial := certlogin.IssuerSerial(c.Cert)
			cards[ku.Kind], infos[ku.Kind] = c, models.CertInfo{Issuer: issuer, Serial: serial, Subject: c.Cert.Subject.String(), NotBefore: nb, NotAfter: na}
		}
		if err := demo.BindKindCards(ctx, e.store, infos); err != nil {
			t.Fatal(err)
		}
		login := func(card *devca.Card) (int, map[string]any) {
			return e.cardClient().signIn(t, "/login/certificate", models.PurposeUnitLogin, card, testOrigin, url.Values{"as_unit": {"1"}})
		}
		for _, ku := range units {
			t.Run(string(ku.Kind), func(t *testing.T) {
				c := e.cardClient()
				code, res := c.signIn(t, "/login/certificate", models.PurposeUnitLogin, cards[ku.Kind], testOrigin, url.Values{"as_unit": {"1"}})
				if code != http.StatusOK || res["redirect"] != "/portal" {
					t.Fatalf("login: %d %v", code, res)
				}
				wantContains(t, c.get("/portal"), ku.Name, ku.Kind.Name())
			})
		}

		hospital := units[2]
		var hu models.Unit
		if err := db.NewSelect().Model(&hu).Where("code = ?", hospital.Code).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		t.Run("an HCA card with the hospital's 統一編號 in its subject", func(t *testing.T) {
			// Same issuer as the registered card, a 統一編號 where a 工商憑證
			// carries it, bound to nothing: refused.
			fake, err := ca.IssueWith(devca.KindHCA, devca.BusinessTemplate(hu.BAN, hu.Name, nb, na), nil)
			if err != nil {
				t.Fatal(err)
			}
			if code, res := login(fake); code != http.StatusUnauthorized {
				t.Fatalf("%d %v, want 401", code, res)
			}
		})
		t.Run("the hospital's registered HCA card presented with a 工商憑證 of the same 統一編號", func(t *testing.T) {
			biz, err := ca.IssueBusiness(hu.BAN, hu.Name, nb, na)
			if err != nil {
				t.Fatal(err)
			}
			if code, res := login(biz); code != http.StatusUnauthorized || !strings.Contains(res["error"].(string), "尚未註冊") {
				t.Fatalf("%d %v, want 401 not registered", code, res)
			}
		})

		// Registration of demo unit 9 (no account): give it an XCA
		// organization identifier, then try a GCA card carrying the same
		// identifier, an HCA card carrying its 統一編號, then the right card.
		var free models.Unit
		if err := db.NewSelect().Model(&free).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		const orgID = "2.16.886.101.90000.30099"
		if _, err := db.NewUpdate().Model((*models.Unit)(nil)).Set("org_code = ?", orgID).Where("id = ?", free.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		register := func(card *devca.Card) (int, map[string]any) {
			return e.cardClient().signIn(t, "/register/certificate", models.PurposeRegister, card, testOrigin, url.Values{"unit_code": {free.Code}})
		}
		gcaSameID, _ := ca.IssueGCA(orgID, free.Name, nb, na)
		if code, res := register(gcaSameID); code != http.StatusUnauthorized {
			t.Errorf("register with a GCA card carrying the unit's XCA identifier: %d %v, want 401", code, res)
		}
		hcaBAN, _ := ca.IssueWith(devca.KindHCA, devca.BusinessTemplate(free.BAN, free.Name, nb, na), nil)
		if code, res := register(hcaBAN); code != http.StatusUnauthorized {
			t.Errorf("register with an HCA card carrying the unit's 統一編號: %d %v, want 401", code, res)
		}
		untrusted, _ := devCAOther(t).IssueXCA(orgID, free.Name, nb, na)
		if code, res := register(untrusted); code != http.StatusUnauthorized {
			t.Errorf("register with an XCA card of an untrusted CA: %d %v, want 401", code, res)
		}
		xca, _ := ca.IssueXCA(orgID, free.Name, nb, na)
		if code, res := register(xca); code != http.StatusOK {
			t.Fatalf("register with the unit's XCA card: %d %v", code, res)
		}
		if code, res := login(xca); code != http.StatusOK {
			t.Fatalf("login after registering: %d %v", code, res)
		}

		// 單位憑證變更作業: a unit with a 工商憑證 account may move to its
		// 醫事憑證, and not to a 醫事憑證 of another institution.
		c := e.unitClient(0, models.RoleUnitOwner)
		var u0 models.Unit
		if err := db.NewSelect().Model(&u0).Where("id = ?", e.unitID(0)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		send := func(der []byte, step string) *response {
			return c.post("/portal/certificate", url.Values{"cert": {base64.StdEncoding.EncodeToString(der)}, "step": {step}})
		}
		other, _ := ca.IssueHCA("3599990077", u0.Name, nb, na)
		r := send(other.Cert.Raw, "check")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "醫事機構代碼", "未登記")
		if _, err := db.NewUpdate().Model((*models.Unit)(nil)).Set("medical_code = ?", "3599990077").Where("id = ?", u0.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		r = send(other.Cert.Raw, "check")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "醫事憑證", "3599990077", `value="save"`)
		wantStatus(t, send(other.Cert.Raw, "save"), http.StatusSeeOther)
		if code, res := login(other); code != http.StatusOK {
			t.Fatalf("login with the new 醫事憑證: %d %v", code, res)
		}
	})
}

// TestStaffSetsUnitCertIDs: staff record the identifier a unit's 醫事憑證
// carries on the console's unit page; the unit then registers with that
// card. An identifier names one unit only.
func TestStaffSetsUnitCertIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	staff := e.staffClient("taipei.staff")
	id := e.unitID(ownUnit)
	path := "/console/units/" + strconv.FormatInt(id, 10)
	wantContains(t, staff.get(path), "單位憑證識別碼", `name="medical_code"`)

	r := staff.post(path+"/cert-ids", url.Values{"medical_code": {"12-34"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantStatus(t, staff.post(path+"/cert-ids", url.Values{"medical_code": {"3599990055"}}), http.StatusSeeOther)
	var u models.Unit
	if err := e.db.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if u.MedicalCode == nil || *u.MedicalCode != "3599990055" {
		t.Fatalf("medical_code = %v", u.MedicalCode)
	}
	if auditCount(t, e.db, "unit.cert_ids") != 1 {
		t.Error("no unit.cert_ids audit event")
	}
	wantContains(t, staff.get(path), "3599990055", "醫事憑證")

	// The demo hospital holds its own code; another unit cannot take it.
	units, err := demo.KindUnits(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	var hospital models.Unit
	if err := e.db.NewSelect().Model(&hospital).Where("code = ?", units[2].Code).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	r = e.staffClient("hq.staff").post("/console/units/"+strconv.FormatInt(hospital.ID, 10)+"/cert-ids", url.Values{"medical_code": {"3599990055"}})
	wantStatus(t, r, http.StatusConflict)

	// The unit's 醫事憑證 now logs it in once bound: register after
	// deregistration is another journey; here the certificate change.
	ca := devCA(t)
	nb, na := modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0)
	hca, err := ca.IssueHCA("3599990055", u.Name, nb, na)
	if err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleUnitOwner)
	der := base64.StdEncoding.EncodeToString(hca.Cert.Raw)
	wantStatus(t, c.post("/portal/certificate", url.Values{"cert": {der}, "step": {"save"}}), http.StatusSeeOther)
	if code, res := e.cardClient().signIn(t, "/login/certificate", models.PurposeUnitLogin, hca, testOrigin, url.Values{"as_unit": {"1"}}); code != http.StatusOK {
		t.Fatalf("login with the 醫事憑證: %d %v", code, res)
	}
	// Clearing the code stops it.
	wantStatus(t, staff.post(path+"/cert-ids", url.Values{"medical_code": {""}}), http.StatusSeeOther)
	if code, res := e.cardClient().signIn(t, "/login/certificate", models.PurposeUnitLogin, hca, testOrigin, url.Values{"as_unit": {"1"}}); code != http.StatusUnauthorized {
		t.Fatalf("login after the code was cleared: %d %v, want 401", code, res)
	}
}
