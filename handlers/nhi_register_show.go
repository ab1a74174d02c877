package handlers

import "github.com/gofiber/fiber/v2"

// showNHIRegister shows 健保卡網路服務註冊: first registration and
// forgotten password, both with a 驗證碼 mailed to the address the unit
// recorded.
func (s *Server) showNHIRegister(c *fiber.Ctx) error {
	if err := s.ensureSession(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "nhi_register", UnitLoginView{Page: s.agentPage(c, "健保卡網路服務註冊", "nhi-register")})
}
