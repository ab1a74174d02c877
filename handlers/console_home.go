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
	Work   WorkView
}

// WorkView is the work waiting on the 工作台, the fragment it refreshes:
// each count shown only to those whose work it is.
type WorkView struct {
	models.WorkCounts
	ShowCases, ShowReviews, ShowApprovals, ShowSamples bool
}

// workView counts the work waiting that the staff member may act on.
func (s *Server) workView(c *fiber.Ctx) (WorkView, error) {
	p := principal(c)
	w := WorkView{ShowCases: s.may(c, "case", "update"), ShowReviews: s.may(c, "change_review", "decide"),
		ShowApprovals: s.may(c, "deregistration", "decide"), ShowSamples: s.may(c, "sample", "update")}
	if !w.ShowCases && !w.ShowReviews && !w.ShowApprovals && !w.ShowSamples {
		return w, nil
	}
	counts, err := models.CountWork(c.UserContext(), s.Store.R(), p.Scope())
	w.WorkCounts = counts
	return w, err
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
	if vm.Work, err = s.workView(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "console_home", vm)
}
