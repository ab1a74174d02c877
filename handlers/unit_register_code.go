package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// createUnitCodeRequest mails a 開通碼 for a registration with the
// responsible person's NHI card, when the data match (always the same answer).
func (s *Server) createUnitCodeRequest(c *fiber.Ctx) error {
	code, ban, card, err := unitNHIForm(c)
	if err != nil {
		return err
	}
	if err := s.Store.RequestUnitCode(c.UserContext(), code, ban, card, c.IP()); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": models.UnitCodeSent, "keep": true})
}
