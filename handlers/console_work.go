package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// showWork answers the 工作台's poll with the counts of the work waiting,
// a fragment only; a browser that asks for it as a page goes to the
// 工作台. The poll does not keep the session alive (pollPaths).
func (s *Server) showWork(c *fiber.Ctx) error {
	if principal(c).Staff == nil {
		return apperr.New(apperr.Forbidden, "此頁面僅供署內人員使用。")
	}
	c.Vary("HX-Request")
	if !isHTMX(c) {
		return c.Redirect("/console", fiber.StatusSeeOther)
	}
	w, err := s.workView(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Render("console_work", w)
}
