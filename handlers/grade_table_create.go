package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// createGradeTable loads a new table in force from its effective date.
func (s *Server) createGradeTable(c *fiber.Ctx) error {
	p := principal(c)
	vm, err := s.gradesView(c)
	if err != nil {
		return err
	}
	vm.Effective, vm.Grades, vm.PartTime, vm.Source = strings.TrimSpace(c.FormValue("effective_date")), c.FormValue("grades"), c.FormValue("part_time"), c.FormValue("source")
	eff, perr := rocdate.Parse(vm.Effective)
	if perr != nil {
		vm.Errors["effective_date"] = perr.Error()
		return s.render(c, fiber.StatusUnprocessableEntity, "grades", vm)
	}
	load := models.GradeTableLoad{Effective: eff, Grades: vm.Grades, PartTime: vm.PartTime, Source: vm.Source}
	if err := s.Store.LoadGradeTable(c.UserContext(), p.Actor(c), load); err != nil {
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

// gradeCount is how many amounts a stored list has (grades or part-time
// amounts, comma-separated).
func gradeCount(amounts string) int {
	if amounts == "" {
		return 0
	}
	return strings.Count(amounts, ",") + 1
}
