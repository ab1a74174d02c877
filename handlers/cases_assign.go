package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// assignCase gives the case to a colleague of its branch, or to nobody.
func (s *Server) assignCase(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "cid")
	if err != nil {
		return err
	}
	var to int64
	if v := c.FormValue("assignee"); v != "" {
		if to, err = strconv.ParseInt(v, 10, 64); err != nil || to < 0 {
			return s.caseFailed(c, apperr.InvalidFields("請選擇承辦人。", map[string]string{"assignee": "請從清單選擇承辦人。"}), nil)
		}
	}
	if err := s.Store.AssignCase(c.UserContext(), p.Actor(c), p.Scope(), id, caseFormVersion(c), to); err != nil {
		return s.caseFailed(c, err, nil)
	}
	if to == 0 {
		s.flash(c, "已取消案件的指派。")
	} else {
		s.flash(c, "已更新案件的承辦人。")
	}
	return redirect(c, caseURL(id))
}
