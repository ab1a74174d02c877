package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// requestDeregistration asks a supervisor to deregister the unit's account.
func (s *Server) requestDeregistration(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Store.RequestDeregistration(c.UserContext(), p.Actor(c), p.Scope(), id, c.FormValue("reason")); err != nil {
		return err
	}
	s.flash(c, "已送出註銷申請，待另一位主管核准後生效。")
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}
