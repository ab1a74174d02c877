package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// updateContact saves the mailing address, phone and fax at once.
func (s *Server) updateContact(c *fiber.Ctx) error {
	p := principal(c)
	in := models.ContactInput{ChangeMail: c.FormValue("change_mail") == "1", Mail: addressFromForm(c, "mail"),
		Phone: c.FormValue("phone"), Fax: c.FormValue("fax")}
	if err := s.Store.UpdateContact(c.UserContext(), p.Actor(c), p.UnitID, in); err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			return err
		}
		vm, verr := s.unitProfileView(c, "基本資料變更-不需證明文件", "contact")
		if verr != nil {
			return verr
		}
		vm.Contact, vm.Errors = in, e.Fields
		if vm.Errors == nil {
			vm.Errors = map[string]string{"form": e.Message}
		}
		vm.Mail = addressField("mail", "變更通訊地址", models.NormalizeAddress(in.Mail), vm.Errors)
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_contact", vm)
	}
	s.flash(c, "基本資料已變更，立即生效。")
	return redirect(c, "/portal/unit")
}
