package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// CaseNewView is the model of the form that opens a case.
type CaseNewView struct {
	Page
	Form     models.CaseInput
	Unit     *models.Unit // when opened from the unit's page
	Topics   []models.CaseTopic
	Branches []models.Branch // head office picks the case's branch
	Errors   map[string]string
}

func (s *Server) newCaseView(c *fiber.Ctx, in models.CaseInput) (CaseNewView, error) {
	p := principal(c)
	ctx := c.UserContext()
	vm := CaseNewView{Page: s.page(c, "開立電話服務案件", "cases"), Form: in, Topics: models.CaseTopics}
	if in.UnitID != 0 {
		u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), in.UnitID)
		if err != nil {
			return vm, err
		}
		vm.Unit = u
	}
	if p.HeadOffice() {
		bs, err := models.Branches(ctx, s.Store.R())
		if err != nil {
			return vm, err
		}
		vm.Branches = bs
	}
	return vm, nil
}

// showNewCase shows the form; ?unit=<id> opens it for a unit of the
// staff member's branch (from the unit's page).
func (s *Server) showNewCase(c *fiber.Ctx) error {
	p := principal(c)
	in := models.CaseInput{AssignToMe: !p.HeadOffice()}
	if v := c.Query("unit"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return apperr.New(apperr.NotFound, "查無此投保單位，或您沒有查看的權限。")
		}
		in.UnitID = id
	}
	vm, err := s.newCaseView(c, in)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "case_new", vm)
}

// createCase opens a case and shows it; a form with mistakes comes back
// with the messages next to the fields (422).
func (s *Server) createCase(c *fiber.Ctx) error {
	p := principal(c)
	in := models.CaseInput{
		Branch:      strings.Clone(c.FormValue("branch")),
		CallerName:  strings.Clone(c.FormValue("caller_name")),
		CallerPhone: strings.Clone(c.FormValue("caller_phone")),
		CallerRef:   strings.Clone(c.FormValue("caller_ref")),
		Topic:       strings.Clone(c.FormValue("topic")),
		Notes:       strings.Clone(c.FormValue("notes")),
		AssignToMe:  c.FormValue("assign_me") == "1",
	}
	if v := c.FormValue("unit_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return apperr.New(apperr.NotFound, "查無此投保單位，或您沒有查看的權限。")
		}
		in.UnitID = id
	}
	cs, err := s.Store.OpenCase(c.UserContext(), p.Actor(c), p.Scope(), in)
	if answered, err := s.repeatedSubmit(c, err, "案件", caseURL); answered {
		return err
	}
	if err != nil {
		errs, status, err := caseFormErrors(err)
		if err != nil {
			return err
		}
		vm, verr := s.newCaseView(c, in)
		if verr != nil {
			return verr
		}
		vm.Errors = errs
		return s.render(c, status, "case_new", vm)
	}
	s.flash(c, fmt.Sprintf("已開立案件 %d。", cs.ID))
	return redirect(c, caseURL(cs.ID))
}
