package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// AnnouncementFormView is the model of the form that publishes or edits
// an announcement.
type AnnouncementFormView struct {
	Page
	ID       int64 // 0 for a new one
	Form     models.AnnouncementInput
	Branches []models.Branch // the audiences the publisher may choose besides every unit
	Errors   map[string]string
}

func (s *Server) announcementForm(c *fiber.Ctx, title string, id int64, publisher *string, in models.AnnouncementInput) AnnouncementFormView {
	vm := AnnouncementFormView{Page: s.page(c, title, "announcements"), ID: id, Form: in}
	for _, b := range models.BureauBranches {
		if publisher == nil || *publisher == b.Code {
			vm.Branches = append(vm.Branches, b)
		}
	}
	return vm
}

// announcementFromForm reads the form; values are copied, since Fiber's
// die with the request.
func announcementFromForm(c *fiber.Ctx) models.AnnouncementInput {
	return models.AnnouncementInput{
		Title:     strings.Clone(c.FormValue("title")),
		Body:      strings.Clone(c.FormValue("body")),
		Important: c.FormValue("important") == "1",
		Starts:    strings.Clone(c.FormValue("starts")),
		Ends:      strings.Clone(c.FormValue("ends")),
		Audience:  strings.Clone(c.FormValue("audience")),
	}
}

// showNewAnnouncement shows an empty form, shown from today for a month.
func (s *Server) showNewAnnouncement(c *fiber.Ctx) error {
	p := principal(c)
	today := s.Store.Now().In(models.Taipei())
	in := models.AnnouncementInput{Starts: rocSlash(today), Ends: rocSlash(today.AddDate(0, 1, 0))}
	return s.render(c, fiber.StatusOK, "announcement_form", s.announcementForm(c, "發布公告", 0, p.Staff.BranchCode, in))
}

// createAnnouncement publishes; a form with mistakes comes back with the
// messages next to the fields (422).
func (s *Server) createAnnouncement(c *fiber.Ctx) error {
	p := principal(c)
	in := announcementFromForm(c)
	an, err := s.Store.PublishAnnouncement(c.UserContext(), p.Actor(c), p.Scope(), in)
	if answered, err := s.repeatedSubmit(c, err, "公告", func(int64) string { return "/console/announcements" }); answered {
		return err
	}
	if err != nil {
		errs, status, err := caseFormErrors(err)
		if err != nil {
			return err
		}
		vm := s.announcementForm(c, "發布公告", 0, p.Staff.BranchCode, in)
		vm.Errors = errs
		return s.render(c, status, "announcement_form", vm)
	}
	s.flash(c, "已發布公告「"+an.Title+"」。")
	return redirect(c, "/console/announcements")
}

// rocSlash writes a date as the forms show it: 115/03/02.
func rocSlash(t time.Time) string { return rocdate.FormatSlash(t) }
