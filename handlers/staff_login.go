package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/metrics"
)

// StaffLoginView is the model of the staff login page.
type StaffLoginView struct {
	Page
	Username string
	Next     string
	Error    string
}

// showStaffLogin shows the login form; it starts an anonymous session so
// that the form carries a CSRF token.
func (s *Server) showStaffLogin(c *fiber.Ctx) error {
	if principal(c).IsStaff() {
		return c.Redirect("/console", fiber.StatusSeeOther)
	}
	if err := s.ensureSession(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "staff_login", StaffLoginView{Page: s.page(c, "署內人員登入", "login"), Next: safeNext(c.Query("next"))})
}

// createStaffSession checks the user name and password and, on success,
// starts a new session (the old one's id is discarded).
func (s *Server) createStaffSession(c *fiber.Ctx) error {
	username := strings.TrimSpace(c.FormValue("username"))
	pw := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	vm := StaffLoginView{Page: s.page(c, "署內人員登入", "login"), Username: username, Next: next}
	if username == "" || pw == "" {
		vm.Error = "請輸入帳號及密碼。"
		return s.render(c, fiber.StatusUnprocessableEntity, "staff_login", vm)
	}
	p := principal(c)
	token, _, err := s.Store.StaffLogin(c.UserContext(), p.Token, username, pw, c.IP(), string(c.Request().Header.UserAgent()))
	s.countLogin(metrics.LoginStaff, err)
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Code == apperr.Unauthorized || e.Code == apperr.Locked) {
			vm.Error = e.Message
			return s.render(c, fiber.StatusUnprocessableEntity, "staff_login", vm)
		}
		return err
	}
	s.setSessionCookie(c, token)
	if next == "" {
		next = "/console"
	}
	return redirect(c, next)
}

// deleteStaffSession logs out.
func (s *Server) deleteStaffSession(c *fiber.Ctx) error {
	p := principal(c)
	if err := s.Store.StaffLogout(c.UserContext(), p.Token, p.Actor(c)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	s.flash(c, "您已登出。")
	return redirect(c, "/console/login")
}

// safeNext keeps only local paths of the console, so that the login page
// cannot be used to send people to another site.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console") && !strings.HasPrefix(next, "/console/login") &&
		!strings.Contains(next, "//") && !strings.Contains(next, `\`) {
		return next
	}
	return ""
}
