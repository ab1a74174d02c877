package handlers

import "github.com/gofiber/fiber/v2"

// showRegister shows unit registration (註冊): by business certificate or
// by the responsible person's NHI card.
func (s *Server) showRegister(c *fiber.Ctx) error {
	if err := s.ensureSession(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "unit_register", UnitLoginView{Page: s.agentPage(c, "投保單位註冊", "register")})
}
