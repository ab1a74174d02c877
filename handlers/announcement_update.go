package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// showAnnouncement shows the form that edits an announcement of the staff
// member's branch (any, for head office).
func (s *Server) showAnnouncement(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "aid")
	if err != nil {
		return err
	}
	an, err := models.AnnouncementByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	in := models.AnnouncementInput{Title: an.Title, Body: an.Body, Important: an.Important,
		Starts: rocSlash(an.Starts()), Ends: rocSlash(an.Ends()), Audience: derefString(an.AudienceBranch), Version: an.Version}
	vm := s.announcementForm(c, "修改公告", an.ID, an.BranchCode, in)
	if an.WithdrawnAt != nil {
		vm.Errors = map[string]string{"form": "此公告已撤回，不能再修改；請發布新公告。"}
	}
	return s.render(c, fiber.StatusOK, "announcement_form", vm)
}

// updateAnnouncement saves an edit; mistakes come back next to the fields
// (422), a colleague's edit in between as a conflict (409).
func (s *Server) updateAnnouncement(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "aid")
	if err != nil {
		return err
	}
	an, err := models.AnnouncementByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	in := announcementFromForm(c)
	if in.Version, err = strconv.ParseInt(c.FormValue("version"), 10, 64); err != nil {
		return apperr.New(apperr.Invalid, "表單資料不完整，請重新開啟公告後再修改。")
	}
	if _, err := s.Store.UpdateAnnouncement(c.UserContext(), p.Actor(c), p.Scope(), id, in); err != nil {
		errs, status, err := caseFormErrors(err)
		if err != nil {
			return err
		}
		vm := s.announcementForm(c, "修改公告", an.ID, an.BranchCode, in)
		vm.Errors = errs
		return s.render(c, status, "announcement_form", vm)
	}
	s.flash(c, "已修改公告「"+in.Title+"」。")
	return redirect(c, "/console/announcements")
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
