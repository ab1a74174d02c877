package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

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
