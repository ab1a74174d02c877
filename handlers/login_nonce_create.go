package handlers

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

var noncePurposes = map[string]bool{
	models.PurposeUnitLogin: true, models.PurposeClerkLogin: true, models.PurposeRegister: true,
}

// createLoginNonce issues the challenge the card signs.
func (s *Server) createLoginNonce(c *fiber.Ctx) error {
	p := principal(c)
	purpose := c.FormValue("purpose")
	if !noncePurposes[purpose] {
		return apperr.New(apperr.Invalid, "不明的登入方式，請重新整理頁面後再試。")
	}
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	nonce, err := s.Store.NewNonce(c.UserContext(), p.Session, purpose)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"nonce": base64.StdEncoding.EncodeToString(nonce)})
}
