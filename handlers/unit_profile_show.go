package handlers

import (
	"github.com/gofiber/fiber/v2"

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
