package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// cancelRequest withdraws a pending request.
func (s *Server) cancelRequest(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "rid")
	if err != nil {
		return err
	}
	if err := s.Store.CancelChangeRequest(c.UserContext(), p.Actor(c), p.UnitID, id); err != nil {
		return err
	}
	s.flash(c, "已取消申請。")
	return redirect(c, "/portal/requests/"+strconv.FormatInt(id, 10))
}
