package handlers

import "github.com/gofiber/fiber/v2"

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
