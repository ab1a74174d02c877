package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// revokeClerk deletes a clerk (刪除): at once, sessions included.
func (s *Server) revokeClerk(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "hid")
	if err != nil {
		return err
	}
	h, err := models.ClerkByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	if h.ID == p.ClerkID {
		return apperr.New(apperr.Invalid, "不能刪除自己；請由單位帳號或其他單位管理者刪除。")
	}
	if err := s.Store.RevokeClerk(c.UserContext(), p.Actor(c), p.UnitID, id); err != nil {
		return err
	}
	s.flash(c, "已刪除承辦人「"+h.Name+"」，其權限已立即解除。")
	return redirect(c, "/portal/handlers")
}
