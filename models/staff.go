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

// ErrBadCredentials is the one message for a wrong user name or password, so
// that the answer does not tell which of the two was wrong.
var ErrBadCredentials = apperr.New(apperr.Unauthorized, "帳號或密碼錯誤，請重新輸入。")

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
// so a session id planted before login is worthless after it. Failures are
// counted by the throttle (scope ThrottleStaffLogin) under the user name
// and the client address, whether or not the name exists: an unknown name,
// a wrong password, a disabled account and a delayed attempt answer alike
// and in about the same time, so the answers do not tell which names exist.
// When a failure starts a delay of a real account, its holder is mailed.
// Every outcome is audited.
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
		known := err == nil
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("models: staff login: %w", err)
		}
		actor := Actor{Kind: "anonymous", Name: username, IP: ip}
		change := Change{Action: "staff.login_failed", ObjectType: "staff", Reason: "unknown user name"}
		if known {
			actor = Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role, IP: ip}
			if st.BranchCode != nil {
				actor.Branch = *st.BranchCode
			}
			change = Change{Action: "staff.login_failed", ObjectType: "staff", ObjectID: fmt.Sprint(st.ID), Branch: actor.Branch}
		}

		// A delayed attempt is refused without looking at the password,
		// after spending the time a check takes: it answers no faster for
		// a real name than an unknown one does.
		if terr := s.CheckThrottle(ctx, tx, ThrottleStaffLogin, username, ip); terr != nil {
			if !apperr.Is(terr, apperr.Locked) {
				return terr
			}
			password.Burn(pw)
			loginErr, change.Reason = terr, "throttled"
			return audit(ctx, tx, now, actor, change)
		}
		ok := false
		if known {
			if ok, err = password.Verify(pw, st.PasswordHash); err != nil {
				return fmt.Errorf("models: staff login %s: %w", username, err)
			}
		} else {
			password.Burn(pw)
		}
		if !ok || st.Status != "active" {
			if known {
				change.Reason = "wrong password"
				if st.Status != "active" {
					change.Reason = "account disabled"
				}
			}
			lockedNow, err := s.RecordFailure(ctx, tx, ThrottleStaffLogin, username, ip)
			if err != nil {
				return err
			}
			loginErr = ErrBadCredentials
			// The failure that starts a delay says so at once.
			if terr := s.CheckThrottle(ctx, tx, ThrottleStaffLogin, username, ip); terr != nil {
				if !apperr.Is(terr, apperr.Locked) {
					return terr
				}
				loginErr = terr
			}
			if known && lockedNow {
				change.Action = "staff.locked"
				if err := mailStaffLocked(ctx, tx, now, st, ip); err != nil {
					return err
				}
			}
			return audit(ctx, tx, now, actor, change)
		}

		if err := s.ClearFailures(ctx, tx, ThrottleStaffLogin, username); err != nil {
			return err
		}
		st.LastLoginAt = &now
		if _, err := tx.NewUpdate().Model(st).Column("last_login_at").WherePK().Exec(ctx); err != nil {
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

// mailStaffLocked tells a staff member that failed logins delayed their
// account, with the time and the address they came from. At most one mail
// an hour: an attack spread over many addresses must not flood the mailbox.
func mailStaffLocked(ctx context.Context, tx bun.IDB, now time.Time, st *Staff, ip string) error {
	if st.Email == "" {
		return nil
	}
	local := now.In(taipei)
	body := fmt.Sprintf(`%s 您好：

您的署內人員帳號 %s 於 %s %s 自 IP 位址 %s 密碼連續輸入錯誤，系統已暫時延後此帳號的登入，等候時間隨錯誤次數增加。

若是您本人輸入錯誤，請稍候再試；若不是您本人，請儘速通知系統管理員並變更密碼。

此信件由系統自動發送，請勿直接回覆。
`, st.Name, st.Username, rocdate.FormatSlash(local), local.Format("15:04:05"), ip)
	key := fmt.Sprintf("staff.locked:%d:%s", st.ID, now.Truncate(time.Hour).Format(time.RFC3339))
	return Enqueue(ctx, tx, now, key, []string{st.Email}, "【健保署多憑證網路】署內人員帳號登入延後通知", body)
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

// CreateStaff adds a staff member with a hashed password, in a transaction
// of its own. It does not check the input (AddStaff does).
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

// InsertStaff adds st, whose PasswordHash is already set, with its audit
// event, in tx, which RunInTx began: for creating many accounts with one
// hashed password, as the demo does. It does not check the input.
func (s *Store) InsertStaff(ctx context.Context, tx bun.IDB, a Actor, st *Staff) error {
	return insertStaff(ctx, tx, s.now(), a, st)
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
