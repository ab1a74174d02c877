package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// showUnitRoster is a unit's 投保名單 on the console, for staff of its
// branch (the guard checked it; the read is scoped again).
func (s *Server) showUnitRoster(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u, err := models.UnitByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	vm := RosterView{Page: s.page(c, u.Name+" 投保名單", "units"), Unit: u, Base: "/console/units/" + strconv.FormatInt(u.ID, 10) + "/roster"}
	return s.renderRoster(c, vm, p.Scope(), u.ID, "unit_roster")
}
