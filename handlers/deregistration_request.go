package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// requestDeregistration asks a supervisor to deregister the unit's account.
func (s *Server) requestDeregistration(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.Store.RequestDeregistration(c.UserContext(), p.Actor(c), p.Scope(), id, c.FormValue("reason"))
	if answered, err := s.repeatedSubmit(c, err, "註銷申請", func(int64) string { return "/console/units/" + strconv.FormatInt(id, 10) }); answered {
		return err
	}
	if e, ok := apperr.As(err); ok && e.Code == apperr.Conflict {
		// Another request waits, or the account is gone: the unit page
		// says which, where the form was, with the way back.
		vm, verr := s.unitView(c, id)
		if verr != nil {
			return verr
		}
		vm.DeregError = e.Message
		return s.render(c, fiber.StatusConflict, "unit_show", vm)
	}
	if err != nil {
		return err
	}
	s.flash(c, "已送出註銷申請，待另一位主管核准後生效。")
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}
