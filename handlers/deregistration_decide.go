package handlers

import "github.com/gofiber/fiber/v2"

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
