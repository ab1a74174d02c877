package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func mustStaff(t *testing.T, s *models.Store, username, role string, branch *string) *models.Staff {
	t.Helper()
	st := &models.Staff{Username: username, Name: "測試" + username, Role: role, BranchCode: branch}
	if err := s.CreateStaff(context.Background(), models.SystemActor, st, "Correct-Horse-1"); err != nil {
		t.Fatal(err)
	}
	return st
}

func mustBranches(t *testing.T, s *models.Store) {
	t.Helper()
	if _, err := demo.Seed(context.Background(), s, 0); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func auditActions(t *testing.T, db bun.IDB) []string {
	t.Helper()
	var as []string
	if err := db.NewSelect().Table("audit_events").Column("action").Order("seq").Scan(context.Background(), &as); err != nil {
		t.Fatal(err)
	}
	return as
}

func TestStaffLogin(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, clk := modelstest.NewStore(db)
		mustBranches(t, s)
		st := mustStaff(t, s, "alice", models.RoleStaff, ptr("2"))

		t.Run("ErrBadCredentials", func(t *testing.T) {
			if _, _, err := s.StaffLogin(ctx, "", "alice", "wrong", "192.0.2.1", ""); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
			if _, _, err := s.StaffLogin(ctx, "", "bob", "Correct-Horse-1", "192.0.2.1", ""); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("unknown user: %v; want the same error as a wrong password", err)
			}
		})

		t.Run("success rotates the session", func(t *testing.T) {
			anon, _, err := s.NewAnonymousSession(ctx, "192.0.2.1", "")
			if err != nil {
				t.Fatal(err)
			}
			token, got, err := s.StaffLogin(ctx, anon, " Alice ", "Correct-Horse-1", "192.0.2.1", "")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != st.ID || token == "" || token == anon {
				t.Fatalf("login = %q, staff %d; want a new token for staff %d", token, got.ID, st.ID)
			}
			if old, _ := s.SessionByToken(ctx, anon); old != nil {
				t.Error("the pre-login session still works after login")
			}
			sess, err := s.SessionByToken(ctx, token)
			if err != nil || sess == nil || sess.Kind != models.SessionStaff || *sess.StaffID != st.ID || sess.Role != models.RoleStaff {
				t.Fatalf("session = %+v, %v", sess, err)
			}
		})

		t.Run("delays after five failures, one minute first", func(t *testing.T) {
			for i := 1; i <= 4; i++ {
				if _, _, err := s.StaffLogin(ctx, "", "alice", "wrong", "192.0.2.1", ""); !errors.Is(err, models.ErrBadCredentials) {
					t.Fatalf("failure %d: %v", i, err)
				}
			}
			_, _, err := s.StaffLogin(ctx, "", "alice", "wrong", "192.0.2.1", "")
			if !apperr.Is(err, apperr.Locked) {
				t.Fatalf("fifth failure: %v, want Locked", err)
			}
			if _, _, err := s.StaffLogin(ctx, "", "alice", "Correct-Horse-1", "192.0.2.1", ""); !apperr.Is(err, apperr.Locked) {
				t.Fatalf("right password while delayed: %v, want Locked", err)
			}
			clk.Advance(59 * time.Second)
			if _, _, err := s.StaffLogin(ctx, "", "alice", "Correct-Horse-1", "192.0.2.1", ""); !apperr.Is(err, apperr.Locked) {
				t.Fatalf("after 59 seconds: %v, want still Locked", err)
			}
			clk.Advance(time.Second)
			if _, _, err := s.StaffLogin(ctx, "", "alice", "Correct-Horse-1", "192.0.2.1", ""); err != nil {
				t.Fatalf("after a minute: %v, want success", err)
			}
			for i := 1; i <= 4; i++ {
				if _, _, err := s.StaffLogin(ctx, "", "alice", "wrong", "192.0.2.1", ""); !errors.Is(err, models.ErrBadCredentials) {
					t.Fatalf("failure %d after a good login: %v, want the count forgotten", i, err)
				}
			}
		})

		t.Run("every outcome is audited", func(t *testing.T) {
			counts := map[string]int{}
			for _, a := range auditActions(t, db) {
				counts[a]++
			}
			if counts["staff.login"] != 2 || counts["staff.locked"] != 1 || counts["staff.login_failed"] < 8 {
				t.Errorf("audit actions %v", counts)
			}
			if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
				t.Error(err)
			}
		})

		t.Run("disabled staff cannot log in", func(t *testing.T) {
			mustStaff(t, s, "carol", models.RoleAuditor, nil)
			if _, err := db.NewUpdate().Table("staff").Set("status = 'disabled'").Where("username = 'carol'").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.StaffLogin(ctx, "", "carol", "Correct-Horse-1", "192.0.2.1", ""); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("disabled: %v", err)
			}
		})
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, clk := modelstest.NewStore(db)
		tok, _, err := s.NewAnonymousSession(ctx, "192.0.2.1", "")
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(29 * time.Minute)
		if sess, _ := s.SessionByToken(ctx, tok); sess == nil {
			t.Fatal("session gone after 29 idle minutes; want alive")
		}
		clk.Advance(29 * time.Minute) // activity at 29 kept it alive
		if sess, _ := s.SessionByToken(ctx, tok); sess == nil {
			t.Fatal("session gone 29 minutes after the last request; want alive")
		}
		clk.Advance(31 * time.Minute)
		if sess, _ := s.SessionByToken(ctx, tok); sess != nil {
			t.Fatal("session alive after 31 idle minutes; want expired")
		}
		if sess, _ := s.SessionByToken(ctx, "not-a-token"); sess != nil {
			t.Fatal("an unknown token gave a session")
		}
		n, err := db.NewSelect().Table("sessions").Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("sessions left: %d, %v; want the expired one deleted", n, err)
		}
	})
}

func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 12); err != nil {
			t.Fatal(err)
		}
		var u models.Unit
		if err := db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(0)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		now := modelstest.Clock
		bad := []struct {
			name string
			exec func() error
		}{
			{"second active account of a unit", func() error {
				a := &models.UnitAccount{UnitID: u.ID, RegType: models.RegNHICard, NHICardNo: ptr("000011112222"), NHIIDNo: ptr("A123456789"),
					PasswordHash: ptr("$argon2id$x"), Status: models.AccountActive, RegisteredAt: now, Version: 1}
				_, err := db.NewInsert().Model(a).Exec(ctx)
				return err
			}},
			{"NHI account without password", func() error {
				_, err := db.ExecContext(ctx, "UPDATE unit_accounts SET status = 'deregistered', deregistered_at = ? WHERE unit_id = ?", now, u.ID)
				if err != nil {
					return nil // would hide the real check: fail the case below
				}
				a := &models.UnitAccount{UnitID: u.ID, RegType: models.RegNHICard, NHICardNo: ptr("000011112222"), NHIIDNo: ptr("A123456789"),
					Status: models.AccountActive, RegisteredAt: now, Version: 1}
				_, err = db.NewInsert().Model(a).Exec(ctx)
				return err
			}},
			{"unit status outside the set", func() error {
				_, err := db.ExecContext(ctx, "UPDATE units SET status = 'gone' WHERE id = ?", u.ID)
				return err
			}},
			{"unit code with a letter", func() error {
				_, err := db.ExecContext(ctx, "UPDATE units SET code = '12345678A' WHERE id = ?", u.ID)
				return err
			}},
			{"deregistered without a date", func() error {
				_, err := db.ExecContext(ctx, "UPDATE unit_accounts SET status = 'deregistered', deregistered_at = NULL WHERE unit_id = ?", u.ID)
				return err
			}},
			{"two active clerks with one ID in a unit", func() error {
				var h models.Clerk
				if err := db.NewSelect().Model(&h).Where("unit_id = ?", u.ID).Limit(1).Scan(ctx); err != nil {
					return nil
				}
				h.ID = 0
				_, err := db.NewInsert().Model(&h).Exec(ctx)
				return err
			}},
			{"staff role outside the set", func() error {
				_, err := db.ExecContext(ctx, "UPDATE staff SET role = 'root'")
				return err
			}},
		}
		for _, tc := range bad {
			if err := tc.exec(); err == nil {
				t.Errorf("%s: accepted by the schema, want a constraint error", tc.name)
			}
		}
	})
}
