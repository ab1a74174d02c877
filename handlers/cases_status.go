package handlers

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// setCaseStatus moves the case between 處理中 and 等候單位回覆, or resolves
// it with the resolution text (結案, final).
func (s *Server) setCaseStatus(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "cid")
	if err != nil {
		return err
	}
	status := strings.Clone(c.FormValue("status"))
	resolution := strings.Clone(c.FormValue("resolution"))
	err = s.Store.SetCaseStatus(c.UserContext(), p.Actor(c), p.Scope(), id, caseFormVersion(c), status, resolution)
	if err != nil {
		return s.caseFailed(c, err, func(vm *CaseView) { vm.Resolution = resolution })
	}
	switch status {
	case models.CaseResolved:
		s.flash(c, "案件已結案。")
	case models.CaseWaiting:
		s.flash(c, "案件已改為等候單位回覆。")
	default:
		s.flash(c, "案件已恢復為處理中。")
	}
	return redirect(c, caseURL(id))
}

// caseFormVersion is the version of the object the form was made from; a
// missing one is 0, which no row has, so the change is refused as stale.
func caseFormVersion(c *fiber.Ctx) int64 {
	v, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	return v
}
