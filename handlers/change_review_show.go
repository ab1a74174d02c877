package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// ReviewView is the model of one change request under review.
type ReviewView struct {
	Page
	Request   *models.ChangeRequest
	Unit      *models.Unit
	OldName   string
	OldReg    models.Address
	Effective string
	CanDecide bool
	Error     string
}

func (s *Server) reviewView(c *fiber.Ctx) (ReviewView, error) {
	p := principal(c)
	id, err := paramID(c, "rid")
	if err != nil {
		return ReviewView{}, err
	}
	r, err := models.ChangeRequestByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return ReviewView{}, err
	}
	u, err := models.UnitByID(c.UserContext(), s.Store.R(), p.Scope(), r.UnitID)
	if err != nil {
		return ReviewView{}, err
	}
	safeNames(r)
	vm := ReviewView{Page: s.page(c, "審核申請 "+strconv.FormatInt(r.ID, 10), "reviews"), Request: r, Unit: u,
		Effective: rocdate.Format(r.Effective()), CanDecide: r.Status == models.RequestPending && s.may(c, "change_review", "decide")}
	vm.OldName, vm.OldReg = r.Before()
	return vm, nil
}

// showReview shows a request: before and after side by side, the proof
// documents inline, and the decision form.
func (s *Server) showReview(c *fiber.Ctx) error {
	vm, err := s.reviewView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "change_review_show", vm)
}

// showReviewDocument sends a proof document to the reviewer, as an
// attachment (see sendDocument): the review page draws PDFs from these
// bytes with PDF.js and shows images with <img>.
func (s *Server) showReviewDocument(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "did")
	if err != nil {
		return err
	}
	d, err := models.DocumentByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	return sendDocument(c, d)
}
