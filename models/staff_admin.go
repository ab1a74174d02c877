package models

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/password"
)

// Staff statuses.
const (
	StaffActive   = "active"
	StaffDisabled = "disabled"
)

var reUsername = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// StaffInput is a staff account as an admin enters it.
type StaffInput struct {
	Username string
	Name     string
	Role     string
	Branch   string // a branch code, or "" for head office (署本部)
	Email    string
}

// Validate checks the input and says what is wrong per field.
func (in *StaffInput) Validate() error {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name, in.Email, in.Branch = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.Branch)
	f := fieldErrors{}
	if !reUsername.MatchString(in.Username) {
		f["username"] = "帳號為 3 至 64 個英文小寫字母、數字或 . _ -，以字母或數字開頭。"
	}
	f.checkStaffRoleBranch(in.Role, in.Branch)
	if msg := input.Name("姓名", in.Name, input.MaxPersonName); msg != "" {
		f["name"] = msg
	} else if in.Name == "" {
		f["name"] = "請輸入姓名。"
	}
	if in.Email != "" {
		f.email("email", in.Email)
	}
	return f.err("帳號資料有誤，請依欄位旁的說明修正。")
}

func (f fieldErrors) checkStaffRoleBranch(role, branch string) {
	ok := false
	for _, r := range StaffRoles {
		ok = ok || r == role
	}
	if !ok {
		f["role"] = "請選擇角色：業務承辦人、主管、稽核人員或系統管理者。"
	}
	if _, known := BranchNames[branch]; branch != "" && !known {
		f["branch"] = "請選擇業務組（1 至 6），或署本部。"
	}
}

// CheckStaffPassword returns a message when pw is too weak for a staff
// account: at least 12 characters with letters and digits, not the user
// name.
func CheckStaffPassword(pw, username string) string {
	var letter, digit bool
	for _, r := range pw {
		switch {
		case r < 0x20 || r > 0x7e:
			return "密碼只能使用英文字母、數字及符號。"
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	switch {
	case len(pw) < 12:
		return "密碼至少需 12 個字元。"
	case len(pw) > input.MaxPassword:
		return fmt.Sprintf("密碼最多 %d 個字元。", input.MaxPassword)
	case !letter || !digit:
		return "密碼需同時包含英文字母及數字。"
	case username != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(username)):
		return "密碼不可包含帳號。"
	}
	return ""
}

func branchPtr(code string) *string {
	if code == "" {
		return nil
	}
	return &code
}

// AddStaff creates a staff account. mustChange makes the person choose a
// new password at the first login (an admin chose this one).
func (s *Store) AddStaff(ctx context.Context, a Actor, in StaffInput, pw string, mustChange bool) (*Staff, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if msg := CheckStaffPassword(pw, in.Username); msg != "" {
		return nil, apperr.InvalidFields(msg, map[string]string{"password": msg})
	}
	h, err := password.Hash(pw)
	if err != nil {
		return nil, err
	}
	st := &Staff{Username: in.Username, Name: in.Name, Role: in.Role, BranchCode: branchPtr(in.Branch), Email: in.Email,
		PasswordHash: h, Status: StaffActive, MustChangePassword: mustChange}
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The same account sent twice (a double submit): the first.
		prev := new(Staff)
		err := tx.NewSelect().Model(prev).Where("username = ? AND name = ? AND role = ? AND email = ? AND created_at >= ?",
			st.Username, st.Name, st.Role, st.Email, s.now().Add(-RepeatWindow)).Limit(1).Scan(ctx)
		if err == nil {
			if same, _ := password.Verify(pw, prev.PasswordHash); same {
				return &Repeated{What: "staff", ID: prev.ID}
			}
		} else if !isNoRows(err) {
			return fmt.Errorf("models: add staff: %w", err)
		}
		err = insertStaff(ctx, tx, s.now(), a, st)
		if isUniqueViolation(err) {
			return apperr.InvalidFields("帳號已有人使用。", map[string]string{"username": "這個帳號已有人使用，請換一個。"})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// ListStaff lists every staff account by user name.
func ListStaff(ctx context.Context, db bun.IDB) ([]Staff, error) {
	var sts []Staff
	if err := db.NewSelect().Model(&sts).Order("username").Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: list staff: %w", err)
	}
	return sts, nil
}

// StaffByUsername finds a staff account by user name.
func StaffByUsername(ctx context.Context, db bun.IDB, username string) (*Staff, error) {
	st := new(Staff)
	err := db.NewSelect().Model(st).Where("username = ?", strings.ToLower(strings.TrimSpace(username))).Scan(ctx)
	if isNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "查無此帳號。")
	}
	if err != nil {
		return nil, fmt.Errorf("models: staff %s: %w", username, err)
	}
	return st, nil
}

// changeStaff loads a staff account in the transaction, lets fn change it,
// writes the columns, audits before and after, and ends the person's
// sessions when endSessions is set.
func (s *Store) changeStaff(ctx context.Context, a Actor, id int64, action string, endSessions bool, cols []string,
	fn func(st *Staff) error) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		st := new(Staff)
		err := tx.NewSelect().Model(st).Where("id = ?", id).Scan(ctx)
		if isNoRows(err) {
			return apperr.New(apperr.NotFound, "查無此帳號。")
		}
		if err != nil {
			return fmt.Errorf("models: %s: %w", action, err)
		}
		before := staffAudit(st)
		if err := fn(st); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(st).Column(cols...).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("models: %s %s: %w", action, st.Username, err)
		}
		after := staffAudit(st)
		if endSessions {
			res, err := tx.NewDelete().Model((*Session)(nil)).Where("staff_id = ?", st.ID).Exec(ctx)
			if err != nil {
				return fmt.Errorf("models: %s: end sessions: %w", action, err)
			}
			n, _ := res.RowsAffected()
			after["sessions_ended"] = fmt.Sprint(n)
		}
		branch := ""
		if st.BranchCode != nil {
			branch = *st.BranchCode
		}
		return audit(ctx, tx, now, a, Change{Action: action, ObjectType: "staff", ObjectID: fmt.Sprint(st.ID), Branch: branch,
			Before: before, After: after})
	})
}

func staffAudit(st *Staff) map[string]string {
	branch := ""
	if st.BranchCode != nil {
		branch = *st.BranchCode
	}
	return map[string]string{"username": st.Username, "role": st.Role, "branch": branch, "status": st.Status,
		"must_change_password": fmt.Sprint(st.MustChangePassword)}
}

// UpdateStaffRole changes a staff member's role and branch. An admin cannot
// take the admin role from themself (there must stay someone who can
// manage accounts).
func (s *Store) UpdateStaffRole(ctx context.Context, a Actor, id int64, role, branch string) error {
	f := fieldErrors{}
	f.checkStaffRoleBranch(role, branch)
	if err := f.err("帳號資料有誤，請依欄位旁的說明修正。"); err != nil {
		return err
	}
	return s.changeStaff(ctx, a, id, "staff.update", true, []string{"role", "branch_code"}, func(st *Staff) error {
		if a.Kind == "staff" && a.ID == st.ID && st.Role == RoleAdmin && role != RoleAdmin {
			return apperr.New(apperr.Invalid, "不能取消自己的系統管理者角色；請由另一位系統管理者變更。")
		}
		st.Role, st.BranchCode = role, branchPtr(branch)
		return nil
	})
}

// SetStaffStatus disables or enables an account; disabling ends its
// sessions at once. Nobody disables themself.
func (s *Store) SetStaffStatus(ctx context.Context, a Actor, id int64, status string) error {
	if status != StaffActive && status != StaffDisabled {
		return apperr.New(apperr.Invalid, "不明的帳號狀態。")
	}
	action := "staff.disable"
	if status == StaffActive {
		action = "staff.enable"
	}
	return s.changeStaff(ctx, a, id, action, status == StaffDisabled, []string{"status"}, func(st *Staff) error {
		if a.Kind == "staff" && a.ID == st.ID {
			return apperr.New(apperr.Invalid, "不能停用自己的帳號。")
		}
		if st.Status == status {
			return apperr.New(apperr.Conflict, "帳號已經是這個狀態了。")
		}
		st.Status = status
		return nil
	})
}

// ResetStaffPassword sets a password an admin (or the command line) chose;
// the person must change it at the next login, and their sessions end.
func (s *Store) ResetStaffPassword(ctx context.Context, a Actor, id int64, pw string) error {
	h, err := password.Hash(pw)
	if err != nil {
		return err
	}
	return s.changeStaff(ctx, a, id, "staff.password_reset", true, []string{"password_hash", "must_change_password"}, func(st *Staff) error {
		if msg := CheckStaffPassword(pw, st.Username); msg != "" {
			return apperr.InvalidFields(msg, map[string]string{"password": msg})
		}
		st.PasswordHash, st.MustChangePassword = h, true
		return nil
	})
}

// ChangeOwnPassword is a staff member changing their own password with the
// current one; it clears a forced change. Other sessions of the person end.
func (s *Store) ChangeOwnPassword(ctx context.Context, a Actor, keepToken, current, pw string) error {
	h, err := password.Hash(pw)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		st := new(Staff)
		if err := tx.NewSelect().Model(st).Where("id = ?", a.ID).Scan(ctx); err != nil {
			return fmt.Errorf("models: change password: %w", err)
		}
		ok, err := password.Verify(current, st.PasswordHash)
		if err != nil {
			return fmt.Errorf("models: change password: %w", err)
		}
		if !ok {
			// The same change sent twice: the first made the new
			// password the current one, so the second's "current" no
			// longer matches. Told so, not that the password is wrong.
			if again, _ := password.Verify(pw, st.PasswordHash); again && current != pw {
				return &Repeated{What: "password", ID: st.ID}
			}
			return apperr.InvalidFields("目前的密碼不正確。", map[string]string{"current": "目前的密碼不正確。"})
		}
		if current == pw {
			return apperr.InvalidFields("新密碼不可與目前的密碼相同。", map[string]string{"password": "新密碼不可與目前的密碼相同。"})
		}
		if msg := CheckStaffPassword(pw, st.Username); msg != "" {
			return apperr.InvalidFields(msg, map[string]string{"password": msg})
		}
		if _, err := tx.NewUpdate().Model(st).Set("password_hash = ?, must_change_password = ?", h, false).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("models: change password: %w", err)
		}
		if _, err := tx.NewDelete().Model((*Session)(nil)).Where("staff_id = ? AND id <> ?", st.ID, sessionID(keepToken)).Exec(ctx); err != nil {
			return fmt.Errorf("models: change password: end other sessions: %w", err)
		}
		return audit(ctx, tx, now, a, Change{Action: "staff.password_change", ObjectType: "staff", ObjectID: fmt.Sprint(st.ID)})
	})
}
