package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// UnitProfileView is the model of 投保單位基本資料 (Q8) and of
// 基本資料變更-不需證明文件 (Q9.2).
type UnitProfileView struct {
	Page
	Unit       *models.Unit
	LaborInsNo string
	Contact    models.ContactInput
	Mail       AddressField
	Errors     map[string]string
	CanEdit    bool
}

func (s *Server) unitProfileView(c *fiber.Ctx, title, nav string) (UnitProfileView, error) {
	p := principal(c)
	u, err := models.UnitByID(c.UserContext(), s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return UnitProfileView{}, err
	}
	vm := UnitProfileView{Page: s.page(c, title, nav), Unit: u, CanEdit: s.may(c, "unit_profile", "update"),
		Contact: models.ContactInput{Mail: u.Mail, Phone: u.Phone, Fax: u.Fax}}
	if u.LaborInsNo != nil {
		vm.LaborInsNo = *u.LaborInsNo
	}
	vm.Mail = addressField("mail", "變更通訊地址", u.Mail, nil)
	return vm, nil
}

// showUnitProfile shows the unit's data with the 勞保證號 form.
func (s *Server) showUnitProfile(c *fiber.Ctx) error {
	vm, err := s.unitProfileView(c, "投保單位基本資料", "profile")
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_profile", vm)
}

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

// showContact shows 基本資料變更-不需證明文件.
func (s *Server) showContact(c *fiber.Ctx) error {
	vm, err := s.unitProfileView(c, "基本資料變更-不需證明文件", "contact")
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_contact", vm)
}

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
