package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// StaffAccountsView is the model of 署內人員帳號管理.
type StaffAccountsView struct {
	Page
	Staff    []models.Staff
	Branches []models.Branch
	Roles    []string
	Form     models.StaffInput
	Errors   map[string]string
}

func (s *Server) staffAccountsView(c *fiber.Ctx) (StaffAccountsView, error) {
	ctx := c.UserContext()
	sts, err := models.ListStaff(ctx, s.Store.R())
	if err != nil {
		return StaffAccountsView{}, err
	}
	return StaffAccountsView{Page: s.page(c, "署內人員帳號管理", "staff"), Staff: sts, Branches: models.BureauBranches,
		Roles: models.StaffRoles, Form: models.StaffInput{Role: models.RoleStaff}}, nil
}

// showStaffAccounts lists the staff accounts with the form to add one.
func (s *Server) showStaffAccounts(c *fiber.Ctx) error {
	vm, err := s.staffAccountsView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "staff_accounts", vm)
}
