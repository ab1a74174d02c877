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
}

// showUnit shows one unit: status, account, clerks, addresses and its
// recent audit events. The route's guard has checked the branch; the
// query is scoped again all the same.
func (s *Server) showUnit(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	vm := UnitView{Page: s.page(c, u.Name, "units"), Unit: u}
	if vm.Account, err = models.ActiveAccount(ctx, s.Store.R(), u.ID); err != nil {
		return err
	}
	if vm.Clerks, err = models.ClerksOfUnit(ctx, s.Store.R(), p.Scope(), u.ID); err != nil {
		return err
	}
	if vm.Events, err = models.AuditEventsOfUnit(ctx, s.Store.R(), u.ID, 20); err != nil {
		return err
	}
	if vm.Deregs, err = models.Deregistrations(ctx, s.Store.R(), p.Scope(), false, u.ID); err != nil {
		return err
	}
	if vm.Filings, err = models.RecentFilingsOfUnit(ctx, s.Store.R(), u.ID, false, 20); err != nil {
		return err
	}
	if vm.Codes, err = models.CodesOfUnit(ctx, s.Store.R(), p.Scope(), u.ID, 10); err != nil {
		return err
	}
	if vm.NHIPasswords, err = models.NHIPasswordsOfUnit(ctx, s.Store.R(), p.Scope(), u.ID); err != nil {
		return err
	}
	if vm.Can["insured_roster.read"] {
		if _, vm.Insured, err = models.RosterOfUnit(ctx, s.Store.DB, p.Scope(), u.ID, models.RosterFilter{On: s.todayTaipei(), PageSize: 1}); err != nil {
			return err
		}
	}
	vm.Now = time.Now()
	vm.CanRevokeNHIPassword = s.may(c, "nhi_password", "delete")
	vm.CanSetStatus, vm.CanDeregister = s.may(c, "unit", "update"), s.may(c, "deregistration", "create")
	vm.CanIssueCode = s.may(c, "activation_code", "create")
	vm.CloseReasons, vm.ReopenReasons = models.CloseReasons, models.ReopenReasons
	return s.render(c, fiber.StatusOK, "unit_show", vm)
}
