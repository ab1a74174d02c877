package models_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// assignAlso assigns the person of h in another unit too, as that unit's
// manager would (the same certificate or card).
func assignAlso(t *testing.T, db *bun.DB, h models.Clerk, unitID int64, mayFile, mayManage bool) models.Clerk {
	t.Helper()
	h.ID, h.UnitID, h.MayFile, h.MayManage, h.Status = 0, unitID, mayFile, mayManage, models.ClerkActive
	if _, err := db.NewInsert().Model(&h).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// openUnits are active units with an active account, by id.
func openUnits(t *testing.T, db *bun.DB) []models.Unit {
	t.Helper()
	var us []models.Unit
	if err := db.NewSelect().Model(&us).Where("status = 'active'").
		Where("id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')").Order("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return us
}

func TestClerkOfSeveralUnits(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		var h models.Clerk
		if err := db.NewSelect().Model(&h).Where("card_type = ? AND status = 'active'", models.CardCitizenCert).
			Where("unit_id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')").
			Where("unit_id IN (SELECT id FROM units WHERE status = 'active')").Order("id").Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		var others []models.Unit
		for _, u := range openUnits(t, db) {
			if u.ID != h.UnitID {
				others = append(others, u)
			}
		}
		if len(others) < 3 {
			t.Fatalf("demo has %d other open units, want 3", len(others))
		}
		b, c, foreign := others[0], others[1], others[2]
		assignAlso(t, db, h, b.ID, true, true)
		hc := assignAlso(t, db, h, c.ID, false, false)

		login := func(t *testing.T, unitCode string) (string, *models.Unit) {
			t.Helper()
			sess, nonce := f.preLogin(t, models.PurposeClerkLogin)
			in := models.CertLogin{Session: sess, Nonce: nonce, Issuer: *h.CertIssuer, Serial: h.CardSerial, IP: "192.0.2.1"}
			tok, u, err := f.s.ClerkCertLogin(ctx, in, unitCode)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			return tok, u
		}
		session := func(t *testing.T, tok string) *models.Session {
			t.Helper()
			sess, err := f.s.SessionByToken(ctx, tok)
			if err != nil || sess == nil {
				t.Fatalf("session of token: %v, %v", sess, err)
			}
			return sess
		}
		choose := func(sess *models.Session, unitID int64) (string, *models.Unit, error) {
			return f.s.ChooseClerkUnit(ctx, models.UnitChoice{Session: sess, UnitID: unitID, IP: "192.0.2.1"})
		}

		t.Run("ChoiceNeeded", func(t *testing.T) {
			tok, u := login(t, "")
			if u != nil {
				t.Fatalf("logged in to %s, want a choice", u.Code)
			}
			sess := session(t, tok)
			if sess.Kind != models.SessionAnonymous || sess.ChoosingClerkID == nil || sess.ClerkID != nil {
				t.Fatalf("choosing session %+v, want anonymous with the clerk", sess)
			}
			units, err := models.ClerkUnits(ctx, db, sess.ChoosingClerk())
			if err != nil {
				t.Fatal(err)
			}
			if len(units) != 3 {
				t.Fatalf("got %d units, want 3: %+v", len(units), units)
			}
			for _, cu := range units {
				if cu.UnitID == b.ID && (cu.Role != models.RoleClerkFiler || !cu.Manager) {
					t.Errorf("unit b: %+v, want a filer and manager", cu)
				}
				if cu.Closed != "" {
					t.Errorf("unit %s closed: %q", cu.Code, cu.Closed)
				}
			}
		})
		t.Run("UnitCodeGoesStraight", func(t *testing.T) {
			tok, u := login(t, b.Code)
			if u == nil || u.ID != b.ID {
				t.Fatalf("got unit %v, want %s", u, b.Code)
			}
			if sess := session(t, tok); sess.Kind != models.SessionClerk || *sess.UnitID != b.ID {
				t.Fatalf("session %+v", sess)
			}
		})
		t.Run("PickThenSwitch", func(t *testing.T) {
			tok, _ := login(t, "")
			pending := session(t, tok)
			tok2, u, err := choose(pending, h.UnitID)
			if err != nil || u.ID != h.UnitID {
				t.Fatalf("pick: %v, %v", u, err)
			}
			if s, _ := f.s.SessionByToken(ctx, tok); s != nil {
				t.Error("the choosing session outlived the pick")
			}
			s2 := session(t, tok2)
			if s2.Kind != models.SessionClerk || *s2.UnitID != h.UnitID || *s2.ClerkID != h.ID || s2.Role != models.RoleClerk && s2.Role != models.RoleClerkFiler {
				t.Fatalf("picked session %+v", s2)
			}
			tok3, u, err := choose(s2, b.ID)
			if err != nil || u.ID != b.ID {
				t.Fatalf("switch: %v, %v", u, err)
			}
			if tok3 == tok2 {
				t.Error("switch kept the token")
			}
			if s, _ := f.s.SessionByToken(ctx, tok2); s != nil {
				t.Error("the old session outlived the switch")
			}
			s3 := session(t, tok3)
			if *s3.UnitID != b.ID || s3.Role != models.RoleClerkFiler {
				t.Fatalf("switched session unit %d role %s, want %d clerk_filer", *s3.UnitID, s3.Role, b.ID)
			}
			id, err := models.SessionIdentity(ctx, db, s3)
			if err != nil || id == nil || !id.MayManage || id.Units != 3 || id.UnitCode != b.Code {
				t.Fatalf("identity %+v, %v", id, err)
			}
			sameWho(t, f.s, db, tok3)
			n, err := db.NewSelect().Table("audit_events").Where("action = 'clerk.switch_unit' AND unit_id = ?", b.ID).Count(ctx)
			if err != nil || n != 1 {
				t.Errorf("clerk.switch_unit events: %d, %v; want 1", n, err)
			}
			if _, _, err := choose(s2, c.ID); !apperr.Is(err, apperr.Unauthorized) {
				t.Errorf("switch from an ended session: %v, want Unauthorized", err)
			}

			t.Run("ForeignUnitRefused", func(t *testing.T) {
				if _, _, err := choose(s3, foreign.ID); !apperr.Is(err, apperr.NotFound) {
					t.Fatalf("got %v, want NotFound", err)
				}
				if session(t, tok3).ID != s3.ID {
					t.Error("a refused switch ended the session")
				}
			})
			t.Run("RevokedDisappears", func(t *testing.T) {
				if _, err := db.NewUpdate().Table("clerks").Set("status = 'revoked', revoked_at = ?", modelstest.Clock).
					Where("id = ?", hc.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				units, err := models.ClerkUnits(ctx, db, s3.ChoosingClerk())
				if err != nil {
					t.Fatal(err)
				}
				for _, cu := range units {
					if cu.UnitID == c.ID {
						t.Fatalf("the revoking unit is still listed: %+v", units)
					}
				}
				if id := sameWho(t, f.s, db, tok3); id == nil || id.Units != 2 {
					t.Errorf("identity after one assignment was revoked: %+v, want 2 units", id)
				}
				_, _, err = choose(s3, c.ID)
				if !apperr.Is(err, apperr.Forbidden) || !strings.Contains(err.Error(), "已取消您的承辦人指派") {
					t.Fatalf("got %v, want Forbidden saying the assignment was revoked", err)
				}
			})
			t.Run("ClosedUnitRefused", func(t *testing.T) {
				if _, err := db.NewUpdate().Table("units").Set("status = ?", models.UnitClosed).Where("id = ?", h.UnitID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				_, _, err := choose(s3, h.UnitID)
				if !apperr.Is(err, apperr.Forbidden) || !strings.Contains(err.Error(), "暫時關閉") {
					t.Fatalf("got %v, want Forbidden saying the unit is closed", err)
				}
				// With one open unit left the login goes straight in.
				_, u := login(t, "")
				if u == nil || u.ID != b.ID {
					t.Fatalf("login with one open unit: %v, want %s", u, b.Code)
				}
				if id := sameWho(t, f.s, db, tok3); id == nil || id.Units != 1 {
					t.Errorf("identity after another unit closed: %+v, want 1 unit", id)
				}
				// The clerk's rights change: the session no longer stands.
				if _, err := db.NewUpdate().Table("clerks").Set("may_file = ?", false).Where("unit_id = ? AND card_serial = ?", b.ID, h.CardSerial).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if id := sameWho(t, f.s, db, tok3); id != nil {
					t.Errorf("identity of a filer who may no longer file: %+v, want none", id)
				}
				if _, err := db.NewUpdate().Table("clerks").Set("may_file = ?", true).Where("unit_id = ? AND card_serial = ?", b.ID, h.CardSerial).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if id := sameWho(t, f.s, db, tok3); id == nil {
					t.Error("no identity once the rights are back")
				}
				if _, err := db.NewUpdate().Table("units").Set("status = ?", models.UnitClosed).Where("id = ?", b.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if id := sameWho(t, f.s, db, tok3); id != nil {
					t.Errorf("identity in a closed unit: %+v, want none", id)
				}
			})
		})
	})
}

func TestNHIClerkOfSeveralUnits(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		h := nhiClerk(t, db)
		var others []models.Unit
		for _, u := range openUnits(t, db) {
			if u.ID != h.UnitID {
				others = append(others, u)
			}
		}
		b, c := others[0], others[1]
		assignAlso(t, db, h, b.ID, true, false)
		f.setNHIPassword(t, models.NHICard{CardNo: h.CardSerial, Name: h.Name, IDNo: h.IDNo}, h.Email, "Secret-123", "192.0.2.8")
		// The third unit read another card (proving a card with the e-mail
		// code moves every assignment to it; this one came after).
		old := h
		old.CardSerial = "000099990000"
		assignAlso(t, db, old, c.ID, true, false)
		login := func(unitCode string) (string, *models.Unit) {
			t.Helper()
			sess, _ := f.preLogin(t, models.PurposeClerkLogin)
			tok, u, err := f.s.ClerkNHILogin(ctx, models.NHILogin{Session: sess, UnitCode: unitCode, CardNo: h.CardSerial, IDNo: h.IDNo,
				Password: "Secret-123", IP: "192.0.2.8"})
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			return tok, u
		}
		tok, u := login("")
		if u != nil {
			t.Fatalf("logged in to %s, want a choice", u.Code)
		}
		sess, err := f.s.SessionByToken(ctx, tok)
		if err != nil || sess == nil || sess.ChoosingClerk() == 0 {
			t.Fatalf("choosing session %+v, %v", sess, err)
		}
		units, err := models.ClerkUnits(ctx, db, sess.ChoosingClerk())
		if err != nil {
			t.Fatal(err)
		}
		if len(units) != 2 {
			t.Fatalf("got %+v, want the two units of this card", units)
		}
		if _, _, err := f.s.ChooseClerkUnit(ctx, models.UnitChoice{Session: sess, UnitID: c.ID}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("the unit of the other card: %v, want NotFound", err)
		}
		if _, u, err := f.s.ChooseClerkUnit(ctx, models.UnitChoice{Session: sess, UnitID: b.ID}); err != nil || u.ID != b.ID {
			t.Fatalf("pick: %v, %v", u, err)
		}
		if _, u := login(b.Code); u == nil || u.ID != b.ID {
			t.Fatalf("with the unit code: %v, want %s", u, b.Code)
		}
	})
}

// sameWho checks that the identity WhoByToken reads with the session is
// SessionIdentity's, and returns it.
func sameWho(t *testing.T, s *models.Store, db *bun.DB, tok string) *models.Identity {
	t.Helper()
	ctx := context.Background()
	who, err := s.PeekWho(ctx, tok)
	if err != nil || who == nil {
		t.Fatalf("who: %+v, %v", who, err)
	}
	want, err := models.SessionIdentity(ctx, db, who.Session)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(who.Identity, want) {
		t.Fatalf("who's identity %+v, SessionIdentity %+v", who.Identity, want)
	}
	return want
}
