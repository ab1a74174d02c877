package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// setUnitStatus closes or reopens a unit, effective at once.
func (s *Server) setUnitStatus(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	err = s.Store.SetUnitStatus(c.UserContext(), p.Actor(c), p.Scope(), id, status, c.FormValue("code"), c.FormValue("comment"))
	if err != nil {
		return err
	}
	msg := "單位已暫時關閉，單位的連線已結束；單位登入時會看到「請洽詢承辦人」。"
	if status == models.UnitActive {
		msg = "單位已恢復正常，立即生效：單位現在就可以登入。"
	}
	s.flash(c, msg)
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}
