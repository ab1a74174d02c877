package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// unitNHIForm reads a registration with the responsible person's NHI card:
// unit code, 統一編號 and the card data the page read.
func unitNHIForm(c *fiber.Ctx) (string, string, models.NHICard, error) {
	code, ban, err := unitCodeAndBAN(c, true)
	if err != nil {
		return "", "", models.NHICard{}, err
	}
	card, err := nhiCard(c)
	return code, ban, card, err
}

// createNHIRegistration registers a unit with its responsible person's NHI
// card, a 開通碼 and a new password (or resets that password).
func (s *Server) createNHIRegistration(c *fiber.Ctx) error {
	p := principal(c)
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	code, ban, card, err := unitNHIForm(c)
	if err != nil {
		return err
	}
	pw := c.FormValue("password")
	if pw != c.FormValue("password2") {
		return apperr.InvalidFields("兩次輸入的密碼不一致。", map[string]string{"password2": "兩次輸入的密碼不一致。"})
	}
	token, _, err := s.Store.RegisterUnitNHI(c.UserContext(), models.UnitNHIRegistration{Session: p.Session, UnitCode: code, BAN: ban,
		Card: card, Password: pw, ActivationCode: c.FormValue("activation_code"), IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent())})
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.flash(c, "已完成，並已為您登入。貴單位在本署登記的信箱會收到通知。請至「單位管理者登錄作業」指派承辦人。")
	return c.JSON(fiber.Map{"redirect": "/portal"})
}
