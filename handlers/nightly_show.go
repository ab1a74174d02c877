package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// NightlyView is today's re-validation as the grade tables page shows it
// after 「立即重新檢核」: queued, running (how many checked so far) or
// finished (how many checked and changed). Poll is set while it is not
// finished and someone waits for it.
type NightlyView struct {
	Batch  *models.NightlyBatch
	Queued bool // asked for, not started yet
	Poll   bool
}

func (s *Server) nightlyView(c *fiber.Ctx, waiting bool) (NightlyView, error) {
	b, err := models.NightlyBatchOn(c.UserContext(), s.Store.R(), s.todayTaipei())
	if err != nil {
		return NightlyView{}, err
	}
	v := NightlyView{Batch: b, Queued: b == nil && waiting}
	v.Poll = v.Queued || (b != nil && b.FinishedAt == nil)
	return v, nil
}

// showNightly answers the grade tables page's poll with the progress of
// today's re-validation, a fragment only; as a page it is the grades page.
func (s *Server) showNightly(c *fiber.Ctx) error {
	c.Vary("HX-Request")
	if !isHTMX(c) {
		return c.Redirect("/console/grades", fiber.StatusSeeOther)
	}
	v, err := s.nightlyView(c, c.Query("wait") == "1")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Render("nightly_status", v)
}
