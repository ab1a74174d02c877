package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// ConsoleHomeView is the model of the console's home page.
type ConsoleHomeView struct {
	Page
	Branch *models.Branch // nil for head office
	Counts models.UnitCounts
}

// showConsoleHome shows the staff member's branch and its numbers.
func (s *Server) showConsoleHome(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	vm := ConsoleHomeView{Page: s.page(c, "工作台", "home")}
	if p.Staff == nil {
		return apperr.New(apperr.Forbidden, "此頁面僅供署內人員使用。")
	}
	if p.Staff.BranchCode != nil {
		b, err := models.BranchByCode(ctx, s.Store.R(), *p.Staff.BranchCode)
		if err != nil {
			return err
		}
		vm.Branch = b
	}
	counts, err := models.CountUnits(ctx, s.Store.R(), p.Scope())
	if err != nil {
		return err
	}
	vm.Counts = counts
	return s.render(c, fiber.StatusOK, "console_home", vm)
}
