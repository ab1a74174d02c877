package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/mail"
	"github.com/multicert/multicert/internal/mail/mailtest"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func staffActor(t *testing.T, db bun.IDB, username string) models.Actor {
	t.Helper()
	var st models.Staff
	if err := db.NewSelect().Model(&st).Where("username = ?", username).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := ""
	if st.BranchCode != nil {
		b = *st.BranchCode
	}
	return models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role, Branch: b}
}

func count(t *testing.T, db bun.IDB, table, where string, args ...any) int {
	t.Helper()
	n, err := db.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestCloseAndReopen(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		s, u := f.s, f.cert
		staff := staffActor(t, db, "taipei.staff")
		taipei := models.Scope{Branch: "1"}
		acct := f.certAcc
		tok, _, _ := s.NewSession(ctx, db, models.Session{Kind: models.SessionUnit, Role: models.RoleUnitOwner, UnitID: &u.ID, AccountID: &acct.ID})

		if err := s.SetUnitStatus(ctx, staff, taipei, u.ID, models.UnitClosed, "", ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("no reason: %v", err)
		}
		if err := s.SetUnitStatus(ctx, staff, models.Scope{Branch: "2"}, u.ID, models.UnitClosed, "suspended", ""); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another branch: %v", err)
		}
		if err := s.SetUnitStatus(ctx, staff, taipei, u.ID, models.UnitClosed, "suspended", "單位來電"); err != nil {
			t.Fatal(err)
		}
		if sess, _ := s.SessionByToken(ctx, tok); sess != nil {
			t.Error("closing did not end the unit's session")
		}
		if _, _, err := s.UnitCertLogin(ctx, f.certLogin(t)); !apperr.Is(err, apperr.Forbidden) || !strings.Contains(err.Error(), "請洽詢承辦人") {
			t.Fatalf("login of the closed unit: %v", err)
		}
		if err := s.SetUnitStatus(ctx, staff, taipei, u.ID, models.UnitClosed, "suspended", ""); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("closing twice: %v", err)
		}
		if err := s.SetUnitStatus(ctx, staff, taipei, u.ID, models.UnitActive, "verified", ""); err != nil {
			t.Fatal(err)
		}
		// Effective at once: the unit logs in right away.
		if _, _, err := s.UnitCertLogin(ctx, f.certLogin(t)); err != nil {
			t.Fatalf("login right after reopening: %v", err)
		}
		if n := count(t, db, "notices", "unit_id = ?", u.ID); n != 2 {
			t.Errorf("%d notices, want 2", n)
		}
		if n := count(t, db, "outbox", "dedup_key LIKE 'unit.%'"); n != 2 {
			t.Errorf("%d mails, want 2 (close and reopen)", n)
		}
		var ev models.AuditEvent
		if err := db.NewSelect().Model(&ev).Where("action = 'unit.reopen'").Scan(ctx); err != nil || ev.Reason != "經查核資料無誤" || ev.ActorName != "taipei.staff" {
			t.Errorf("audit of the reopening: %+v %v", ev, err)
		}
	})
}

func TestDeregistrationFourEyes(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		s, u := f.s, f.nhi // registered with the responsible person's NHI card
		staff, super, super2 := staffActor(t, db, "central.staff"), staffActor(t, db, "central.super"), staffActor(t, db, "hq.super")
		sc := models.Scope{Branch: u.BranchCode}
		if u.BranchCode != "3" {
			staff, super = staffActor(t, db, "taipei.staff"), staffActor(t, db, "taipei.super")
		}
		d, err := s.RequestDeregistration(ctx, super, sc, u.ID, "單位來電，改以工商憑證註冊")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestDeregistration(ctx, staff, sc, u.ID, "again"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second pending request: %v", err)
		}
		if err := s.DecideDeregistration(ctx, super, sc, d.ID, true, ""); !errors.Is(err, models.ErrFourEyes) {
			t.Fatalf("the requester approving: %v, want ErrFourEyes", err)
		}
		// The schema refuses it too.
		if _, err := db.ExecContext(ctx, "UPDATE deregistrations SET status = 'approved', decided_by = requested_by, decided_at = ? WHERE id = ?", modelstest.Clock, d.ID); err == nil {
			t.Fatal("the schema let the requester decide")
		}
		acct := f.nhiAcc
		tok, _, _ := s.NewSession(ctx, db, models.Session{Kind: models.SessionUnit, Role: models.RoleUnitOwner, UnitID: &u.ID, AccountID: &acct.ID})
		if err := s.DecideDeregistration(ctx, super2, models.ScopeAll, d.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if a, _ := models.ActiveAccount(ctx, db, models.ScopeAll, u.ID); a != nil {
			t.Fatal("the account is still active")
		}
		if n := count(t, db, "clerks", "unit_id = ? AND status = 'active'", u.ID); n != 0 {
			t.Errorf("%d clerks still active", n)
		}
		if sess, _ := s.SessionByToken(ctx, tok); sess != nil {
			t.Error("the unit's session survived")
		}
		if err := s.DecideDeregistration(ctx, staff, sc, d.ID, false, "x"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("deciding twice: %v", err)
		}
		// The unit registers again, with the business certificate this time.
		sess, nonce := f.preLogin(t, models.PurposeRegister)
		in := models.CertLogin{Session: sess, Nonce: nonce, Issuer: "CN=dev", Serial: "feed01", UnitID: u.BAN}
		if _, _, err := s.RegisterUnitCert(ctx, in, u.Code, models.CertInfo{Issuer: "CN=dev", Serial: "feed01", Subject: "CN=" + u.Name,
			NotBefore: modelstest.Clock, NotAfter: modelstest.Clock.AddDate(2, 0, 0)}); err != nil {
			t.Fatalf("registering again with the other card type: %v", err)
		}
		a, _ := models.ActiveAccount(ctx, db, models.ScopeAll, u.ID)
		if a == nil || a.RegType != models.RegBusinessCert {
			t.Fatalf("account after re-registration: %+v", a)
		}
		var ev models.AuditEvent
		if err := db.NewSelect().Model(&ev).Where("action = 'deregistration.approve'").Scan(ctx); err != nil || !strings.Contains(ev.AfterJSON, "waited_seconds") {
			t.Errorf("approval audit: %+v %v", ev, err)
		}
	})
}

func TestDeregistrationRecheckedAtApproval(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		staff, super := staffActor(t, db, "hq.staff"), staffActor(t, db, "hq.super")
		d, err := f.s.RequestDeregistration(ctx, staff, models.ScopeAll, f.cert.ID, "x")
		if err != nil {
			t.Fatal(err)
		}
		// The account changes after the request (deregistered by hand here).
		if _, err := db.NewUpdate().Table("unit_accounts").Set("status = 'deregistered', deregistered_at = ?", modelstest.Clock).
			Where("id = ?", f.certAcc.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DecideDeregistration(ctx, super, models.ScopeAll, d.ID, true, ""); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("approving a changed account: %v, want Conflict", err)
		}
		if err := f.s.DecideDeregistration(ctx, super, models.ScopeAll, d.ID, false, ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("rejecting without a reason: %v", err)
		}
		if err := f.s.DecideDeregistration(ctx, super, models.ScopeAll, d.ID, false, "帳號已變動"); err != nil {
			t.Errorf("rejecting: %v", err)
		}
	})
}

func submitRequest(t *testing.T, s *models.Store, u models.Unit, effective time.Time) *models.ChangeRequest {
	t.Helper()
	r, err := s.SubmitChangeRequest(context.Background(), models.Actor{Kind: "unit", Name: u.Name, UnitID: u.ID}, u.ID, models.ChangeRequestInput{
		ChangeReg: true, NewReg: models.Address{County: "臺南市", Township: "新化區", Village: "𦰡拔里", Street: "中正路1號"},
		EffectiveDate: effective, ContactName: "王大明", ContactPhone: "06-590-1234",
		Documents: []models.Upload{{FileName: "p.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestConcurrentReviewExactlyOneWins has eight reviewers decide the same
// request at once, half approving, half rejecting, each with the version
// they saw: exactly one succeeds, the others are told it was decided.
func TestConcurrentReviewExactlyOneWins(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		r := submitRequest(t, f.s, f.cert, modelstest.Clock)
		reviewers := []string{"taipei.staff", "taipei.super", "hq.staff", "hq.super"}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := staffActor(t, db, reviewers[i%len(reviewers)])
				<-start
				errs[i] = f.s.DecideChangeRequest(ctx, a, models.ScopeAll, r.ID, r.Version, i%2 == 0, "資料不符")
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case apperr.Is(err, apperr.Conflict) && strings.Contains(err.Error(), "已由"):
			default:
				t.Errorf("a loser got %v, want the already-decided Conflict", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d decisions won, want exactly 1", wins)
		}
		if n := count(t, db, "audit_events", "action IN ('change_request.approve','change_request.reject') AND object_id = ?", fmt.Sprint(r.ID)); n != 1 {
			t.Errorf("%d decision events, want 1", n)
		}
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Error(err)
		}
	})
}

func TestApprovalAppliesOnTheEffectiveDate(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		staff := staffActor(t, db, "taipei.staff")
		later := submitRequest(t, f.s, f.cert, modelstest.Clock.AddDate(0, 0, 3))
		if err := f.s.DecideChangeRequest(ctx, staff, models.ScopeAll, later.ID, later.Version, true, ""); err != nil {
			t.Fatal(err)
		}
		u, _ := models.UnitByID(ctx, db, models.ScopeAll, f.cert.ID)
		if u.Reg.Township == "新化區" {
			t.Fatal("applied before the effective date")
		}
		if n, err := f.s.ApplyDueChanges(ctx); err != nil || n != 0 {
			t.Fatalf("ApplyDueChanges before the date = %d, %v", n, err)
		}
		f.clk.Advance(72 * time.Hour)
		if n, err := f.s.ApplyDueChanges(ctx); err != nil || n != 1 {
			t.Fatalf("ApplyDueChanges on the date = %d, %v", n, err)
		}
		if n, _ := f.s.ApplyDueChanges(ctx); n != 0 {
			t.Error("applied twice")
		}
		u, _ = models.UnitByID(ctx, db, models.ScopeAll, f.cert.ID)
		if u.Reg.String() != "臺南市新化區𦰡拔里中正路1號" {
			t.Errorf("registered address %q", u.Reg.String())
		}
		// Approval with the date already come applies at once.
		now := submitRequest(t, f.s, f.nhi, modelstest.Clock)
		if err := f.s.DecideChangeRequest(ctx, staffActor(t, db, "hq.staff"), models.ScopeAll, now.ID, now.Version, true, ""); err != nil {
			t.Fatal(err)
		}
		u2, _ := models.UnitByID(ctx, db, models.ScopeAll, f.nhi.ID)
		if u2.Reg.Township != "新化區" {
			t.Error("approval with a past effective date did not apply at once")
		}
		rej, err := f.s.SubmitChangeRequest(ctx, models.Actor{Kind: "unit", Name: "x", UnitID: f.cert.ID}, f.cert.ID, models.ChangeRequestInput{
			ChangeName: true, NewName: "改名股份有限公司", EffectiveDate: modelstest.Clock, ContactName: "王大明", ContactPhone: "06-590-1234",
			Documents: []models.Upload{{FileName: "p.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.DecideChangeRequest(ctx, staff, models.ScopeAll, rej.ID, rej.Version, false, ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("rejecting without a reason: %v", err)
		}
		if err := f.s.DecideChangeRequest(ctx, staffActor(t, db, "north.staff"), models.Scope{Branch: "2"}, rej.ID, rej.Version, false, "x"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another branch deciding: %v", err)
		}
	})
}

// mailSender adapts internal/mail to the outbox.
type mailSender struct{ s *mail.SMTP }

func (m mailSender) Send(ctx context.Context, x *models.Mail) error {
	return m.s.Send(ctx, x.DedupKey, x.Recipients(), x.Subject, x.Body)
}

func TestOutboxSendsOnceAndRetries(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		srv := mailtest.Start(t)
		smtp, err := mail.New(mail.Config{Addr: srv.Addr, From: "noreply@nhi.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		staff := staffActor(t, db, "hq.staff")
		if err := f.s.SetUnitStatus(ctx, staff, models.ScopeAll, f.cert.ID, models.UnitClosed, "data_check", ""); err != nil {
			t.Fatal(err)
		}
		srv.SetFailing(true)
		if n, err := f.s.SendDue(ctx, mailSender{smtp}, 10); err != nil || n != 0 {
			t.Fatalf("SendDue while the server refuses = %d, %v", n, err)
		}
		if n, _ := f.s.SendDue(ctx, mailSender{smtp}, 10); n != 0 {
			t.Error("retried before the delay")
		}
		srv.SetFailing(false)
		f.clk.Advance(2 * time.Minute)
		if n, err := f.s.SendDue(ctx, mailSender{smtp}, 10); err != nil || n != 1 {
			t.Fatalf("SendDue after the delay = %d, %v", n, err)
		}
		if n, _ := f.s.SendDue(ctx, mailSender{smtp}, 10); n != 0 {
			t.Error("sent twice")
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "暫時關閉") || !strings.Contains(msgs[0].Body, f.cert.Code) {
			t.Fatalf("mail: %+v", msgs)
		}
		hs, _ := models.ClerksOfUnit(ctx, db, models.ScopeAll, f.cert.ID)
		if len(msgs[0].To) == 0 || msgs[0].To[0] != hs[0].Email {
			t.Errorf("sent to %v, want the unit's clerks", msgs[0].To)
		}
	})
}
