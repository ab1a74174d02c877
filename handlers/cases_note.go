package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// addCaseNote adds a note to the case's trail. Notes need no version: they
// never overwrite a colleague's work.
func (s *Server) addCaseNote(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "cid")
	if err != nil {
		return err
	}
	text := strings.Clone(c.FormValue("text"))
	if _, err := s.Store.AddCaseNote(c.UserContext(), p.Actor(c), p.Scope(), id, text); err != nil {
		return s.caseFailed(c, err, func(vm *CaseView) { vm.Note = text })
	}
	s.flash(c, "已新增備註。")
	return redirect(c, caseURL(id))
}
