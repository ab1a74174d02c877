package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// contentSecurityPolicy allows scripts and styles from this site only: no
// inline script, no eval (htmx is configured with allowEval false), no
// framing. Pages may connect to this site and to the local card agent.
func contentSecurityPolicy(agentURL string) string {
	connect := "'self'"
	if agentURL != "" {
		connect += " " + agentURL
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src " + connect + "; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.secure(c) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if !strings.HasPrefix(c.Path(), "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	return c.Next()
}
