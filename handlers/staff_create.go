package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// createStaffAccount adds an account with a password the person changes
// at the first login.
func (s *Server) createStaffAccount(c *fiber.Ctx) error {
	p := principal(c)
	in := models.StaffInput{Username: c.FormValue("username"), Name: c.FormValue("name"), Role: c.FormValue("role"),
		Branch: c.FormValue("branch"), Email: c.FormValue("email")}
	pw := c.FormValue("password")
	st, err := s.Store.AddStaff(c.UserContext(), p.Actor(c), in, pw, true)
	if answered, err := s.repeatedSubmit(c, err, "帳號", func(int64) string { return "/console/staff" }); answered {
		return err
	}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			return err
		}
		vm, verr := s.staffAccountsView(c)
		if verr != nil {
			return verr
		}
		vm.Form, vm.Errors = in, e.Fields
		if vm.Errors == nil {
			vm.Errors = map[string]string{"form": e.Message}
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "staff_accounts", vm)
	}
	s.flash(c, "已新增帳號「"+st.Username+"」。請將初始密碼當面或以電話告知本人；本人第一次登入時必須變更密碼。")
	return redirect(c, "/console/staff")
}
