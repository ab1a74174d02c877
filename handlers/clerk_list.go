package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// ClerksView is the model of 單位管理者登錄作業 (Q1).
type ClerksView struct {
	Page
	Clerks   []models.Clerk
	Form     models.ClerkInput
	CardInfo string // what was read from the card, shown next to the form
	Errors   map[string]string
	Message  string
}

func (s *Server) clerksView(c *fiber.Ctx) (ClerksView, error) {
	p := principal(c)
	hs, err := models.ClerksOfUnit(c.UserContext(), s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return ClerksView{}, err
	}
	return ClerksView{Page: s.agentPage(c, "單位管理者登錄作業", "clerks"), Clerks: hs, Form: models.ClerkInput{CardType: models.CardCitizenCert}}, nil
}

// showClerks lists the unit's clerks with the form to add one.
func (s *Server) showClerks(c *fiber.Ctx) error {
	vm, err := s.clerksView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "clerk_list", vm)
}
