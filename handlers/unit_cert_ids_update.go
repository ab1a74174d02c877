package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// updateUnitCertIDs records the identifiers the unit's 政府憑證, 組織及團體憑證
// or 醫事憑證 carries, so that the unit may register and log in with it.
func (s *Server) updateUnitCertIDs(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ids := models.UnitCertIDs{AgencyCode: c.FormValue("agency_code"), OrgCode: c.FormValue("org_code"), MedicalCode: c.FormValue("medical_code")}
	if err := s.Store.SetUnitCertIDs(c.UserContext(), p.Actor(c), p.Scope(), id, ids); err != nil {
		return err
	}
	s.flash(c, "單位憑證識別碼已儲存：單位現在可以用帶有這些識別碼的政府憑證、組織及團體憑證或醫事憑證註冊及登入。")
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}
