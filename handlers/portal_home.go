package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// PortalHomeView is the model of the unit portal's home page.
type PortalHomeView struct {
	Page
	Unit         *models.Unit
	Account      *models.UnitAccount
	ActiveCount  int
	CertDaysLeft int // days until the business certificate expires; -1 when not applicable
	Pending      []models.ChangeRequest
	History      []models.UnitHistoryEntry
	Notices      []models.Notice
	Banner       *models.Announcement // the newest important current announcement for the unit
	NewCount     int                  // announcements new since the reader last opened the 公告欄
}

// showPortalHome shows the unit its own data.
func (s *Server) showPortalHome(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return err
	}
	vm := PortalHomeView{Page: s.page(c, "首頁", "home"), Unit: u, CertDaysLeft: -1}
	if vm.Account, err = models.ActiveAccount(ctx, s.Store.R(), principal(c).Scope(), u.ID); err != nil {
		return err
	}
	if a := vm.Account; a != nil && a.CertNotAfter != nil {
		vm.CertDaysLeft = max(0, int(a.CertNotAfter.Sub(s.Store.Now()).Hours()/24))
	}
	hs, err := models.ClerksOfUnit(ctx, s.Store.R(), p.Scope(), u.ID)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.Status == models.ClerkActive {
			vm.ActiveCount++
		}
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
	if vm.History, err = models.UnitHistory(ctx, s.Store.R(), p.Scope(), u.ID, 10); err != nil {
		return err
	}
	if vm.Notices, err = models.NoticesOfUnit(ctx, s.Store.R(), principal(c).Scope(), u.ID, 5); err != nil {
		return err
	}
	if vm.Banner, err = models.Banner(ctx, s.Store.R(), s.Store.Now(), u.BranchCode); err != nil {
		return err
	}
	if vm.NewCount, err = models.NewAnnouncements(ctx, s.Store.R(), s.Store.Now(), u.ID, p.ClerkID, u.BranchCode); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_home", vm)
}

// deleteUnitSession logs a unit or clerk out.
func (s *Server) deleteUnitSession(c *fiber.Ctx) error {
	p := principal(c)
	if err := s.Store.UnitLogout(c.UserContext(), p.Token, p.Actor(c)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	s.flash(c, "您已登出。")
	return redirect(c, "/login")
}
