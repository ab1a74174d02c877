package handlers

import "github.com/gofiber/fiber/v2"

// showHome sends logged-in users to their side of the site; the others
// get the units' login page, the front door. Staff find their own login
// in its footer.
func (s *Server) showHome(c *fiber.Ctx) error {
	if principal(c).IsStaff() {
		return c.Redirect("/console", fiber.StatusSeeOther)
	}
	return s.showUnitLogin(c)
}
