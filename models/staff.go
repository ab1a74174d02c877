package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/password"
	"github.com/multicert/multicert/internal/rocdate"
)

// Login limits: after MaxFailedLogins wrong passwords in a row the account
// is locked for LockoutDuration.
const (
	MaxFailedLogins = 5
	LockoutDuration = 15 * time.Minute
)

// ErrBadCredentials is the one message for a wrong user name or password, so
// that the answer does not tell which of the two was wrong.
var ErrBadCredentials = apperr.New(apperr.Unauthorized, "帳號或密碼錯誤，請重新輸入。")

func lockedError(until time.Time) error {
	local := until.In(taipei)
	return apperr.Newf(apperr.Locked, "密碼連續錯誤 %d 次，帳號已暫時鎖定，請於 %s %s 後再試。",
		MaxFailedLogins, rocdate.FormatSlash(local), local.Format("15:04"))
}

// taipei is the bureau's time zone, used for times shown to people.
var taipei = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Taipei"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// Taipei returns the bureau's time zone.
func Taipei() *time.Location { return taipei }

// StaffLogin checks a user name and password. On success it ends the
// caller's previous session (oldToken, may be empty) and starts a new one,
// so a session id planted before login is worthless after it. Failures count
// toward the lockout; every outcome is audited.
func (s *Store) StaffLogin(ctx context.Context, oldToken, username, pw, ip, userAgent string) (string, *Staff, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	var (
		token    string
		st       *Staff
		loginErr error
	)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		st = new(Staff)
		err := tx.NewSelect().Model(st).Where("username = ?", username).Scan(ctx)
		if isNoRows(err) {
			password.Burn(pw)
			loginErr = ErrBadCredentials
			return audit(ctx, tx, now, Actor{Kind: "anonymous", Name: username, IP: ip},
				Change{Action: "staff.login_failed", ObjectType: "staff", Reason: "unknown user name"})
		}
		if err != nil {
			return fmt.Errorf("models: staff login: %w", err)
		}
		actor := Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role, IP: ip}
		if st.BranchCode != nil {
			actor.Branch = *st.BranchCode
		}
		change := Change{Action: "staff.login_failed", ObjectType: "staff", ObjectID: fmt.Sprint(st.ID), Branch: actor.Branch}

		at := attempts{&st.FailedAttempts, &st.LockedUntil}
		if lerr := at.locked(now); lerr != nil {
			loginErr, change.Reason = lerr, "account locked"
			return audit(ctx, tx, now, actor, change)
		}
		ok, err := password.Verify(pw, st.PasswordHash)
		if err != nil {
			return fmt.Errorf("models: staff login %s: %w", username, err)
		}
		if !ok || st.Status != "active" {
			loginErr, change.Reason = ErrBadCredentials, "wrong password"
			if st.Status != "active" {
				change.Reason = "account disabled"
			}
			if lerr := at.fail(now); lerr != nil {
				loginErr, change.Action = lerr, "staff.locked"
				change.After = map[string]any{"locked_until": st.LockedUntil, "failed_attempts": st.FailedAttempts}
			}
			if _, err := tx.NewUpdate().Model(st).Column("failed_attempts", "locked_until").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("models: staff login %s: %w", username, err)
			}
			return audit(ctx, tx, now, actor, change)
		}

		at.reset()
		st.LastLoginAt = &now
		if _, err := tx.NewUpdate().Model(st).Column("failed_attempts", "locked_until", "last_login_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("models: staff login %s: %w", username, err)
		}
		if err := DeleteSession(ctx, tx, oldToken); err != nil {
			return err
		}
		token, _, err = s.NewSession(ctx, tx, Session{Kind: SessionStaff, Role: st.Role, StaffID: &st.ID, ClientIP: ip, UserAgent: userAgent})
		if err != nil {
			return err
		}
		change.Action, change.Reason = "staff.login", ""
		return audit(ctx, tx, now, actor, change)
	})
	if err != nil {
		return "", nil, err
	}
	if loginErr != nil {
		return "", nil, loginErr
	}
	return token, st, nil
}

// StaffLogout ends a staff session and audits it.
func (s *Store) StaffLogout(ctx context.Context, token string, a Actor) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := DeleteSession(ctx, tx, token); err != nil {
			return err
		}
		return audit(ctx, tx, s.now(), a, Change{Action: "staff.logout", ObjectType: "staff", ObjectID: fmt.Sprint(a.ID), Branch: a.Branch})
	})
}

// StaffByID returns one staff member.
func StaffByID(ctx context.Context, db bun.IDB, id int64) (*Staff, error) {
	st := new(Staff)
	if err := db.NewSelect().Model(st).Where("id = ?", id).Scan(ctx); err != nil {
		if isNoRows(err) {
			return nil, notFound("人員")
		}
		return nil, fmt.Errorf("models: staff %d: %w", id, err)
	}
	return st, nil
}

// CreateStaff adds a staff member with a hashed password (used by the demo
// and by administrators).
func (s *Store) CreateStaff(ctx context.Context, a Actor, st *Staff, pw string) error {
	h, err := password.Hash(pw)
	if err != nil {
		return err
	}
	st.PasswordHash = h
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return insertStaff(ctx, tx, s.now(), a, st)
	})
}

func insertStaff(ctx context.Context, tx bun.IDB, now time.Time, a Actor, st *Staff) error {
	st.Username = strings.ToLower(st.Username)
	st.CreatedAt = now
	if st.Status == "" {
		st.Status = "active"
	}
	if _, err := tx.NewInsert().Model(st).Exec(ctx); err != nil {
		return fmt.Errorf("models: create staff %s: %w", st.Username, err)
	}
	branch := ""
	if st.BranchCode != nil {
		branch = *st.BranchCode
	}
	return audit(ctx, tx, now, a, Change{Action: "staff.create", ObjectType: "staff", ObjectID: fmt.Sprint(st.ID), Branch: branch,
		After: map[string]any{"username": st.Username, "name": st.Name, "role": st.Role, "branch": branch}})
}
