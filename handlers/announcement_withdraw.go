package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/policy"
)

// withdrawAnnouncement takes an announcement off the 公告欄 at once (the
// page asks for confirmation first).
func (s *Server) withdrawAnnouncement(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "aid")
	if err != nil {
		return err
	}
	an, err := models.AnnouncementByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	if err := s.Store.WithdrawAnnouncement(c.UserContext(), p.Actor(c), p.Scope(), id); err != nil {
		return err
	}
	s.flash(c, "已撤回公告「"+an.Title+"」。")
	return redirect(c, "/console/announcements")
}

// announcementDomain resolves the :aid of an announcement route to its
// publisher's branch, the domain the policy compares with the staff
// member's; head office's own are head office's ("*").
func (s *Server) announcementDomain(c *fiber.Ctx, dom string) (string, error) {
	id, err := paramID(c, "aid")
	if err != nil {
		return "", err
	}
	branch, err := models.AnnouncementDomain(c.UserContext(), s.Store.R(), id)
	if err != nil {
		return "", err
	}
	if branch == "" {
		return policy.HeadOffice, nil
	}
	return "branch:" + branch, nil
}
