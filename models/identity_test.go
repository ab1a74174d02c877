package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// nhiClerk returns an active NHI-card clerk of an open, registered demo
// unit.
func nhiClerk(t *testing.T, db *bun.DB) models.Clerk {
	t.Helper()
	var h models.Clerk
	err := db.NewSelect().Model(&h).Where("card_type = ? AND status = ?", models.CardNHI, models.ClerkActive).
		Where("unit_id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')").
		Where("unit_id IN (SELECT id FROM units WHERE status = 'active')").Order("id").Limit(1).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// unregisteredUnitWithEmail returns demo unit 9, which has no account,
// with an e-mail on file.
func unregisteredUnitWithEmail(t *testing.T, db *bun.DB) models.Unit {
	t.Helper()
	ctx := context.Background()
	if _, err := db.NewUpdate().Table("units").Set("email = ?", "owner9@example.com.tw").Where("code = ?", demo.UnitCode(9)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var u models.Unit
	if err := db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if a, _ := models.ActiveAccount(ctx, db, models.ScopeAll, u.ID); a != nil || u.Status != models.UnitActive {
		t.Fatal("demo unit 9 is registered or closed")
	}
	return u
}

// setNHIPassword sets a person's 健保卡網路服務註冊 password the way the
// person does: the code request, the code from the mail, the confirmation.
func (f *loginFixture) setNHIPassword(t *testing.T, card models.NHICard, email, pw, ip string) {
	t.Helper()
	ctx := context.Background()
	if err := f.s.RequestNHICode(ctx, card, card.IDNo, ip); err != nil {
		t.Fatal(err)
	}
	code := modelstest.MailedCode(t, f.db, email, "驗證碼：")
	if err := f.s.ConfirmNHICode(ctx, models.NHIConfirm{Card: card, TypedID: card.IDNo, Code: code, Password: pw, Password2: pw, IP: ip}); err != nil {
		t.Fatal(err)
	}
}

func mailCount(t *testing.T, db *bun.DB) int {
	t.Helper()
	n, err := db.NewSelect().Table("outbox").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// A stranger who knows a clerk's ID number and card number (both printed
// or public) cannot set the clerk's password: the code goes to the
// address the unit recorded, guesses void it, and the login needs the
// password.
func TestStrangerCannotTakeOverClerk(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		h := nhiClerk(t, db)
		// Typed by the stranger, reader empty; the name is the stranger's words.
		claim := models.NHICard{CardNo: h.CardSerial, Name: "請回電客服", IDNo: h.IDNo}
		const ip = "203.0.113.66"
		if err := f.s.RequestNHICode(ctx, claim, h.IDNo, ip); err != nil {
			t.Fatal(err)
		}
		ms, err := models.RecentMail(ctx, db, 1)
		if err != nil || len(ms) != 1 || strings.Contains(ms[0].Body, claim.Name) || !strings.Contains(ms[0].Body, h.Name) {
			t.Fatalf("the code mail should greet the unit's recorded name, not the page's: %v %+v", err, ms)
		}
		real := modelstest.MailedCode(t, db, h.Email, "驗證碼：")
		for i := 0; i < models.MaxCodeAttempts; i++ {
			guess := fmt.Sprintf("%06d", i)
			if guess == real {
				guess = "999999"
			}
			err := f.s.ConfirmNHICode(ctx, models.NHIConfirm{Card: claim, TypedID: h.IDNo, Code: guess, Password: "Stranger-1", Password2: "Stranger-1",
				IP: fmt.Sprintf("203.0.113.%d", i)})
			if !errors.Is(err, models.ErrBadCode) {
				t.Fatalf("guess %d: %v, want ErrBadCode", i, err)
			}
		}
		// Five wrong guesses void the code: even the right one fails now.
		err = f.s.ConfirmNHICode(ctx, models.NHIConfirm{Card: claim, TypedID: h.IDNo, Code: real, Password: "Stranger-1", Password2: "Stranger-1", IP: "198.51.100.1"})
		if !errors.Is(err, models.ErrBadCode) {
			t.Fatalf("the right code after five guesses: %v, want ErrBadCode", err)
		}
		sess, _ := f.preLogin(t, models.PurposeClerkLogin)
		if _, _, err := f.s.ClerkNHILogin(ctx, models.NHILogin{Session: sess, CardNo: claim.CardNo, IDNo: h.IDNo, Password: "Stranger-1", IP: ip}); err == nil {
			t.Fatal("the stranger logged in")
		}
	})
}

// The code expires, and one code works once.
func TestNHICodeExpires(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		h := nhiClerk(t, db)
		card := models.NHICard{CardNo: h.CardSerial, Name: h.Name, IDNo: h.IDNo}
		if err := f.s.RequestNHICode(ctx, card, h.IDNo, "192.0.2.5"); err != nil {
			t.Fatal(err)
		}
		code := modelstest.MailedCode(t, db, h.Email, "驗證碼：")
		f.clk.Advance(models.NHICodeTTL + time.Second)
		err := f.s.ConfirmNHICode(ctx, models.NHIConfirm{Card: card, TypedID: h.IDNo, Code: code, Password: "Secret-123", Password2: "Secret-123", IP: "192.0.2.5"})
		if !errors.Is(err, models.ErrBadCode) {
			t.Fatalf("expired code: %v, want ErrBadCode", err)
		}
	})
}

// A person no unit has assigned gets no code, and the same answer; the
// code goes out when a unit assigns them (reading their card), to the
// address the unit recorded.
func TestUnassignedPersonRegistersAfterAssignment(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		person := models.NHICard{CardNo: "000077778888", Name: "林小新", IDNo: twid.MakeNationalID('K', 2, 7654321)}
		before := mailCount(t, db)
		if err := f.s.RequestNHICode(ctx, person, person.IDNo, "192.0.2.7"); err != nil {
			t.Fatalf("unassigned person: %v, want the same answer as for anyone", err)
		}
		if got := mailCount(t, db); got != before {
			t.Fatalf("a mail was queued for an unassigned person (%d → %d)", before, got)
		}
		unit := f.cert
		if _, err := f.s.AddClerk(ctx, models.Actor{Kind: "unit", Name: unit.Name, UnitID: unit.ID}, unit.ID, models.ClerkInput{
			CardType: models.CardNHI, CardSerial: person.CardNo, CardID: person.IDNo, IDNo: person.IDNo, Name: person.Name,
			Email: "xin.lin@example.com.tw"}); err != nil {
			t.Fatal(err)
		}
		code := modelstest.MailedCode(t, db, "xin.lin@example.com.tw", "驗證碼：")
		f.clk.Advance(2 * time.Hour) // longer than a requested code lives, within the assignment's 24 hours
		if err := f.s.ConfirmNHICode(ctx, models.NHIConfirm{Card: person, TypedID: person.IDNo, Code: code, Password: "Secret-123", Password2: "Secret-123",
			IP: "192.0.2.7"}); err != nil {
			t.Fatal(err)
		}
		sess, _ := f.preLogin(t, models.PurposeClerkLogin)
		if _, u, err := f.s.ClerkNHILogin(ctx, models.NHILogin{Session: sess, CardNo: person.CardNo, IDNo: person.IDNo, Password: "Secret-123",
			IP: "192.0.2.7", UnitCode: unit.Code}); err != nil || u.ID != unit.ID {
			t.Fatalf("login: %v", err)
		}
	})
}

// A clerk's login needs the card the unit read; a replaced card is
// accepted after the e-mail code.
func TestClerkLoginNeedsTheAssignedCard(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		h := nhiClerk(t, db)
		card := models.NHICard{CardNo: h.CardSerial, Name: h.Name, IDNo: h.IDNo}
		f.setNHIPassword(t, card, h.Email, "Secret-123", "192.0.2.8")
		login := func(cardNo string) error {
			sess, _ := f.preLogin(t, models.PurposeClerkLogin)
			_, _, err := f.s.ClerkNHILogin(ctx, models.NHILogin{Session: sess, CardNo: cardNo, IDNo: h.IDNo, Password: "Secret-123", IP: "192.0.2.8"})
			return err
		}
		if err := login(card.CardNo); err != nil {
			t.Fatal(err)
		}
		newCard := card
		newCard.CardNo = "000055556666"
		if err := login(newCard.CardNo); !errors.Is(err, models.ErrNHIOtherCard) {
			t.Fatalf("another card: %v, want ErrNHIOtherCard", err)
		}
		f.setNHIPassword(t, newCard, h.Email, "Secret-123", "192.0.2.8")
		if err := login(newCard.CardNo); err != nil {
			t.Fatalf("the new card after the e-mail code: %v", err)
		}
		if err := login(card.CardNo); !errors.Is(err, models.ErrNHIOtherCard) {
			t.Fatalf("the old card after the new one was proved: %v", err)
		}
	})
}

// A stranger who types a unit's code, 統一編號 and the responsible person's
// ID (all semi-public) cannot register it: the 開通碼 goes to the unit's
// address on file; without it the registration is refused.
func TestStrangerCannotRegisterUnit(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		u := unregisteredUnitWithEmail(t, db)
		claim := models.NHICard{CardNo: "000012121212", Name: u.OwnerName, IDNo: *u.OwnerIDNo}
		for name, x := range map[string]struct{ code, ban string }{
			"right data":   {u.Code, u.BAN},
			"wrong 統一編號":   {u.Code, "00000000"},
			"unknown code": {"999999999", u.BAN},
		} {
			if err := f.s.RequestUnitCode(ctx, x.code, x.ban, claim, "203.0.113.9"); err != nil {
				t.Errorf("%s: %v, want the one answer", name, err)
			}
		}
		real := modelstest.MailedCode(t, db, u.Email, "開通碼：")
		sess, _ := f.preLogin(t, models.PurposeRegister)
		in := models.UnitNHIRegistration{Session: sess, UnitCode: u.Code, BAN: u.BAN, Card: claim, Password: "Stranger-1", IP: "203.0.113.9"}
		for _, guess := range []string{"", "AAAAAAAAAA", "2345678923"} {
			in.ActivationCode = guess
			if _, _, err := f.s.RegisterUnitNHI(ctx, in); err == nil || !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("開通碼 %q: %v, want refused", guess, err)
			}
		}
		if a, _ := models.ActiveAccount(ctx, db, models.ScopeAll, u.ID); a != nil {
			t.Fatal("the stranger registered the unit")
		}
		// The unit, with the mailed code, registers.
		in.ActivationCode, in.Password = real, "Owner-2026"
		if _, got, err := f.s.RegisterUnitNHI(ctx, in); err != nil || got.ID != u.ID {
			t.Fatalf("with the mailed 開通碼: %v", err)
		}
	})
}

// A bureau officer's 開通碼 can be revoked before use.
func TestRevokedUnitCode(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		var u models.Unit
		if err := db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		staff := models.Actor{Kind: "staff", Name: "taipei.staff"}
		code, err := f.s.IssueUnitCode(ctx, staff, models.BranchScope(&u.BranchCode), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		other := "2"
		if u.BranchCode == "2" {
			other = "1"
		}
		if _, err := f.s.IssueUnitCode(ctx, staff, models.BranchScope(&other), u.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another branch's officer: %v, want NotFound", err)
		}
		cs, err := models.CodesOfUnit(ctx, db, models.ScopeAll, u.ID, 5)
		if err != nil || len(cs) != 1 {
			t.Fatalf("codes: %v %v", cs, err)
		}
		if err := f.s.RevokeUnitCode(ctx, staff, models.ScopeAll, u.ID, cs[0].ID); err != nil {
			t.Fatal(err)
		}
		sess, _ := f.preLogin(t, models.PurposeRegister)
		_, _, err = f.s.RegisterUnitNHI(ctx, models.UnitNHIRegistration{Session: sess, UnitCode: u.Code, BAN: u.BAN,
			Card: models.NHICard{CardNo: "000012121212", Name: u.OwnerName, IDNo: *u.OwnerIDNo}, Password: "Owner-2026", ActivationCode: code})
		if !errors.Is(err, models.ErrBadUnitCode) {
			t.Fatalf("revoked 開通碼: %v, want ErrBadUnitCode", err)
		}
	})
}

// An unregistered ID and a registered one with a wrong password take about
// the same time to refuse (both hash a password), so timing does not tell
// whether a person is registered.
func TestNHILoginTimingDoesNotTellRegistration(t *testing.T) {
	t.Parallel()
	db := modelstest.MustOpenSQLite(t)
	ctx := context.Background()
	f := newLoginFixture(t, db)
	h := nhiClerk(t, db)
	card := models.NHICard{CardNo: h.CardSerial, Name: h.Name, IDNo: h.IDNo}
	f.setNHIPassword(t, card, h.Email, "Secret-123", "192.0.2.1")
	unknown := twid.MakeNationalID('Q', 1, 1122334)
	refuse := func(idNo string, i int) time.Duration {
		start := time.Now()
		_, _, err := f.s.ClerkNHILogin(ctx, models.NHILogin{CardNo: h.CardSerial, IDNo: idNo, Password: "Wrong-2026",
			IP: fmt.Sprintf("192.0.2.%d", 10+i)})
		d := time.Since(start)
		if !errors.Is(err, models.ErrNHIBadCredentials) {
			t.Fatalf("%s: %v, want ErrNHIBadCredentials", idNo, err)
		}
		return d
	}
	// Interleaved, so that load from other tests falls on both alike; the
	// first pair warms up.
	var regs, unregs []time.Duration
	for i := 0; i < 16; i++ {
		r, u := refuse(h.IDNo, i), refuse(unknown, i)
		if i > 0 {
			regs, unregs = append(regs, r), append(unregs, u)
		}
	}
	slices.Sort(regs)
	slices.Sort(unregs)
	reg, unreg := regs[len(regs)/2], unregs[len(unregs)/2]
	if ratio := float64(reg) / float64(unreg); ratio < 1.0/3 || ratio > 3 {
		t.Errorf("median refusal: registered %v, unregistered %v (ratio %.2f), want within a factor of 3", reg, unreg, ratio)
	}
	t.Logf("median refusal: registered %v, unregistered %v", reg, unreg)
}

// Staff can stop a clerk's NHI-card password: the person's sessions end
// and the password no longer logs in; another branch cannot.
func TestStaffRevokesNHIPassword(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		h := nhiClerk(t, db)
		card := models.NHICard{CardNo: h.CardSerial, Name: h.Name, IDNo: h.IDNo}
		f.setNHIPassword(t, card, h.Email, "Secret-123", "192.0.2.3")
		sess, _ := f.preLogin(t, models.PurposeClerkLogin)
		login := models.NHILogin{Session: sess, CardNo: h.CardSerial, IDNo: h.IDNo, Password: "Secret-123", IP: "192.0.2.3"}
		tok, _, err := f.s.ClerkNHILogin(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		var u models.Unit
		if err := db.NewSelect().Model(&u).Where("id = ?", h.UnitID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		other := "2"
		if u.BranchCode == "2" {
			other = "1"
		}
		staff := models.Actor{Kind: "staff", Name: "branch.staff"}
		if err := f.s.RevokeNHIPassword(ctx, staff, models.BranchScope(&other), u.ID, h.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another branch: %v, want NotFound", err)
		}
		if err := f.s.RevokeNHIPassword(ctx, staff, models.BranchScope(&u.BranchCode), u.ID, h.ID); err != nil {
			t.Fatal(err)
		}
		if s, _ := f.s.SessionByToken(ctx, tok); s != nil {
			t.Error("the clerk's session outlived the revocation")
		}
		sess2, _ := f.preLogin(t, models.PurposeClerkLogin)
		login.Session = sess2
		if _, _, err := f.s.ClerkNHILogin(ctx, login); !errors.Is(err, models.ErrNHIBadCredentials) {
			t.Fatalf("login after the revocation: %v, want ErrNHIBadCredentials", err)
		}
	})
}

// Card data is bounded: a long name, a control or a bidi character in the
// name, or a malformed card number is refused before anything is stored.
func TestNHICardDataIsBounded(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]models.NHICard{
		"long name":     {CardNo: "000011112222", Name: strings.Repeat("王", 51), IDNo: "A123456789"},
		"bidi in name":  {CardNo: "000011112222", Name: "王\u202e明", IDNo: "A123456789"},
		"NUL in name":   {CardNo: "000011112222", Name: "王\x00明", IDNo: "A123456789"},
		"short card no": {CardNo: "0000111", Name: "王明", IDNo: "A123456789"},
		"letters in no": {CardNo: "00001111222X", Name: "王明", IDNo: "A123456789"},
		"bad ID":        {CardNo: "000011112222", Name: "王明", IDNo: "A123456780"},
	} {
		if err := c.Valid(); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	ok := models.NHICard{CardNo: "000011112222", Name: "王大明", IDNo: "A123456789"}
	if err := ok.Valid(); err != nil {
		t.Errorf("a good card: %v", err)
	}
}
