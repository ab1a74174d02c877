package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// ClerkUnitsView is the model of the unit picker: the units that assigned
// the person, after a login that matched several (/login/units) or to
// switch from the portal (/portal/units).
type ClerkUnitsView struct {
	Page
	Units   []models.ClerkUnit
	Current int64  // the unit the clerk acts for now; 0 before the choice
	Next    string // after the login's choice: the local page the login came for
}

// showClerkUnits lists the units the person may choose. A visitor whose
// login proved nobody is sent to the login page.
func (s *Server) showClerkUnits(c *fiber.Ctx) error {
	p := principal(c)
	person := p.Session.ChoosingClerk()
	if person == 0 {
		return redirect(c, "/login")
	}
	units, err := models.ClerkUnits(c.UserContext(), s.Store.R(), person)
	if err != nil {
		return err
	}
	vm := ClerkUnitsView{Page: s.page(c, "選擇投保單位", "units"), Units: units, Current: p.UnitID,
		Next: localNext(c.Query("next"))}
	if p.IsUnit() {
		vm.Title = "切換單位"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "clerk_units", vm)
}
