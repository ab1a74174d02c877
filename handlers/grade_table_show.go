package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// GradesView is the model of the grade tables page.
type GradesView struct {
	Page
	Tables    []models.GradeTableRow
	Effective string
	Grades    string
	PartTime  string
	Source    string
	Errors    map[string]string
	CanLoad   bool
	Nightly   NightlyView
}

func (s *Server) gradesView(c *fiber.Ctx) (GradesView, error) {
	ts, err := models.GradeTables(c.UserContext(), s.Store.R())
	if err != nil {
		return GradesView{}, err
	}
	vm := GradesView{Page: s.page(c, "投保金額分級表", "grades"), Tables: ts, Errors: map[string]string{}, CanLoad: s.may(c, "grade_table", "create")}
	if s.may(c, "nightly_batch", "run") {
		if vm.Nightly, err = s.nightlyView(c, c.Query("wait") == "1"); err != nil {
			return GradesView{}, err
		}
	}
	return vm, nil
}

// showGrades lists the grade tables by effective date.
func (s *Server) showGrades(c *fiber.Ctx) error {
	vm, err := s.gradesView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "grades", vm)
}
