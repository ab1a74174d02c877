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
	_, err = s.Store.AddCaseNote(c.UserContext(), p.Actor(c), p.Scope(), id, text)
	if answered, err := s.repeatedSubmit(c, err, "備註", func(int64) string { return caseURL(id) }); answered {
		return err
	}
	if err != nil {
		return s.caseFailed(c, err, func(vm *CaseView) { vm.Note = text })
	}
	s.flash(c, "已新增備註。")
	return redirect(c, caseURL(id))
}
