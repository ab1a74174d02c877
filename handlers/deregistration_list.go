package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// ApprovalsView is the model of the supervisors' pending approvals.
type ApprovalsView struct {
	Page
	Pending   []models.Deregistration
	CanDecide bool
}

// showApprovals lists the deregistrations waiting for a supervisor.
func (s *Server) showApprovals(c *fiber.Ctx) error {
	p := principal(c)
	ds, err := models.Deregistrations(c.UserContext(), s.Store.R(), p.Scope(), true, 0)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "console_approvals", ApprovalsView{Page: s.page(c, "待核准案件", "approvals"), Pending: ds,
		CanDecide: s.may(c, "deregistration", "decide")})
}
