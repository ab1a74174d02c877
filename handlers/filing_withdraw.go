package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// FilingWithdrawView is the withdrawal's form again, when its reason was
// missing or wrong.
type FilingWithdrawView struct {
	Page
	Filing *models.Filing
	Reason string
	Error  string
}

// withdrawFiling withdraws (撤回) a filing with error codes, or deletes a
// 預辦 one before its effective date, with the clerk's reason; the page
// asks for confirmation first (data-confirm). A missing or wrong reason
// shows the form again on a page of its own, with the message at the field.
func (s *Server) withdrawFiling(c *fiber.Ctx) error {
	p := principal(c)
	f, err := s.loadFixable(c)
	if err != nil {
		return err
	}
	reason := strings.Clone(c.FormValue("reason"))
	by := models.Filer{Actor: p.Actor(c), UnitID: p.UnitID, ClerkID: p.ClerkID, Source: "web"}
	done, err := s.Store.WithdrawFiling(c.UserContext(), by, f.ID, reason)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		vm := FilingWithdrawView{Page: s.page(c, "撤回申報資料", "filings"), Filing: f, Reason: reason, Error: e.Fields["reason"]}
		if vm.Error == "" {
			vm.Error = e.Message
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "filing_withdraw", vm)
	}
	if err != nil {
		return err
	}
	if done.Voided == models.FilingDeleted {
		s.flash(c, "已刪除這筆預辦申報（"+done.Name+"）。")
	} else {
		s.flash(c, "已撤回這筆申報（"+done.Name+"），不再列入投保名單。")
	}
	return redirect(c, "/portal/filings")
}
