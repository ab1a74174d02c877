package handlers

import "github.com/gofiber/fiber/v2"

// updateStaffRole changes a staff member's role and branch; their sessions end.
func (s *Server) updateStaffRole(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "stid")
	if err != nil {
		return err
	}
	if err := s.Store.UpdateStaffRole(c.UserContext(), p.Actor(c), id, c.FormValue("role"), c.FormValue("branch")); err != nil {
		return err
	}
	s.flash(c, "已變更角色與業務組，此人須重新登入後生效。")
	return redirect(c, "/console/staff")
}
