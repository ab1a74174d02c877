package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// UnitView is the model of the console's unit page.
type UnitView struct {
	Page
	Unit    *models.Unit
	Account *models.UnitAccount
	Clerks  []models.Clerk
	Events  []models.AuditEvent
	Deregs  []models.Deregistration
	Filings []models.Filing // the newest, for the unit's filing and error history
	Insured int             // people on the unit's roster today (投保名單)
	Codes   []models.OneTimeCode
	Now     time.Time
	// NHIPasswords says when each NHI-card clerk (by ID) set a password.
	NHIPasswords map[string]*time.Time

	CanIssueCode, CanRevokeNHIPassword bool

	CanSetStatus, CanDeregister bool
	CloseReasons, ReopenReasons map[string]string
	// PendingDereg is the account's deregistration waiting for a
	// supervisor: the form to ask for another is not shown while it waits.
	PendingDereg *models.Deregistration
	DeregError   string // why a request just sent was not taken
}

// showUnit shows one unit: status, account, clerks, addresses and its
// recent audit events. The route's guard has checked the branch; the
// query is scoped again all the same.
func (s *Server) showUnit(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	vm, err := s.unitView(c, id)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "unit_show", vm)
}

// unitView loads the unit page's model, within the staff member's scope.
func (s *Server) unitView(c *fiber.Ctx, id int64) (UnitView, error) {
	p := principal(c)
	ctx := c.UserContext()
	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), id)
	if err != nil {
		return UnitView{}, err
	}
	vm := UnitView{Page: s.page(c, u.Name, "units"), Unit: u}
	if vm.Account, err = models.ActiveAccount(ctx, s.Store.R(), principal(c).Scope(), u.ID); err != nil {
		return UnitView{}, err
	}
	if vm.Clerks, err = models.ClerksOfUnit(ctx, s.Store.R(), p.Scope(), u.ID); err != nil {
		return UnitView{}, err
	}
	if vm.Events, err = models.AuditEventsOfUnit(ctx, s.Store.R(), principal(c).Scope(), u.ID, 20); err != nil {
		return UnitView{}, err
	}
	if vm.Deregs, err = models.Deregistrations(ctx, s.Store.R(), p.Scope(), false, u.ID); err != nil {
		return UnitView{}, err
	}
	if vm.Filings, err = models.RecentFilingsOfUnit(ctx, s.Store.R(), principal(c).Scope(), u.ID, false, 20); err != nil {
		return UnitView{}, err
	}
	if vm.Codes, err = models.CodesOfUnit(ctx, s.Store.R(), p.Scope(), u.ID, 10); err != nil {
		return UnitView{}, err
	}
	if vm.NHIPasswords, err = models.NHIPasswordsOfUnit(ctx, s.Store.R(), p.Scope(), u.ID); err != nil {
		return UnitView{}, err
	}
	if vm.Can["insured_roster.read"] {
		if vm.Insured, err = models.CountInsured(ctx, s.Store.R(), p.Scope(), u.ID, s.todayTaipei()); err != nil {
			return UnitView{}, err
		}
	}
	vm.Now = time.Now()
	vm.CanRevokeNHIPassword = s.may(c, "nhi_password", "delete")
	vm.CanSetStatus, vm.CanDeregister = s.may(c, "unit", "update"), s.may(c, "deregistration", "create")
	vm.CanIssueCode = s.may(c, "activation_code", "create")
	vm.CloseReasons, vm.ReopenReasons = models.CloseReasons, models.ReopenReasons
	for i := range vm.Deregs {
		if d := &vm.Deregs[i]; d.Status == models.DeregPending && vm.Account != nil && d.AccountID == vm.Account.ID {
			vm.PendingDereg = d
		}
	}
	return vm, nil
}
