package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// revokeUnitCode voids an unused 開通碼 of the unit.
func (s *Server) revokeUnitCode(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cid, err := paramID(c, "acid")
	if err != nil {
		return err
	}
	if err := s.Store.RevokeUnitCode(c.UserContext(), p.Actor(c), p.Scope(), id, cid); err != nil {
		return err
	}
	s.flash(c, "開通碼已撤銷，不能再使用。")
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}
