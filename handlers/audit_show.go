package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// AuditEventView is the model of one audit event's page.
type AuditEventView struct {
	Page
	Event *models.AuditRow
	Diff  AuditDiff
}

// showAuditEvent shows one event: who, what, when, its before and after
// side by side, and its place in the hash chain. The guard has checked the
// branch; the query is scoped again all the same.
func (s *Server) showAuditEvent(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "eid")
	if err != nil {
		return err
	}
	ev, err := models.AuditEventByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	vm := AuditEventView{Page: s.page(c, "稽核紀錄第 "+strconv.FormatInt(ev.Seq, 10)+" 筆", "audit"), Event: ev,
		Diff: diffJSON(ev.BeforeJSON, ev.AfterJSON)}
	return s.render(c, fiber.StatusOK, "audit_show", vm)
}
