package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// extendSession is the 「繼續使用」 of the time-out warning: it records
// activity now, so the session has its whole idle limit again, and
// answers how long that is. The warning's script posts it with the CSRF
// header; a session already ended answers 401 like any other request.
func (s *Server) extendSession(c *fiber.Ctx) error {
	p := principal(c)
	if p.Session == nil || !p.LoggedIn() {
		return apperr.New(apperr.Unauthorized, "登入已逾時，請重新登入。")
	}
	if err := s.Store.TouchSession(c.UserContext(), p.Session); err != nil {
		return err
	}
	setSessionLeft(c, s.sessionLeft(p))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStatus(fiber.StatusNoContent)
}

// sessionLeft is how many whole seconds the user's session lasts without
// another request, 0 without a login.
func (s *Server) sessionLeft(p *Principal) int {
	if p.Session == nil || !p.LoggedIn() {
		return 0
	}
	return int(s.Store.SessionLeft(p.Session).Seconds())
}

// setSessionLeft tells the page's time-out warning (static/app.js) when the
// session ends, on every answer to a logged-in request: a request the page
// sends by itself (pollPaths) does not move it.
func setSessionLeft(c *fiber.Ctx, left int) {
	c.Set("X-Session-Left", strconv.Itoa(left))
}
