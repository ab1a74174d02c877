package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestDeregisteredNHILogin: a deregistered NHI-card unit is told to
// register again, but only with the right card and password; a stranger
// gets the one message for every wrong login.
func TestDeregisteredNHILogin(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if _, err := db.NewUpdate().Model((*models.UnitAccount)(nil)).Set("status = ?, deregistered_at = ?", models.AccountDeregistered, modelstest.Clock).
			Where("id = ?", f.nhiAcc.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		login := func(pw, card string) error {
			sess, _ := f.preLogin(t, models.PurposeUnitLogin)
			_, _, err := f.s.UnitNHILogin(ctx, models.NHILogin{Session: sess, UnitCode: f.nhi.Code, CardNo: card,
				IDNo: *f.nhiAcc.NHIIDNo, Password: pw, IP: "192.0.2.9"})
			return err
		}
		if err := login("Wrong-2026!", *f.nhiAcc.NHICardNo); !errors.Is(err, models.ErrNHIBadCredentials) {
			t.Errorf("wrong password: %v, want ErrNHIBadCredentials", err)
		}
		if err := login(demo.Password, "000099999999"); !errors.Is(err, models.ErrNHIBadCredentials) {
			t.Errorf("wrong card: %v, want ErrNHIBadCredentials", err)
		}
		if err := login(demo.Password, *f.nhiAcc.NHICardNo); !errors.Is(err, models.ErrNHIDeregistered) {
			t.Fatalf("right card and password: %v, want ErrNHIDeregistered", err)
		}
		var ev models.AuditEvent
		if err := db.NewSelect().Model(&ev).Where("action = 'unit.login_failed' AND unit_id = ?", f.nhi.ID).
			Order("seq DESC").Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if ev.Reason != "帳號已註銷" {
			t.Errorf("audit reason %q, want 帳號已註銷", ev.Reason)
		}
	})
}

// TestAuditReasonLabel: reasons stored in English by older code are shown
// in Chinese, a serial after them kept; others are shown as stored.
func TestAuditReasonLabel(t *testing.T) {
	for in, want := range map[string]string{
		"unit closed":               "單位暫時關閉",
		"wrong card or password":    "健保卡或密碼不正確",
		"citizen certificate 1A2B":  "自然人憑證 1A2B",
		"business certificate 00FF": "工商憑證 00FF",
		"經查核資料無誤":                   "經查核資料無誤",
		"":                          "",
	} {
		if got := models.AuditReasonLabel(in); got != want {
			t.Errorf("AuditReasonLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnitHistory: the unit's history shows its own actions and the
// bureau's decisions in words, never a phone case's note or a staff user
// name; another unit's scope sees nothing.
func TestUnitHistory(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		s, u := f.s, f.cert
		staff := staffActor(t, db, "taipei.staff")
		taipei := models.Scope{Branch: "1"}
		c, err := s.OpenCase(ctx, staff, taipei, models.CaseInput{UnitID: u.ID, CallerName: "王小姐", CallerPhone: "02-2700-0000",
			Topic: models.TopicOther, Notes: "來電抱怨，內部備註勿外流", AssignToMe: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddCaseNote(ctx, staff, taipei, c.ID, "承辦人研判：疑似冒用"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUnitStatus(ctx, staff, taipei, u.ID, models.UnitClosed, "other", "內部查核中"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UnitCertLogin(ctx, f.certLogin(t)); err == nil {
			t.Fatal("a closed unit logged in")
		}
		hs, err := models.UnitHistory(ctx, db, models.UnitScope(u.ID), u.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		var closed, failed bool
		for _, h := range hs {
			line := h.Action + "|" + h.Who + "|" + h.Reason
			for _, bad := range []string{"案件", "內部備註", "疑似冒用", staff.Name, "case."} {
				if strings.Contains(line, bad) {
					t.Errorf("history line %q shows %q", line, bad)
				}
			}
			if h.Action == "暫時關閉單位" {
				closed = h.Who == "健保署承辦人" && h.Reason == "其他：內部查核中"
			}
			if h.Action == "單位登入失敗" && h.Reason == "單位暫時關閉" {
				failed = true
			}
		}
		if !closed || !failed {
			t.Errorf("history %+v: want the closing by 健保署承辦人 and the refused login with its reason in words", hs)
		}
		if other, err := models.UnitHistory(ctx, db, models.UnitScope(f.nhi.ID), u.ID, 50); err != nil || len(other) != 0 {
			t.Errorf("another unit's scope: %d entries, %v; want none", len(other), err)
		}
	})
}

// TestCountWork: the work waiting counts within the scope, and a unit's
// scope counts nothing.
func TestCountWork(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		staff := staffActor(t, db, "taipei.staff")
		taipei := models.Scope{Branch: "1"}
		before, err := models.CountWork(ctx, db, taipei)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.OpenCase(ctx, staff, taipei, models.CaseInput{UnitID: f.cert.ID, CallerName: "王小姐", CallerPhone: "02-2700-0000",
			Topic: models.TopicOther, Notes: "詢問", AssignToMe: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RequestDeregistration(ctx, staff, taipei, f.cert.ID, "改以健保卡註冊"); err != nil {
			t.Fatal(err)
		}
		after, err := models.CountWork(ctx, db, taipei)
		if err != nil {
			t.Fatal(err)
		}
		if after.OpenCases != before.OpenCases+1 || after.Approvals != before.Approvals+1 {
			t.Errorf("after a case and a deregistration request: %+v, was %+v", after, before)
		}
		all, err := models.CountWork(ctx, db, models.ScopeAll)
		if err != nil || all.OpenCases < after.OpenCases || all.Approvals < after.Approvals || all.Reviews < after.Reviews {
			t.Errorf("head office %+v (%v), want at least the branch's %+v", all, err, after)
		}
		if unit, err := models.CountWork(ctx, db, models.UnitScope(f.cert.ID)); err != nil || unit != (models.WorkCounts{}) {
			t.Errorf("a unit's scope: %+v %v, want nothing", unit, err)
		}
	})
}

// TestNightlyBatchOn: none before the day's re-validation; after it, its
// counts and its end.
func TestNightlyBatchOn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		on := modelstest.Clock
		if b, err := models.NightlyBatchOn(ctx, db, on); b != nil || err != nil {
			t.Fatalf("before the run: %+v %v, want none", b, err)
		}
		n, err := f.s.NightlyValidate(ctx, on)
		if err != nil {
			t.Fatal(err)
		}
		b, err := models.NightlyBatchOn(ctx, db, on)
		if err != nil || b == nil || b.FinishedAt == nil || b.Validated != int64(n) {
			t.Fatalf("after the run of %d filings: %+v %v", n, b, err)
		}
	})
}
