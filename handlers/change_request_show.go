package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/upload"
	"github.com/multicert/multicert/models"
)

// RequestView is the model of one request with its timeline.
type RequestView struct {
	Page
	Request   *models.ChangeRequest
	OldName   string
	OldReg    models.Address
	Effective string
	CanCancel bool
}

// showRequest shows one request: before and after, documents, timeline.
func (s *Server) showRequest(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "rid")
	if err != nil {
		return err
	}
	r, err := models.ChangeRequestByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	safeNames(r)
	vm := RequestView{Page: s.page(c, "申請案件 "+strconv.FormatInt(r.ID, 10), "requests"), Request: r,
		Effective: rocdate.Format(r.Effective()), CanCancel: r.Status == models.RequestPending && s.may(c, "change_request", "cancel")}
	vm.OldName, vm.OldReg = r.Before()
	return s.render(c, fiber.StatusOK, "change_request_show", vm)
}

// safeNames strips controls from the documents' names for display again:
// names stored before uploads were checked for them may still hold
// right-to-left overrides.
func safeNames(r *models.ChangeRequest) {
	for i := range r.Documents {
		r.Documents[i].FileName = upload.DisplayName(r.Documents[i].FileName)
	}
}
