package handlers

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/metrics"
)

// DefaultMetricsNetworks may read /metrics when Deps.MetricsNetworks is empty.
var DefaultMetricsNetworks = []string{"127.0.0.1/32", "::1/128"}

// routeKey is the Locals key of the matched route's template.
const routeKey = "route"

// markRoute runs first on every route of the table and notes its template,
// the only path the metrics may name.
func markRoute(c *fiber.Ctx) error {
	c.Locals(routeKey, c.Route().Path)
	return c.Next()
}

// observe counts every request by route template and status class, and
// writes the access log line. It sits outside catchErrors, so the status
// is the one the client got.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	done := s.Metrics.Begin()
	defer done()
	err := c.Next()
	route, _ := c.Locals(routeKey).(string)
	if route == "" {
		route = metrics.Unrouted
	}
	status := c.Response().StatusCode()
	took := time.Since(start)
	s.Metrics.Request(methodLabel(c.Method()), route, status, took)
	if s.Log.Enabled(c.UserContext(), slog.LevelDebug) {
		s.log(c).Debug("request", "method", c.Method(), "path", c.Path(), "route", route, "status", status,
			"took", took.Round(time.Microsecond), "ip", c.IP())
	}
	return err
}

// methodLabel returns the method as one of Fiber's constants: c.Method()
// points into a buffer the next request reuses, and a label value outlives
// the request; any other method is "other", so a client cannot add series.
func methodLabel(m string) string {
	for _, k := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace} {
		if m == k {
			return k
		}
	}
	return "other"
}

// showMetrics serves the Prometheus metrics to the configured networks;
// anyone else is told there is no such page.
func (s *Server) showMetrics(c *fiber.Ctx) error {
	if !s.metricsAllowed(c) {
		return apperr.New(apperr.NotFound, "找不到這個頁面。")
	}
	return s.metricsHandler(c)
}

// metricsAllowed reports whether the client is in a metrics network. The
// client is c.IP(): the peer, or the address a trusted proxy forwarded. A
// forwarding header from a peer that is not a trusted proxy means a proxy
// nobody configured stands in between, whose peer address (often
// 127.0.0.1) proves nothing: refused.
func (s *Server) metricsAllowed(c *fiber.Ctx) bool {
	if !c.IsProxyTrusted() {
		for _, h := range []string{fiber.HeaderXForwardedFor, fiber.HeaderForwarded, "X-Real-Ip"} {
			if c.Get(h) != "" {
				return false
			}
		}
	}
	a, err := netip.ParseAddr(c.IP())
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.metricsNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// countLogin records the outcome of a login attempt from the error of the
// models call that checked it.
func (s *Server) countLogin(kind string, err error) {
	outcome := metrics.LoginSuccess
	if err != nil {
		outcome = metrics.LoginError
		if e, ok := apperr.As(err); ok {
			switch e.Code {
			case apperr.Locked:
				outcome = metrics.LoginLocked
			case apperr.Unauthorized, apperr.Forbidden, apperr.Invalid, apperr.NotFound:
				outcome = metrics.LoginFailure
			}
		}
	}
	s.Metrics.Login(kind, outcome)
}

// initMetrics sets up the metrics and the networks that may read them.
func (s *Server) initMetrics() error {
	nets := s.MetricsNetworks
	if len(nets) == 0 {
		nets = DefaultMetricsNetworks
	}
	var err error
	if s.metricsNets, err = parsePrefixes("metrics network", nets); err != nil {
		return err
	}
	if s.Metrics == nil {
		s.Metrics = metrics.New(s.Store.DB, s.Log)
	}
	s.metricsHandler = adaptor.HTTPHandler(s.Metrics.Handler())
	return nil
}
