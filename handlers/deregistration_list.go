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
	Queue     QueuePage
}

// showApprovals lists the deregistrations waiting for a supervisor.
func (s *Server) showApprovals(c *fiber.Ctx) error {
	p := principal(c)
	q := queuePage(c, "/console/approvals")
	ds, total, err := models.DeregistrationQueue(c.UserContext(), s.Store.R(), p.Scope(), q.PageNo)
	if err != nil {
		return err
	}
	if q.counted(total); len(ds) == 0 && total > 0 { // a page past the end: the last one
		if ds, _, err = models.DeregistrationQueue(c.UserContext(), s.Store.R(), p.Scope(), q.PageNo); err != nil {
			return err
		}
	}
	return s.render(c, fiber.StatusOK, "console_approvals", ApprovalsView{Page: s.page(c, "待核准案件", "approvals"), Pending: ds,
		CanDecide: s.may(c, "deregistration", "decide"), Queue: q})
}
