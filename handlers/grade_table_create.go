package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
)

// createGradeTable loads a new table in force from its effective date.
func (s *Server) createGradeTable(c *fiber.Ctx) error {
	p := principal(c)
	vm, err := s.gradesView(c)
	if err != nil {
		return err
	}
	vm.Effective, vm.Grades, vm.Source = strings.TrimSpace(c.FormValue("effective_date")), c.FormValue("grades"), c.FormValue("source")
	eff, perr := rocdate.Parse(vm.Effective)
	if perr != nil {
		vm.Errors["effective_date"] = perr.Error()
		return s.render(c, fiber.StatusUnprocessableEntity, "grades", vm)
	}
	if err := s.Store.LoadGradeTable(c.UserContext(), p.Actor(c), eff, vm.Grades, vm.Source); err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			return err
		}
		vm.Errors = e.Fields
		return s.render(c, fiber.StatusUnprocessableEntity, "grades", vm)
	}
	s.flash(c, "已載入 "+rocdate.Format(eff)+" 起適用的投保金額分級表。")
	return redirect(c, "/console/grades")
}

// gradeCount is how many grades a stored table has.
func gradeCount(grades string) int {
	gs, err := rules.ParseTable(grades)
	if err != nil {
		return 0
	}
	return len(gs)
}
