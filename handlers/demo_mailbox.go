package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// 示範信箱: in demo mode the mail the system sends (驗證碼, 開通碼, notices)
// is shown here, because a demo has no mail server. Outside demo mode the
// page does not exist.

// MailboxView is the model of the demo's mailbox.
type MailboxView struct {
	Page
	Mails []models.Mail
}

func (s *Server) showDemoMailbox(c *fiber.Ctx) error {
	ms, err := models.RecentMail(c.UserContext(), s.Store.R(), 30)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "demo_mailbox", MailboxView{Page: s.page(c, "示範信箱", "mailbox"), Mails: ms})
}
