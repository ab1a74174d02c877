package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
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

// safeNext keeps only local paths of the console, so that the login page
// cannot be used to send people to another site.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console") && !strings.HasPrefix(next, "/console/login") &&
		!strings.Contains(next, "//") && !strings.Contains(next, `\`) {
		return next
	}
	return ""
}
