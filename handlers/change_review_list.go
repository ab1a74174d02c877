package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// ReviewsView is the model of the change review queue.
type ReviewsView struct {
	Page
	Items []models.ReviewItem
}

// showReviews lists the branch's pending change requests, oldest first.
func (s *Server) showReviews(c *fiber.Ctx) error {
	p := principal(c)
	items, err := models.ReviewQueue(c.UserContext(), s.Store.R(), p.Scope(), 200)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "change_review_list", ReviewsView{Page: s.page(c, "基本資料變更審核", "reviews"), Items: items})
}
