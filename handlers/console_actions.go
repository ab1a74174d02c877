package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// The console's decisions: close or reopen a unit (Q5), deregister its
// account (Q4, four eyes), review changes with proof (Q9.1).

// setUnitStatus closes or reopens a unit, effective at once.
func (s *Server) setUnitStatus(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	err = s.Store.SetUnitStatus(c.UserContext(), p.Actor(c), p.Scope(), id, status, c.FormValue("code"), c.FormValue("comment"))
	if err != nil {
		return err
	}
	msg := "單位已暫時關閉，單位的連線已結束；單位登入時會看到「請洽詢承辦人」。"
	if status == models.UnitActive {
		msg = "單位已恢復正常，立即生效：單位現在就可以登入。"
	}
	s.flash(c, msg)
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}

// requestDeregistration asks a supervisor to deregister the unit's account.
func (s *Server) requestDeregistration(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Store.RequestDeregistration(c.UserContext(), p.Actor(c), p.Scope(), id, c.FormValue("reason")); err != nil {
		return err
	}
	s.flash(c, "已送出註銷申請，待另一位主管核准後生效。")
	return redirect(c, "/console/units/"+strconv.FormatInt(id, 10))
}

// ApprovalsView is the model of the supervisors' pending approvals.
type ApprovalsView struct {
	Page
	Pending   []models.Deregistration
	CanDecide bool
}

// showApprovals lists the deregistrations waiting for a supervisor.
func (s *Server) showApprovals(c *fiber.Ctx) error {
	p := principal(c)
	ds, err := models.DeregistrationsOf(c.UserContext(), s.Store.DB, p.Scope(), true, 0)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "console_approvals", ApprovalsView{Page: s.page(c, "待核准案件", "approvals"), Pending: ds,
		CanDecide: s.may(c, "deregistration", "decide")})
}

// decideDeregistration approves or rejects a deregistration (four eyes).
func (s *Server) decideDeregistration(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "gid")
	if err != nil {
		return err
	}
	approve := c.FormValue("decision") == "approve"
	if err := s.Store.DecideDeregistration(c.UserContext(), p.Actor(c), p.Scope(), id, approve, c.FormValue("note")); err != nil {
		return err
	}
	if approve {
		s.flash(c, "已核准註銷：帳號已註銷、承辦人已解除、單位連線已結束，單位可重新註冊。")
	} else {
		s.flash(c, "已駁回註銷申請。")
	}
	return redirect(c, "/console/approvals")
}

// ReviewsView is the model of the change review queue.
type ReviewsView struct {
	Page
	Items []models.ReviewItem
}

// showReviews lists the branch's pending change requests, oldest first.
func (s *Server) showReviews(c *fiber.Ctx) error {
	p := principal(c)
	items, err := models.ReviewQueue(c.UserContext(), s.Store.DB, p.Scope(), 200)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "console_reviews", ReviewsView{Page: s.page(c, "基本資料變更審核", "reviews"), Items: items})
}

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
	r, err := models.ChangeRequestOf(c.UserContext(), s.Store.DB, p.Scope(), id)
	if err != nil {
		return ReviewView{}, err
	}
	u, err := models.UnitByID(c.UserContext(), s.Store.DB, p.Scope(), r.UnitID)
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
	return s.render(c, fiber.StatusOK, "console_review", vm)
}

// decideReview approves or rejects, under optimistic locking: the form
// carries the version the reviewer saw.
func (s *Server) decideReview(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "rid")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	approve := c.FormValue("decision") == "approve"
	err = s.Store.DecideChangeRequest(c.UserContext(), p.Actor(c), p.Scope(), id, version, approve, c.FormValue("reason"))
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || (e.Code != apperr.Conflict && e.Code != apperr.Invalid) {
			return err
		}
		vm, verr := s.reviewView(c)
		if verr != nil {
			return verr
		}
		vm.Error = e.Message
		status := fiber.StatusUnprocessableEntity
		if e.Code == apperr.Conflict {
			status = fiber.StatusConflict
		}
		return s.render(c, status, "console_review", vm)
	}
	if approve {
		s.flash(c, "已審核通過；生效日已到者已更新單位資料，未到者將於生效日自動更新。")
	} else {
		s.flash(c, "已駁回，單位會看到您填寫的理由。")
	}
	return redirect(c, "/console/reviews")
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
	d, err := models.DocumentOf(c.UserContext(), s.Store.DB, p.Scope(), id)
	if err != nil {
		return err
	}
	return sendDocument(c, d)
}
