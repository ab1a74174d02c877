package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// withdrawFiling withdraws (撤回) a filing with error codes, or deletes a
// 預辦 one before its effective date, with the clerk's reason; the page
// asks for confirmation first (data-confirm). A missing or wrong reason
// goes back to 異動檢核後查詢 with the message.
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
		msg := e.Fields["reason"]
		if msg == "" {
			msg = e.Message
		}
		return apperr.New(apperr.Invalid, "沒有撤回："+msg)
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
