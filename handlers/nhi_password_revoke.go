package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

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
