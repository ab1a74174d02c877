package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// AnnouncementBoardView is the model of the 公告欄 page.
type AnnouncementBoardView struct {
	Page
	Announcements []models.Announcement
	ForUnit       bool // a unit's reader: only theirs, with what is new marked
}

// showAnnouncementBoard shows the current announcements: to a unit's
// reader those for every unit and for the unit's branch, marking what is
// new since their last visit (kept per unit account or clerk, so that it
// outlives the session); to everyone else all of them.
func (s *Server) showAnnouncementBoard(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	vm := AnnouncementBoardView{Page: s.page(c, "公告欄", "announcements")}
	var err error
	if p.IsUnit() {
		u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), p.UnitID)
		if err != nil {
			return err
		}
		vm.ForUnit = true
		vm.Announcements, err = s.Store.AnnouncementsForUnit(ctx, u.ID, p.ClerkID, u.BranchCode)
		if err != nil {
			return err
		}
		return s.render(c, fiber.StatusOK, "announcement_board", vm)
	}
	if vm.Announcements, err = models.CurrentAnnouncements(ctx, s.Store.R(), s.Store.Now(), ""); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "announcement_board", vm)
}
