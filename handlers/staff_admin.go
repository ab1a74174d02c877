package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// 署內人員帳號管理: admins create staff accounts, change their role or
// branch, disable them and set a password the person must change. Every
// staff member changes their own password (變更密碼); one an admin set
// must be changed before anything else (requirePasswordChange).

// StaffAccountsView is the model of 署內人員帳號管理.
type StaffAccountsView struct {
	Page
	Staff    []models.Staff
	Branches []models.Branch
	Roles    []string
	Form     models.StaffInput
	Errors   map[string]string
}

func (s *Server) staffAccountsView(c *fiber.Ctx) (StaffAccountsView, error) {
	ctx := c.UserContext()
	sts, err := models.ListStaff(ctx, s.Store.R())
	if err != nil {
		return StaffAccountsView{}, err
	}
	return StaffAccountsView{Page: s.page(c, "署內人員帳號管理", "staff"), Staff: sts, Branches: models.BureauBranches,
		Roles: models.StaffRoles, Form: models.StaffInput{Role: models.RoleStaff}}, nil
}

// showStaffAccounts lists the staff accounts with the form to add one.
func (s *Server) showStaffAccounts(c *fiber.Ctx) error {
	vm, err := s.staffAccountsView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "staff_accounts", vm)
}

// createStaffAccount adds an account with a password the person changes
// at the first login.
func (s *Server) createStaffAccount(c *fiber.Ctx) error {
	p := principal(c)
	in := models.StaffInput{Username: c.FormValue("username"), Name: c.FormValue("name"), Role: c.FormValue("role"),
		Branch: c.FormValue("branch"), Email: c.FormValue("email")}
	pw := c.FormValue("password")
	st, err := s.Store.AddStaff(c.UserContext(), p.Actor(c), in, pw, true)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			return err
		}
		vm, verr := s.staffAccountsView(c)
		if verr != nil {
			return verr
		}
		vm.Form, vm.Errors = in, e.Fields
		if vm.Errors == nil {
			vm.Errors = map[string]string{"form": e.Message}
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "staff_accounts", vm)
	}
	s.flash(c, "已新增帳號「"+st.Username+"」。請將初始密碼當面或以電話告知本人；本人第一次登入時必須變更密碼。")
	return redirect(c, "/console/staff")
}

// updateStaffRole changes a staff member's role and branch; their sessions end.
func (s *Server) updateStaffRole(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "stid")
	if err != nil {
		return err
	}
	if err := s.Store.UpdateStaffRole(c.UserContext(), p.Actor(c), id, c.FormValue("role"), c.FormValue("branch")); err != nil {
		return err
	}
	s.flash(c, "已變更角色與業務組，此人須重新登入後生效。")
	return redirect(c, "/console/staff")
}

// setStaffStatus disables (sessions end at once) or enables an account.
func (s *Server) setStaffStatus(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "stid")
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	if err := s.Store.SetStaffStatus(c.UserContext(), p.Actor(c), id, status); err != nil {
		return err
	}
	msg := "帳號已停用，此人的連線已結束。"
	if status == models.StaffActive {
		msg = "帳號已恢復使用。"
	}
	s.flash(c, msg)
	return redirect(c, "/console/staff")
}

// resetStaffPassword sets a temporary password the person must change.
func (s *Server) resetStaffPassword(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "stid")
	if err != nil {
		return err
	}
	if err := s.Store.ResetStaffPassword(c.UserContext(), p.Actor(c), id, c.FormValue("password")); err != nil {
		return err
	}
	s.flash(c, "已設定臨時密碼，此人的連線已結束；下次登入時必須變更密碼。")
	return redirect(c, "/console/staff")
}

// OwnPasswordView is the model of 變更密碼.
type OwnPasswordView struct {
	Page
	Forced bool
	Errors map[string]string
}

func (s *Server) showOwnPassword(c *fiber.Ctx) error {
	p := principal(c)
	return s.render(c, fiber.StatusOK, "staff_password", OwnPasswordView{Page: s.page(c, "變更密碼", "password"),
		Forced: p.Staff != nil && p.Staff.MustChangePassword})
}

func (s *Server) changeOwnPassword(c *fiber.Ctx) error {
	p := principal(c)
	pw := c.FormValue("password")
	vm := OwnPasswordView{Page: s.page(c, "變更密碼", "password"), Forced: p.Staff != nil && p.Staff.MustChangePassword}
	err := error(nil)
	if pw != c.FormValue("password2") {
		err = apperr.InvalidFields("兩次輸入的新密碼不一致。", map[string]string{"password2": "兩次輸入的新密碼不一致。"})
	} else {
		err = s.Store.ChangeOwnPassword(c.UserContext(), p.Actor(c), p.Token, c.FormValue("current"), pw)
	}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			return err
		}
		vm.Errors = e.Fields
		if vm.Errors == nil {
			vm.Errors = map[string]string{"form": e.Message}
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "staff_password", vm)
	}
	s.flash(c, "密碼已變更。您在其他地方的登入已結束。")
	return redirect(c, "/console")
}

// requirePasswordChange sends a staff member whose password an admin set
// to 變更密碼 before any other console page.
func (s *Server) requirePasswordChange(c *fiber.Ctx) error {
	p := principal(c)
	if p.Staff == nil || !p.Staff.MustChangePassword {
		return c.Next()
	}
	path := c.Path()
	if path == "/console/password" || path == "/console/logout" || !strings.HasPrefix(path, "/console") {
		return c.Next()
	}
	return redirect(c, "/console/password")
}
