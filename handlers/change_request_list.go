package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// RequestsView is the model of 基本資料變更-需證明文件 (Q9.1): the form and
// the unit's requests.
type RequestsView struct {
	Page
	Unit      *models.Unit
	Requests  []models.ChangeRequest
	Form      models.ChangeRequestInput
	Effective string // as typed, ROC
	Reg       AddressField
	Errors    map[string]string
	Pending   bool
}

func (s *Server) requestsView(c *fiber.Ctx) (RequestsView, error) {
	p := principal(c)
	ctx := c.UserContext()
	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return RequestsView{}, err
	}
	rs, err := models.ChangeRequestsOfUnit(ctx, s.Store.R(), principal(c).Scope(), u.ID)
	if err != nil {
		return RequestsView{}, err
	}
	vm := RequestsView{Page: s.page(c, "基本資料變更-需證明文件", "requests"), Unit: u, Requests: rs,
		Reg: addressField("reg", "變更登記地址", models.Address{}, nil)}
	for _, r := range rs {
		if r.Status == models.RequestPending {
			vm.Pending = true
		}
	}
	return vm, nil
}

// showRequests shows the form and the unit's requests with their timeline.
func (s *Server) showRequests(c *fiber.Ctx) error {
	vm, err := s.requestsView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "change_request_list", vm)
}
