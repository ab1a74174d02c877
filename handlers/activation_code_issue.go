package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// 開通碼 and NHI-card passwords on the console: a bureau officer issues a unit the code that a registration with
// the responsible person's NHI card needs, when the unit has no e-mail on
// file (or its mail does not arrive), and may revoke an unused one.

// IssuedCodeView shows a newly issued 開通碼, once.
type IssuedCodeView struct {
	Page
	Unit *models.Unit
	Code string
}

// issueUnitCode issues a 開通碼 and shows it once, to be told to the unit.
func (s *Server) issueUnitCode(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	code, err := s.Store.IssueUnitCode(c.UserContext(), p.Actor(c), p.Scope(), id)
	if err != nil {
		return err
	}
	u, err := models.UnitByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "unit_code_issued", IssuedCodeView{Page: s.page(c, "核發開通碼", "units"), Unit: u,
		Code: models.FormatUnitCode(code)})
}
