package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// QueuePage is the paging of a console queue (change reviews, approvals):
// models.QueuePageSize items a page, what waits longest first.
type QueuePage struct {
	Base   string // the queue's path
	Total  int    // items waiting in all
	PageNo int    // from 1
	Pages  int
}

// queuePage reads the page asked for (?page=N); anything else is page 1.
func queuePage(c *fiber.Ctx, base string) QueuePage {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 || n > 1_000_000 {
		n = 1
	}
	return QueuePage{Base: base, PageNo: n}
}

// counted sets the total, and the page within the pages there are.
func (q *QueuePage) counted(total int) {
	q.Total = total
	q.Pages = max(1, (total+models.QueuePageSize-1)/models.QueuePageSize)
	q.PageNo = min(q.PageNo, q.Pages)
}

// PageURL is the address of another page of the queue.
func (q QueuePage) PageURL(n int) string { return q.Base + "?page=" + strconv.Itoa(n) }
