package handlers

import "github.com/gofiber/fiber/v2"

// resetStaffPassword sets a temporary password the person must change.
func (s *Server) resetStaffPassword(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "stid")
	if err != nil {
		return err
	}
	if err := s.Store.ResetStaffPassword(c.UserContext(), p.Actor(c), id, c.FormValue("password")); err != nil {
		return err
	}
	s.flash(c, "已設定臨時密碼，此人的連線已結束；下次登入時必須變更密碼。")
	return redirect(c, "/console/staff")
}
