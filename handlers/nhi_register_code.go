package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// createNHICodeRequest mails a 驗證碼 to the addresses units recorded for
// the card's holder (always the same answer).
func (s *Server) createNHICodeRequest(c *fiber.Ctx) error {
	card, err := nhiCard(c)
	if err != nil {
		return err
	}
	if err := s.Store.RequestNHICode(c.UserContext(), card, twid.Normalize(c.FormValue("id_no")), c.IP()); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": models.NHICodeSent, "keep": true})
}
