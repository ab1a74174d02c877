package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// AnnouncementListView is the model of the console's list of
// announcements.
type AnnouncementListView struct {
	Page
	Announcements []models.Announcement
	Today         string // 2006-01-02 in Taipei, to tell each one's status
}

// showAnnouncements lists the announcements the staff member may edit:
// their branch's, or every one for head office.
func (s *Server) showAnnouncements(c *fiber.Ctx) error {
	p := principal(c)
	as, err := models.AnnouncementsOfScope(c.UserContext(), s.Store.R(), p.Scope(), 200)
	if err != nil {
		return err
	}
	vm := AnnouncementListView{Page: s.page(c, "公告欄管理", "announcements"), Announcements: as,
		Today: s.Store.Now().In(models.Taipei()).Format(time.DateOnly)}
	return s.render(c, fiber.StatusOK, "announcement_list", vm)
}

// The words of announcements, added to the shared table (label
// "announcement" …).
func init() {
	for code, l := range map[string]string{
		"announcement.current":   "公告中",
		"announcement.scheduled": "尚未開始",
		"announcement.ended":     "已結束",
		"announcement.withdrawn": "已撤回",
	} {
		labels[code] = l
	}
}
