package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// 署內人員帳號管理: admins create staff accounts, change their role or
// branch, disable them and set a password the person must change. Every
// staff member changes their own password (變更密碼); one an admin set
// must be changed before anything else (requirePasswordChange).

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
	if answered, err := s.repeatedSubmit(c, err, "密碼變更", func(int64) string { return "/console" }); answered {
		return err
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
