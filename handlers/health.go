package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// Readiness is what /readyz knows besides the database: whether the
// instance is shutting down, and whether its job client runs.
type Readiness struct {
	draining atomic.Bool
	// Jobs reports why the job client does not run, or nil; nil on an
	// instance that runs no jobs (--role web), which then has no jobs check.
	Jobs func() error
}

// Drain makes /readyz answer 503 from now on, so that a load balancer
// stops sending requests before the server stops taking them.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Draining reports whether Drain was called.
func (r *Readiness) Draining() bool { return r != nil && r.draining.Load() }

// Timeouts of the checks of /readyz: a load balancer polls it every few
// seconds and wants an answer before its own timeout.
const (
	pingTimeout   = time.Second
	schemaTimeout = time.Second
)

// readyReport is the answer of /readyz: every check is "ok" or says what
// is wrong; failing names the checks that are not ok.
type readyReport struct {
	Status  string            `json:"status"` // ready or unavailable
	Failing []string          `json:"failing,omitempty"`
	Checks  map[string]string `json:"checks"`
}

// healthz says the process is up. It touches nothing else, so that a slow
// database does not get the process restarted.
func (s *Server) healthz(c *fiber.Ctx) error { return c.SendString("ok") }

// readyz says whether the instance should get requests: it is not shutting
// down, the database answers, every known migration is applied and, where
// jobs run, the job client runs. It answers 503 with the failing checks named.
func (s *Server) readyz(c *fiber.Ctx) error {
	rep := readyReport{Checks: map[string]string{}}
	check := func(name string, err error) {
		if err == nil {
			rep.Checks[name] = "ok"
			return
		}
		rep.Checks[name] = err.Error()
		rep.Failing = append(rep.Failing, name)
	}
	if s.Readiness.Draining() {
		// At once, without the database: the drain has begun.
		check("shutdown", fmt.Errorf("draining"))
	} else {
		check("shutdown", nil)
		ctx := c.UserContext()
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err := s.Store.Ping(pctx)
		cancel()
		check("database", err)
		if err == nil {
			sctx, cancel := context.WithTimeout(ctx, schemaTimeout)
			check("schema", pendingMigrations(sctx, s.Store))
			cancel()
		}
		if s.Readiness != nil && s.Readiness.Jobs != nil {
			check("jobs", s.Readiness.Jobs())
		}
	}
	status := fiber.StatusOK
	rep.Status = "ready"
	if len(rep.Failing) > 0 {
		status, rep.Status = fiber.StatusServiceUnavailable, "unavailable"
		if !s.Readiness.Draining() { // the drain is logged once, by serve
			s.Log.Warn("not ready", "failing", strings.Join(rep.Failing, ","), "checks", rep.Checks)
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(rep)
}

// pendingMigrations names the known migrations the database lacks.
func pendingMigrations(ctx context.Context, store *models.Store) error {
	st, err := models.MigrationStatuses(ctx, store.DB)
	if err != nil {
		return err
	}
	var pending []string
	for _, m := range st {
		if m.AppliedAt == nil {
			pending = append(pending, fmt.Sprintf("%d %s", m.Version, m.Name))
		}
	}
	if len(pending) == 0 {
		return nil
	}
	n := len(pending)
	if n > 3 {
		pending = append(pending[:3], "…")
	}
	return fmt.Errorf("%d migration(s) not applied (run `multicert migrate up`): %s", n, strings.Join(pending, ", "))
}

// NewHealthApp is the HTTP server of a worker instance (--role worker):
// /healthz, /readyz and, for the metrics networks, /metrics (the jobs'
// figures are the worker's), so that an orchestrator can watch it while
// no page is served from it.
func NewHealthApp(d Deps) (*fiber.App, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Server{Deps: d}
	if err := s.initMetrics(); err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{AppName: "multicert worker", DisableStartupMessage: true,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		EnableTrustedProxyCheck: true, TrustedProxies: d.TrustedProxies, ProxyHeader: fiber.HeaderXForwardedFor})
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", func(c *fiber.Ctx) error {
		if !s.metricsAllowed(c) {
			return c.SendStatus(fiber.StatusNotFound)
		}
		return s.metricsHandler(c)
	})
	app.Use(func(c *fiber.Ctx) error {
		return c.Status(fiber.StatusNotFound).SendString("此伺服器只執行背景作業（--role worker），不提供網頁。")
	})
	return app, nil
}
