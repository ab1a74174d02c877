package handlers

import "github.com/gofiber/fiber/v2"

// showHome sends logged-in users to their side of the site and shows the
// others the way in.
func (s *Server) showHome(c *fiber.Ctx) error {
	p := principal(c)
	switch {
	case p.IsStaff():
		return c.Redirect("/console", fiber.StatusSeeOther)
	case p.IsUnit():
		return c.Redirect("/portal", fiber.StatusSeeOther)
	}
	return s.render(c, fiber.StatusOK, "home", s.page(c, "首頁", "home"))
}
