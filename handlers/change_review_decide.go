package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// decideReview approves or rejects, under optimistic locking: the form
// carries the version the reviewer saw.
func (s *Server) decideReview(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "rid")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	approve := c.FormValue("decision") == "approve"
	err = s.Store.DecideChangeRequest(c.UserContext(), p.Actor(c), p.Scope(), id, version, approve, c.FormValue("reason"))
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || (e.Code != apperr.Conflict && e.Code != apperr.Invalid) {
			return err
		}
		vm, verr := s.reviewView(c)
		if verr != nil {
			return verr
		}
		vm.Error = e.Message
		status := fiber.StatusUnprocessableEntity
		if e.Code == apperr.Conflict {
			status = fiber.StatusConflict
		}
		return s.render(c, status, "change_review_show", vm)
	}
	if approve {
		s.flash(c, "已審核通過；生效日已到者已更新單位資料，未到者將於生效日自動更新。")
	} else {
		s.flash(c, "已駁回，單位會看到您填寫的理由。")
	}
	return redirect(c, "/console/reviews")
}
