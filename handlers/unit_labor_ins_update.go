package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// updateLaborInsNo adds or changes the 勞保證號: effective at once.
func (s *Server) updateLaborInsNo(c *fiber.Ctx) error {
	p := principal(c)
	v := c.FormValue("labor_ins_no")
	if err := s.Store.SetLaborInsNo(c.UserContext(), p.Actor(c), p.UnitID, v); err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			return err
		}
		vm, verr := s.unitProfileView(c, "投保單位基本資料", "profile")
		if verr != nil {
			return verr
		}
		vm.LaborInsNo, vm.Errors = v, e.Fields
		if vm.Errors == nil {
			vm.Errors = map[string]string{"labor_ins_no": e.Message}
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_profile", vm)
	}
	s.flash(c, "勞保證號已儲存，立即生效，不需重新登入。")
	return redirect(c, "/portal/unit")
}
