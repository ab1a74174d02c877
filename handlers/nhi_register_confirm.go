package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// confirmNHICode sets the password with the 驗證碼.
func (s *Server) confirmNHICode(c *fiber.Ctx) error {
	card, err := nhiCard(c)
	if err != nil {
		return err
	}
	err = s.Store.ConfirmNHICode(c.UserContext(), models.NHIConfirm{Card: card, TypedID: twid.Normalize(c.FormValue("id_no")),
		Code: c.FormValue("code"), Password: c.FormValue("password"), Password2: c.FormValue("password2"), IP: c.IP()})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": "密碼已設定。請回登入頁，選擇「健保卡」並以新密碼登入。"})
}
