package handlers

import (
	"strconv"

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

// revokeNHIPassword stops a clerk's NHI-card password (停用健保卡密碼).
func (s *Server) revokeNHIPassword(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	hid, err := paramID(c, "hid")
	if err != nil {
		return err
	}
	if err := s.Store.RevokeNHIPassword(c.UserContext(), p.Actor(c), p.Scope(), id, hid); err != nil {
		return err
	}
	s.flash(c, "已停用這位承辦人的健保卡密碼，其連線已結束；承辦人須以寄到單位登錄信箱的驗證碼重新設定。")
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}
