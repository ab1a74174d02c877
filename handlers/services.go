package handlers

import "github.com/gofiber/fiber/v2"

// showServices shows 系統服務項目: what units can do here, in plain words,
// from the seed's answers (public, linked from the login page).
func (s *Server) showServices(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "services", s.page(c, "系統服務項目", "services"))
}
