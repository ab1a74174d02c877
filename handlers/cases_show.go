package handlers

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// CaseView is the model of the case page: the call, the Q&A sheet's answer
// for its topic, the unit's state when the unit is known, the notes trail
// and the forms that move the case on.
type CaseView struct {
	Page
	caseHelpers
	Case         *models.Case
	Topic        models.CaseTopic
	Age          time.Duration
	Unit         *models.Unit
	Account      *models.UnitAccount
	Clerks       []models.Clerk
	ActiveClerks int
	Pending      []models.ChangeRequest // change requests waiting for review
	FilingErrors []models.Filing        // the unit's newest filings with error codes
	Assignees    []models.Staff
	CanUpdate    bool
	Errors       map[string]string
	Note         string // a note or resolution typed before an error, kept
	Resolution   string
}

// caseView loads a case within the staff member's scope, and what the
// page shows beside it.
func (s *Server) caseView(c *fiber.Ctx) (CaseView, error) {
	p := principal(c)
	ctx := c.UserContext()
	id, err := paramID(c, "cid")
	if err != nil {
		return CaseView{}, err
	}
	cs, err := models.CaseByID(ctx, s.Store.R(), p.Scope(), id)
	if err != nil {
		return CaseView{}, err
	}
	vm := CaseView{Page: s.page(c, "電話服務案件 "+strconv.FormatInt(cs.ID, 10), "cases"), Case: cs, Topic: cs.TopicInfo(),
		Age: cs.AgeAt(s.Store.Now()), CanUpdate: s.may(c, "case", "update") && cs.Status != models.CaseResolved}
	if cs.UnitID != nil {
		u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), *cs.UnitID)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return vm, err
		}
		if u != nil {
			if err := s.loadCaseUnit(c, &vm, u); err != nil {
				return vm, err
			}
		}
	}
	if vm.CanUpdate {
		if vm.Assignees, err = models.CaseAssignees(ctx, s.Store.R(), cs.BranchCode); err != nil {
			return vm, err
		}
	}
	return vm, nil
}

// loadCaseUnit adds the unit's state: account, clerks and the change
// requests waiting for review.
func (s *Server) loadCaseUnit(c *fiber.Ctx, vm *CaseView, u *models.Unit) error {
	ctx := c.UserContext()
	vm.Unit = u
	var err error
	if vm.Account, err = models.ActiveAccount(ctx, s.Store.R(), principal(c).Scope(), u.ID); err != nil {
		return err
	}
	if vm.Clerks, err = models.ClerksOfUnit(ctx, s.Store.R(), principal(c).Scope(), u.ID); err != nil {
		return err
	}
	for _, h := range vm.Clerks {
		if h.Status == models.ClerkActive {
			vm.ActiveClerks++
		}
	}
	if vm.FilingErrors, err = models.RecentFilingsOfUnit(ctx, s.Store.R(), principal(c).Scope(), u.ID, true, 10); err != nil {
		return err
	}
	rs, err := models.ChangeRequestsOfUnit(ctx, s.Store.R(), principal(c).Scope(), u.ID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Status == models.RequestPending {
			vm.Pending = append(vm.Pending, r)
		}
	}
	return nil
}

// showCase shows one case. The route's guard has checked the branch; the
// query is scoped again all the same.
func (s *Server) showCase(c *fiber.Ctx) error {
	vm, err := s.caseView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "case_show", vm)
}

// caseFailed shows the case page again after a refused change: 422 with the
// messages next to the form, or 409 with the case as it is now. keep puts
// back what the officer typed.
func (s *Server) caseFailed(c *fiber.Ctx, err error, keep func(vm *CaseView)) error {
	errs, status, err := caseFormErrors(err)
	if err != nil {
		return err
	}
	vm, verr := s.caseView(c)
	if verr != nil {
		return verr
	}
	vm.Errors = errs
	if keep != nil {
		keep(&vm)
	}
	return s.render(c, status, "case_show", vm)
}

// caseURL is the page of a case.
func caseURL(id int64) string { return "/console/cases/" + strconv.FormatInt(id, 10) }

// IsAssignee reports whether the staff member id handles the case.
func (v CaseView) IsAssignee(id int64) bool {
	return v.Case.AssignedTo != nil && *v.Case.AssignedTo == id
}
