package handlers

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// switchClerkUnit starts the clerk's session in the unit they chose, after
// the login or from the portal's 「切換單位」: a new session token, the
// unit's role and data only. A unit that did not assign them answers 404.
// The portal names the unit in the path; the login's choice, made before
// the session is a unit's, posts it as unit_id.
func (s *Server) switchClerkUnit(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		var err error
		if id, err = paramID(c, "id"); err != nil {
			return err
		}
	} else if id, _ = strconv.ParseInt(c.FormValue("unit_id"), 10, 64); id <= 0 {
		return apperr.New(apperr.Invalid, "請選擇要作業的投保單位。")
	}
	p := principal(c)
	token, u, err := s.Store.ChooseClerkUnit(c.UserContext(), models.UnitChoice{Session: p.Session, UnitID: id,
		IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent())})
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.flash(c, fmt.Sprintf("目前單位：%s（%s）。", u.Name, u.Code))
	return redirect(c, afterLogin(c))
}
