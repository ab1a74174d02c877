package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// Reference data kept by admin staff: the code table (錯誤代碼說明) and the
// insured-amount grade tables (投保金額分級表).

// updateErrorCode changes a code's message and fix.
func (s *Server) updateErrorCode(c *fiber.Ctx) error {
	p := principal(c)
	code := c.Params("code")
	if err := s.Store.UpdateErrorCode(c.UserContext(), p.Actor(c), code, c.FormValue("message"), c.FormValue("fix")); err != nil {
		return err
	}
	s.flash(c, "錯誤代碼 "+code+" 的說明已更新，單位立即看到新說明。")
	return redirect(c, "/console/error-codes#code-"+code)
}

// GradesView is the model of the grade tables page.
type GradesView struct {
	Page
	Tables    []models.GradeTableRow
	Effective string
	Grades    string
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

// runNightly starts the nightly re-validation of filings now (for today),
// e.g. after a corrected grade table was loaded.
func (s *Server) runNightly(c *fiber.Ctx) error {
	if s.Jobs == nil {
		return apperr.New(apperr.Conflict, "背景作業沒有啟動，無法執行。")
	}
	today := s.todayTaipei()
	b, err := models.NightlyBatchOn(c.UserContext(), s.Store.R(), today)
	if err != nil {
		return err
	}
	if b != nil && b.FinishedAt != nil {
		// A day is validated once: the job would be skipped as a duplicate.
		s.flash(c, "今日的重新檢核已完成，不會重複執行；結果見下方。")
		return redirect(c, "/console/grades")
	}
	if err := s.Jobs.RunNightlyNow(c.UserContext(), today); err != nil {
		return err
	}
	s.flash(c, "已排入今日的申報資料重新檢核，下方會顯示進度與結果；結果有變動的單位會收到通知與電子郵件。")
	return redirect(c, "/console/grades?wait=1")
}
