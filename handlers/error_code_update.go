package handlers

import "github.com/gofiber/fiber/v2"

// updateErrorCode changes a code's message and fix.
func (s *Server) updateErrorCode(c *fiber.Ctx) error {
	p := principal(c)
	code := c.Params("code")
	if err := s.Store.UpdateErrorCode(c.UserContext(), p.Actor(c), code, c.FormValue("message"), c.FormValue("fix")); err != nil {
		return err
	}
	s.flash(c, "錯誤代碼 "+code+" 的說明已更新，單位立即看到新說明。")
	return redirect(c, "/console/error-codes#code-"+code)
}
