package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// setStaffStatus disables (sessions end at once) or enables an account.
func (s *Server) setStaffStatus(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "stid")
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	if err := s.Store.SetStaffStatus(c.UserContext(), p.Actor(c), id, status); err != nil {
		return err
	}
	msg := "帳號已停用，此人的連線已結束。"
	if status == models.StaffActive {
		msg = "帳號已恢復使用。"
	}
	s.flash(c, msg)
	return redirect(c, "/console/staff")
}
