package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/metrics"
)

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
