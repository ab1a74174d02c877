package handlers

import (
	"errors"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// auditRefusal records a refused request in the audit log: a CSRF refusal
// for anyone, and a logged-in user's 403 or 404 on an object (the policy's
// domain check, a route's owner guard, or a model's NotFound for another
// unit's row). A page that does not exist (Fiber's own 404) is not an
// object and is not recorded. The store bounds the events per session and
// minute; a failure to record is logged, and the user still gets the answer.
func (s *Server) auditRefusal(c *fiber.Ctx, err error, status int, msg string) {
	p := principal(c)
	var action string
	switch {
	case errors.Is(err, errCSRF):
		action = models.ActionCSRFRefused
	case p.LoggedIn() && (apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Forbidden)):
		action = models.ActionAccessDenied
	default:
		return
	}
	r := models.Refusal{Action: action, Route: c.Method() + " " + printable(c.Path()), Status: status, Reason: msg}
	if p.Session != nil {
		r.SessionID = p.Session.ID
	}
	if _, aerr := s.Store.AuditRefusal(c.UserContext(), p.Actor(c), r); aerr != nil {
		s.log(c).Warn("audit refusal", "route", r.Route, "err", aerr)
	}
}

// printable drops what a database text column or a log reader should not
// get from a request path: invalid UTF-8 and control characters.
func printable(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, strings.ToValidUTF8(v, ""))
}

// repeatedSubmit answers a double submit (models.Repeated): not a refusal
// but the first submit's result page, told in words that the second one
// was not taken, 「此申請已送出，請勿重複送出。」, so that whichever answer
// the browser shows leads on. It reports whether it answered.
func (s *Server) repeatedSubmit(c *fiber.Ctx, err error, what string, to func(id int64) string) (bool, error) {
	var rep *models.Repeated
	if !errors.As(err, &rep) {
		return false, nil
	}
	s.flash(c, "此"+what+"已送出，請勿重複送出；以下是已送出的結果。")
	return true, redirect(c, to(rep.ID))
}
