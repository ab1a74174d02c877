package handlers

import "github.com/gofiber/fiber/v2"

// showContact shows 基本資料變更-不需證明文件.
func (s *Server) showContact(c *fiber.Ctx) error {
	vm, err := s.unitProfileView(c, "基本資料變更-不需證明文件", "contact")
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_contact", vm)
}
