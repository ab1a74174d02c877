package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// loginFixture is a demo database and the facts the login tests need.
type loginFixture struct {
	s       *models.Store
	clk     *modelstest.Time
	db      *bun.DB
	cert    models.Unit        // demo unit 0: business certificate account
	certAcc models.UnitAccount // its account
	nhi     models.Unit        // demo unit 6: NHI-card account
	nhiAcc  models.UnitAccount
}

func newLoginFixture(t testing.TB, db *bun.DB) *loginFixture {
	t.Helper()
	ctx := context.Background()
	s, clk := modelstest.NewStore(db)
	if _, err := demo.Seed(ctx, s, 12); err != nil {
		t.Fatal(err)
	}
	f := &loginFixture{s: s, clk: clk, db: db}
	for _, x := range []struct {
		i int
		u *models.Unit
		a *models.UnitAccount
	}{{0, &f.cert, &f.certAcc}, {6, &f.nhi, &f.nhiAcc}} {
		if err := db.NewSelect().Model(x.u).Where("code = ?", demo.UnitCode(x.i)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.NewSelect().Model(x.a).Where("unit_id = ? AND status = 'active'", x.u.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if f.certAcc.RegType != models.RegBusinessCert || f.nhiAcc.RegType != models.RegNHICard {
		t.Fatalf("demo units 0 and 6 registered with %s and %s", f.certAcc.RegType, f.nhiAcc.RegType)
	}
	return f
}

func (f *loginFixture) preLogin(t *testing.T, purpose string) (*models.Session, []byte) {
	t.Helper()
	ctx := context.Background()
	tok, _, err := f.s.NewAnonymousSession(ctx, "192.0.2.1", "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := f.s.SessionByToken(ctx, tok)
	if err != nil || sess == nil {
		t.Fatal("no pre-login session", err)
	}
	nonce, err := f.s.NewNonce(ctx, sess, purpose)
	if err != nil {
		t.Fatal(err)
	}
	return sess, nonce
}

func (f *loginFixture) certLogin(t *testing.T) models.CertLogin {
	sess, nonce := f.preLogin(t, models.PurposeUnitLogin)
	return models.CertLogin{Session: sess, Nonce: nonce, Issuer: *f.certAcc.CertIssuer, Serial: *f.certAcc.CertSerial, UnitID: f.cert.BAN, IP: "192.0.2.1"}
}

func TestUnitCertLogin(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)

		t.Run("ok", func(t *testing.T) {
			in := f.certLogin(t)
			tok, u, err := f.s.UnitCertLogin(ctx, in)
			if err != nil || u.ID != f.cert.ID {
				t.Fatalf("login: %v, unit %v", err, u)
			}
			sess, _ := f.s.SessionByToken(ctx, tok)
			if sess == nil || sess.Kind != models.SessionUnit || sess.Role != models.RoleUnitOwner || *sess.UnitID != f.cert.ID {
				t.Fatalf("session %+v", sess)
			}
			t.Run("replay from a new session", func(t *testing.T) {
				// the pre-login session ended at login, and its nonces with it
				in.Session, _ = f.preLogin(t, models.PurposeUnitLogin)
				if _, _, err := f.s.UnitCertLogin(ctx, in); !errors.Is(err, models.ErrNonceUnknown) {
					t.Fatalf("replay: %v, want ErrNonceUnknown", err)
				}
			})
		})
		t.Run("ErrNonceUsed same session", func(t *testing.T) {
			in := f.certLogin(t)
			in.VerifyErr = apperr.New(apperr.Unauthorized, "bad signature")
			if _, _, err := f.s.UnitCertLogin(ctx, in); err == nil {
				t.Fatal("want the verify error")
			}
			in.VerifyErr = nil
			if _, _, err := f.s.UnitCertLogin(ctx, in); !errors.Is(err, models.ErrNonceUsed) {
				t.Fatalf("second use after a failure: %v, want ErrNonceUsed", err)
			}
		})
		t.Run("ErrNonceExpired", func(t *testing.T) {
			in := f.certLogin(t)
			f.clk.Advance(models.NonceTTL + time.Second)
			if _, _, err := f.s.UnitCertLogin(ctx, in); !errors.Is(err, models.ErrNonceExpired) {
				t.Fatalf("%v, want ErrNonceExpired", err)
			}
		})
		t.Run("ErrNonceUnknown other session", func(t *testing.T) {
			in := f.certLogin(t)
			other, _ := f.preLogin(t, models.PurposeUnitLogin)
			in.Session = other
			if _, _, err := f.s.UnitCertLogin(ctx, in); !errors.Is(err, models.ErrNonceUnknown) {
				t.Fatalf("%v, want ErrNonceUnknown", err)
			}
		})
		t.Run("ErrNonceUnknown other purpose", func(t *testing.T) {
			sess, nonce := f.preLogin(t, models.PurposeClerkLogin)
			in := f.certLogin(t)
			in.Session, in.Nonce = sess, nonce
			if _, _, err := f.s.UnitCertLogin(ctx, in); !errors.Is(err, models.ErrNonceUnknown) {
				t.Fatalf("%v, want ErrNonceUnknown", err)
			}
		})
		t.Run("ErrCertNotRegistered", func(t *testing.T) {
			in := f.certLogin(t)
			in.Serial = "00AB"
			if _, _, err := f.s.UnitCertLogin(ctx, in); !errors.Is(err, models.ErrCertNotRegistered) {
				t.Fatalf("%v", err)
			}
		})
		t.Run("ErrCertOtherUnit", func(t *testing.T) {
			in := f.certLogin(t)
			in.UnitID = "04595257"
			if _, _, err := f.s.UnitCertLogin(ctx, in); !errors.Is(err, models.ErrCertOtherUnit) {
				t.Fatalf("%v", err)
			}
		})
		t.Run("closed unit", func(t *testing.T) {
			if _, err := db.NewUpdate().Table("units").Set("status = 'closed'").Where("id = ?", f.cert.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			defer db.NewUpdate().Table("units").Set("status = 'active'").Where("id = ?", f.cert.ID).Exec(ctx) //nolint:errcheck
			_, _, err := f.s.UnitCertLogin(ctx, f.certLogin(t))
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Forbidden || !contains(e.Message, "請洽詢承辦人", "臺北業務組", "(02)2523-2388") {
				t.Fatalf("%v, want 請洽詢承辦人 with the branch phone", err)
			}
		})
		t.Run("audited", func(t *testing.T) {
			counts := map[string]int{}
			for _, a := range auditActions(t, db) {
				counts[a]++
			}
			if counts["unit.login"] != 1 || counts["unit.login_failed"] < 7 {
				t.Errorf("audit: %v", counts)
			}
		})
	})
}

func contains(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func TestUnitNHILogin(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		good := func() models.NHILogin {
			sess, _ := f.preLogin(t, models.PurposeUnitLogin)
			return models.NHILogin{Session: sess, UnitCode: f.nhi.Code, CardNo: *f.nhiAcc.NHICardNo, IDNo: *f.nhiAcc.NHIIDNo,
				Password: demo.Password, IP: "192.0.2.1"}
		}
		if _, u, err := f.s.UnitNHILogin(ctx, good()); err != nil || u.ID != f.nhi.ID {
			t.Fatalf("login: %v", err)
		}
		for name, mut := range map[string]func(*models.NHILogin){
			"wrong password":  func(in *models.NHILogin) { in.Password = "Wrong-2026!" },
			"wrong card":      func(in *models.NHILogin) { in.CardNo = "000099999999" },
			"other ID":        func(in *models.NHILogin) { in.IDNo = "A123456789" },
			"wrong unit code": func(in *models.NHILogin) { in.UnitCode = "999999999" },
			"cert unit code":  func(in *models.NHILogin) { in.UnitCode = f.cert.Code },
		} {
			t.Run(name, func(t *testing.T) {
				in := good()
				mut(&in)
				if _, _, err := f.s.UnitNHILogin(ctx, in); !errors.Is(err, models.ErrNHIBadCredentials) {
					t.Fatalf("%v, want the one message ErrNHIBadCredentials", err)
				}
			})
		}
		// Three failures so far on this unit code from 192.0.2.1 (wrong
		// password, wrong card, other ID); two more delay this address,
		// with the same message as for an unknown unit code.
		for i := 0; i < 2; i++ {
			in := good()
			in.Password = "Wrong-2026!"
			if _, _, err := f.s.UnitNHILogin(ctx, in); !errors.Is(err, models.ErrNHIBadCredentials) {
				t.Fatalf("failure %d: %v", 4+i, err)
			}
		}
		if _, _, err := f.s.UnitNHILogin(ctx, good()); !apperr.Is(err, apperr.Locked) {
			t.Fatalf("right password while delayed: %v, want Locked", err)
		}
		// The holder learns of it: a notice on the unit's portal.
		ns, err := models.NoticesOfUnit(ctx, db, models.ScopeAll, f.nhi.ID, 5)
		if err != nil || len(ns) == 0 || ns[0].Title != "負責人健保卡登入多次失敗" {
			t.Fatalf("notices after the delay: %+v %v", ns, err)
		}
		other := good()
		other.IP = "198.51.100.7"
		if _, _, err := f.s.UnitNHILogin(ctx, other); err != nil {
			t.Fatalf("the holder from another address: %v", err)
		}
		f.clk.Advance(16 * time.Minute)
		if _, _, err := f.s.UnitNHILogin(ctx, good()); err != nil {
			t.Fatalf("after the delay: %v", err)
		}
	})
}

func TestClerkLogins(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		var all []models.Clerk
		if err := db.NewSelect().Model(&all).Where("unit_id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')").
			Where("unit_id IN (SELECT id FROM units WHERE status = 'active')").Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		var citizen, nhiH *models.Clerk
		for i := range all {
			switch all[i].CardType {
			case models.CardCitizenCert:
				citizen = &all[i]
			case models.CardNHI:
				nhiH = &all[i]
			}
		}
		if citizen == nil || nhiH == nil {
			t.Fatal("demo lacks a clerk of each card type")
		}

		t.Run("citizen certificate", func(t *testing.T) {
			sess, nonce := f.preLogin(t, models.PurposeClerkLogin)
			in := models.CertLogin{Session: sess, Nonce: nonce, Issuer: *citizen.CertIssuer, Serial: citizen.CardSerial}
			tok, u, err := f.s.ClerkCertLogin(ctx, in, "")
			if err != nil || u.ID != citizen.UnitID {
				t.Fatalf("%v", err)
			}
			s2, _ := f.s.SessionByToken(ctx, tok)
			wantRole := models.RoleClerk
			if citizen.MayFile {
				wantRole = models.RoleClerkFiler
			}
			if s2.Kind != models.SessionClerk || s2.Role != wantRole || *s2.ClerkID != citizen.ID {
				t.Fatalf("session %+v", s2)
			}
		})
		t.Run("NHI card needs the network registration", func(t *testing.T) {
			sess, _ := f.preLogin(t, models.PurposeClerkLogin)
			in := models.NHILogin{Session: sess, CardNo: nhiH.CardSerial, IDNo: nhiH.IDNo, Password: "Secret-123", IP: "192.0.2.9"}
			if _, _, err := f.s.ClerkNHILogin(ctx, in); !errors.Is(err, models.ErrNHIBadCredentials) {
				t.Fatalf("%v, want the one message ErrNHIBadCredentials", err)
			}
			card := models.NHICard{CardNo: nhiH.CardSerial, Name: nhiH.Name, IDNo: nhiH.IDNo}
			if err := f.s.RequestNHICode(ctx, card, "A123456789", "192.0.2.9"); !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("typed ID not the card's: %v", err)
			}
			if err := f.s.RequestNHICode(ctx, card, nhiH.IDNo, "192.0.2.9"); err != nil {
				t.Fatal(err)
			}
			code := modelstest.MailedCode(t, db, nhiH.Email, "驗證碼：")
			confirm := models.NHIConfirm{Card: card, TypedID: nhiH.IDNo, Code: code, Password: "short", Password2: "short", IP: "192.0.2.9"}
			if err := f.s.ConfirmNHICode(ctx, confirm); !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("weak password: %v", err)
			}
			confirm.Password, confirm.Password2 = "Secret-123", "Secret-123"
			if err := f.s.ConfirmNHICode(ctx, confirm); err != nil {
				t.Fatal(err)
			}
			if err := f.s.ConfirmNHICode(ctx, confirm); !errors.Is(err, models.ErrBadCode) {
				t.Fatalf("the same code twice: %v, want ErrBadCode", err)
			}
			if _, u, err := f.s.ClerkNHILogin(ctx, in); err != nil || u.ID != nhiH.UnitID {
				t.Fatalf("login: %v", err)
			}
			in.Password = "Wrong-1234"
			if _, _, err := f.s.ClerkNHILogin(ctx, in); !errors.Is(err, models.ErrNHIBadCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
			// A forgotten password: the same two steps.
			if err := f.s.RequestNHICode(ctx, card, nhiH.IDNo, "192.0.2.9"); err != nil {
				t.Fatal(err)
			}
			confirm.Code = modelstest.MailedCode(t, db, nhiH.Email, "驗證碼：")
			confirm.Password, confirm.Password2 = "Newer-4567", "Newer-4567"
			if err := f.s.ConfirmNHICode(ctx, confirm); err != nil {
				t.Fatal(err)
			}
			in.Password = "Newer-4567"
			if _, _, err := f.s.ClerkNHILogin(ctx, in); err != nil {
				t.Fatalf("after reset: %v", err)
			}
		})
		t.Run("revoked clerk", func(t *testing.T) {
			if _, err := db.NewUpdate().Table("clerks").Set("status = 'revoked', revoked_at = ?", modelstest.Clock).
				Where("id = ?", citizen.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			sess, nonce := f.preLogin(t, models.PurposeClerkLogin)
			in := models.CertLogin{Session: sess, Nonce: nonce, Issuer: *citizen.CertIssuer, Serial: citizen.CardSerial}
			if _, _, err := f.s.ClerkCertLogin(ctx, in, ""); !errors.Is(err, models.ErrClerkUnknown) {
				t.Fatalf("%v, want ErrClerkUnknown", err)
			}
		})
	})
}

func TestRegisterUnit(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		var fresh models.Unit // demo unit 9 has no account
		if err := db.NewSelect().Model(&fresh).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if a, _ := models.ActiveAccount(ctx, db, models.ScopeAll, fresh.ID); a != nil {
			t.Fatal("demo unit 9 is registered")
		}
		owner := models.NHICard{CardNo: "000012345678", Name: fresh.OwnerName, IDNo: *fresh.OwnerIDNo}
		sess, _ := f.preLogin(t, models.PurposeRegister)
		// Unit 9 has no e-mail on file: a bureau officer issues the 開通碼.
		if fresh.Email != "" {
			t.Fatalf("demo unit 9 has e-mail %q", fresh.Email)
		}
		code, err := f.s.IssueUnitCode(ctx, models.Actor{Kind: "staff", Name: "taipei.staff"}, models.ScopeAll, fresh.ID)
		if err != nil {
			t.Fatal(err)
		}
		reg := func(mut func(*models.UnitNHIRegistration)) models.UnitNHIRegistration {
			in := models.UnitNHIRegistration{Session: sess, UnitCode: fresh.Code, BAN: fresh.BAN, Card: owner, Password: "Secret-123",
				ActivationCode: code, IP: "192.0.2.1"}
			if mut != nil {
				mut(&in)
			}
			return in
		}
		for name, x := range map[string]struct {
			mut  func(*models.UnitNHIRegistration)
			want error
		}{
			"no 開通碼":              {func(in *models.UnitNHIRegistration) { in.ActivationCode = "" }, nil},
			"wrong 開通碼":           {func(in *models.UnitNHIRegistration) { in.ActivationCode = "ABCDEFGHJK" }, models.ErrBadUnitCode},
			"wrong 統一編號":          {func(in *models.UnitNHIRegistration) { in.BAN = "00000000" }, nil},
			"not the responsible": {func(in *models.UnitNHIRegistration) { in.Card.IDNo = "A123456789" }, nil},
			"weak password":       {func(in *models.UnitNHIRegistration) { in.Password = "password" }, nil},
		} {
			_, _, err := f.s.RegisterUnitNHI(ctx, reg(x.mut))
			if !apperr.Is(err, apperr.Invalid) || (x.want != nil && !errors.Is(err, x.want)) {
				t.Errorf("%s: %v", name, err)
			}
		}
		tok, u, err := f.s.RegisterUnitNHI(ctx, reg(func(in *models.UnitNHIRegistration) { in.ActivationCode = strings.ToLower(models.FormatUnitCode(code)) }))
		if err != nil || u.ID != fresh.ID || tok == "" {
			t.Fatalf("register: %v", err)
		}
		sess2, _ := f.preLogin(t, models.PurposeRegister)
		if _, _, err := f.s.RegisterUnitNHI(ctx, reg(func(in *models.UnitNHIRegistration) { in.Session = sess2 })); !errors.Is(err, models.ErrBadUnitCode) {
			t.Errorf("the 開通碼 a second time: %v, want ErrBadUnitCode", err)
		}
		in := f.certLogin(t)
		in.Session, in.Nonce = f.preLogin(t, models.PurposeRegister)
		if _, _, err := f.s.RegisterUnitCert(ctx, in, f.cert.Code, models.CertInfo{}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("certificate registration of a registered unit: %v, want Conflict", err)
		}
		login := models.NHILogin{Session: sess2, UnitCode: fresh.Code, CardNo: owner.CardNo, IDNo: owner.IDNo, Password: "Secret-123"}
		if _, _, err := f.s.UnitNHILogin(ctx, login); err != nil {
			t.Errorf("login after registering: %v", err)
		}
	})
}
