package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestSelfServiceActions(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		s, u := f.s, f.cert
		a := models.Actor{Kind: "unit", Name: u.Name, UnitID: u.ID}

		t.Run("add and revoke a clerk", func(t *testing.T) {
			id := twid.MakeNationalID('E', 1, 4444444)
			h, err := s.AddClerk(ctx, a, u.ID, models.ClerkInput{CardType: models.CardNHI, CardSerial: "000099990000", CardID: id,
				IDNo: id, Name: "吳小華", Email: "wu@example.com", MayFile: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddClerk(ctx, a, u.ID, models.ClerkInput{CardType: models.CardNHI, CardSerial: "000099990000", CardID: id,
				IDNo: id, Name: "吳小華", Email: "wu@example.com"}); !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("adding the same person twice: %v", err)
			}
			acct, _ := models.ActiveAccount(ctx, db, models.ScopeAll, u.ID)
			tok, _, err := s.NewSession(ctx, db, models.Session{Kind: models.SessionClerk, Role: models.RoleClerkFiler, UnitID: &u.ID, AccountID: &acct.ID, ClerkID: &h.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeClerk(ctx, a, f.nhi.ID, h.ID); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("another unit revoking: %v, want NotFound", err)
			}
			if err := s.RevokeClerk(ctx, a, u.ID, h.ID); err != nil {
				t.Fatal(err)
			}
			if sess, _ := s.SessionByToken(ctx, tok); sess != nil {
				t.Error("the revoked clerk's session survived")
			}
			if err := s.RevokeClerk(ctx, a, u.ID, h.ID); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("revoking twice: %v, want Conflict", err)
			}
			// Assigning the person again after the revocation is allowed.
			if _, err := s.AddClerk(ctx, a, u.ID, models.ClerkInput{CardType: models.CardNHI, CardSerial: "000099990000", CardID: id,
				IDNo: id, Name: "吳小華", Email: "wu@example.com"}); err != nil {
				t.Errorf("assigning again: %v", err)
			}
		})

		t.Run("change the certificate", func(t *testing.T) {
			cert := models.CertInfo{Issuer: "CN=test", Serial: "abc123", Subject: "CN=" + u.Name, NotBefore: modelstest.Clock, NotAfter: modelstest.Clock.AddDate(2, 0, 0)}
			if err := s.ChangeUnitCert(ctx, a, u.ID, cert, certlogin.KindMOEACA, "04595257"); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("another 統一編號: %v", err)
			}
			if err := s.ChangeUnitCert(ctx, a, u.ID, cert, certlogin.KindMOEACA, u.BAN); err != nil {
				t.Fatal(err)
			}
			if err := s.ChangeUnitCert(ctx, a, u.ID, cert, certlogin.KindMOEACA, u.BAN); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("the same certificate again: %v", err)
			}
			if err := s.ChangeUnitCert(ctx, a, f.nhi.ID, cert, certlogin.KindMOEACA, f.nhi.BAN); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("an NHI-card unit: %v", err)
			}
			acct, _ := models.ActiveAccount(ctx, db, models.ScopeAll, u.ID)
			if *acct.CertSerial != "abc123" {
				t.Errorf("serial %s", *acct.CertSerial)
			}
		})

		t.Run("勞保證號 and contact data", func(t *testing.T) {
			if err := s.SetLaborInsNo(ctx, a, u.ID, "1234567"); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("bad 勞保證號: %v", err)
			}
			if err := s.SetLaborInsNo(ctx, a, u.ID, "12345678a"); err != nil {
				t.Fatal(err)
			}
			in := models.ContactInput{ChangeMail: true, Mail: models.Address{County: "高雄市", Township: "前金區", Village: "文東里", Street: "中正四路259號"},
				Phone: "(07)231-5151"}
			if err := s.UpdateContact(ctx, a, u.ID, in); err != nil {
				t.Fatal(err)
			}
			got, _ := models.UnitByID(ctx, db, models.ScopeAll, u.ID)
			if *got.LaborInsNo != "12345678A" || got.Mail.String() != "高雄市前金區文東里中正四路259號" || got.Phone != "(07)231-5151" || got.Version < 3 {
				t.Errorf("unit after: %v %v %v v%d", *got.LaborInsNo, got.Mail, got.Phone, got.Version)
			}
			if err := s.UpdateContact(ctx, a, u.ID, in); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("no change: %v", err)
			}
		})

		t.Run("change requests", func(t *testing.T) {
			in := models.ChangeRequestInput{ChangeName: true, NewName: "新名稱股份有限公司", EffectiveDate: modelstest.Clock,
				ContactName: "王大明", ContactPhone: "02-2345-6789",
				Documents: []models.Upload{{FileName: "a.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")}}}
			r, err := s.SubmitChangeRequest(ctx, a, u.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			var rep *models.Repeated
			if _, err := s.SubmitChangeRequest(ctx, a, u.ID, in); !errors.As(err, &rep) || rep.ID != r.ID {
				t.Fatalf("the same request again at once: %v, want Repeated{%d}", err, r.ID)
			}
			other := in
			other.NewName = "另一個名稱股份有限公司"
			if _, err := s.SubmitChangeRequest(ctx, a, u.ID, other); !apperr.Is(err, apperr.Conflict) {
				t.Fatalf("second pending request: %v, want Conflict", err)
			}
			got, err := models.ChangeRequestByID(ctx, db, models.UnitScope(u.ID), r.ID)
			if err != nil || len(got.Documents) != 1 || got.Documents[0].Data != nil || got.Documents[0].SHA256 == "" {
				t.Fatalf("request: %+v, %v", got, err)
			}
			if name, _ := got.Before(); name != u.Name {
				t.Errorf("before name %q", name)
			}
			if _, err := models.ChangeRequestByID(ctx, db, models.UnitScope(f.nhi.ID), r.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("another unit: %v", err)
			}
			if _, err := models.DocumentByID(ctx, db, models.UnitScope(f.nhi.ID), got.Documents[0].ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("another unit's document: %v", err)
			}
			doc, err := models.DocumentByID(ctx, db, models.Scope{Branch: u.BranchCode}, got.Documents[0].ID)
			if err != nil || string(doc.Data) != "%PDF-1.4" {
				t.Errorf("document for the unit's branch: %v", err)
			}
			if err := s.CancelChangeRequest(ctx, a, u.ID, r.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.CancelChangeRequest(ctx, a, u.ID, r.ID); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("cancelling twice: %v", err)
			}
			if _, err := s.SubmitChangeRequest(ctx, a, u.ID, in); err != nil {
				t.Errorf("a new request after cancelling: %v", err)
			}
			// The schema itself refuses a second pending request.
			_, err = db.ExecContext(ctx, "INSERT INTO change_requests (unit_id, kind, change_name, change_reg, new_name, before_json, effective_date, contact_name, contact_phone, status, submitted_by, submitted_at) VALUES (?, 'with_proof', TRUE, FALSE, 'x', '{}', '2026-03-02', 'a', 'b', 'pending', 'x', ?)", u.ID, modelstest.Clock)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") {
				t.Errorf("second pending row: %v, want a unique violation", err)
			}
		})
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Error(err)
		}
	})
}
