package handlers

import (
	"crypto/rand"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// HeaderRequestID carries the request ID, in the answer always and, from a
// trusted proxy, in the request.
const HeaderRequestID = "X-Request-ID"

// requestIDKey is the Locals key of the request ID.
const requestIDKey = "request_id"

// requestIDAlphabet is Crockford's base 32: no I, L, O or U, so that an ID
// read out on the phone is not misheard or mistyped.
const requestIDAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newRequestID returns a random ID of 10 characters in two groups
// ("7KQ2M-X9TPA", 50 bits): short enough to read out, and unique enough
// that, with the time of the call, it finds one log line.
func newRequestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, requestIDAlphabet[x&31])
	}
	return string(out)
}

// saneRequestID accepts a proxy's request ID of up to 64 letters, digits,
// dots, dashes and underscores: nothing that could break a log line or a page.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// assignRequestID gives every request an ID: a trusted proxy's X-Request-ID
// when it is sane, or a new one. The answer carries it in X-Request-ID,
// every log line of the request (s.log) names it, and error pages show it
// so that a caller can quote it.
func (s *Server) assignRequestID(c *fiber.Ctx) error {
	id := ""
	if len(s.proxies) > 0 && c.IsProxyTrusted() {
		if v := c.Get(HeaderRequestID); saneRequestID(v) {
			id = strings.Clone(v) // c.Get's string dies with the request
		}
	}
	if id == "" {
		id = newRequestID()
	}
	c.Locals(requestIDKey, id)
	c.Set(HeaderRequestID, id)
	return c.Next()
}

// requestID returns the request's ID; a request that did not pass the
// middleware (an error the server raised before routing) gets one now.
func requestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(requestIDKey).(string); ok {
		return id
	}
	id := newRequestID()
	c.Locals(requestIDKey, id)
	c.Set(HeaderRequestID, id)
	return id
}

// log is the logger of a request: every line names its request ID.
func (s *Server) log(c *fiber.Ctx) *slog.Logger {
	return s.Log.With("request_id", requestID(c))
}
