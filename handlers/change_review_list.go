package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// ReviewsView is the model of the change review queue.
type ReviewsView struct {
	Page
	Items []models.ReviewItem
	Queue QueuePage
}

// showReviews lists the branch's pending change requests, oldest first, a
// page at a time.
func (s *Server) showReviews(c *fiber.Ctx) error {
	p := principal(c)
	q := queuePage(c, "/console/reviews")
	items, total, err := models.ReviewQueue(c.UserContext(), s.Store.R(), p.Scope(), q.PageNo)
	if err != nil {
		return err
	}
	if q.counted(total); len(items) == 0 && total > 0 { // a page past the end: the last one
		if items, _, err = models.ReviewQueue(c.UserContext(), s.Store.R(), p.Scope(), q.PageNo); err != nil {
			return err
		}
	}
	return s.render(c, fiber.StatusOK, "change_review_list", ReviewsView{Page: s.page(c, "基本資料變更審核", "reviews"), Items: items, Queue: q})
}
