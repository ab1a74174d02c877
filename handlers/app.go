// Package handlers is the HTTP layer of multicert: the Fiber app, its
// middleware (sessions, CSRF, security headers, authorization) and one small
// handler per page or action. Handlers parse, authorize, call one models
// function and render a view; they hold no SQL.
package handlers

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"
	"github.com/valyala/fasthttp"

	"github.com/multicert/multicert/internal/metrics"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/policy"
	"github.com/multicert/multicert/static"
	"github.com/multicert/multicert/views"
)

// Deps is what the HTTP layer needs from the rest of the program.
type Deps struct {
	Store    *models.Store
	Enforcer *policy.Enforcer
	Log      *slog.Logger
	Version  string
	// SecureCookies forces Secure cookies with the __Host- prefix even when
	// the server itself speaks plain HTTP behind a TLS-terminating proxy.
	SecureCookies bool
	// TrustedProxies are the addresses or CIDRs of the reverse proxies
	// whose X-Forwarded-For and X-Forwarded-Proto are believed; from any
	// other peer those headers are ignored.
	TrustedProxies []string
	// Metrics records what /metrics serves; nil: a new set on the store's
	// database.
	Metrics *metrics.Metrics
	// MetricsNetworks are the addresses or CIDRs that may read /metrics;
	// everyone else gets 404. Empty: DefaultMetricsNetworks (loopback).
	MetricsNetworks []string
	// Cards configures the card logins: certificate verifiers, the origin
	// bound into signatures, and where the card agent is.
	Cards CardAuth
	// Demo shows demo-only pages (示範信箱).
	Demo bool
	// Downloads is the directory of card agent installers for 環境說明.
	Downloads string
	// Jobs runs background work on demand (nil in tests without it).
	Jobs interface {
		RunNightlyNow(ctx context.Context, on time.Time) error
	}
	// Readiness tells /readyz about shutdown and the job client (nil: no drain, no jobs check).
	Readiness *Readiness
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	routes  []Route
	public  map[string]bool // "METHOD /path" of anonymous state-changing routes
	proxies []netip.Prefix  // TrustedProxies, parsed
	csp     string

	metricsNets    []netip.Prefix // MetricsNetworks, parsed
	metricsHandler fiber.Handler
}

// New builds the Fiber app with every route and middleware.
func New(d Deps) (*fiber.App, *Server, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	engine := html.NewFileSystem(http.FS(views.FS), ".html")
	engine.AddFuncMap(funcs)
	if err := engine.Load(); err != nil {
		return nil, nil, fmt.Errorf("handlers: templates: %w", err)
	}
	s := &Server{Deps: d, csp: contentSecurityPolicy(d.Cards.Agent.URL)}
	proxies, err := parseProxies(d.TrustedProxies)
	if err != nil {
		return nil, nil, err
	}
	s.proxies = proxies
	if err := s.initMetrics(); err != nil {
		return nil, nil, err
	}
	app := fiber.New(fiber.Config{
		AppName:               "multicert",
		Views:                 engine,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		BodyLimit:             maxUploadBody, // limitBody holds each route to its own limit
		// X-Forwarded-* are believed only from the trusted proxies (none by
		// default): c.IP() is then the client, c.Protocol() the proxy's scheme.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.TrustedProxies,
		ProxyHeader:             fiber.HeaderXForwardedFor,
		EnableIPValidation:      true,
	})
	// The request ID first, so that every log line has it; metrics, the
	// access log and compression see the answer catchErrors made of an error.
	app.Use(s.assignRequestID, s.observe, compress, s.catchErrors,
		s.recoverPanic, s.forwardedClient, s.securityHeaders, s.loadSession, s.limitBody, s.checkCSRF, s.requirePasswordChange)
	s.routes = s.routeTable()
	s.public = s.publicPosts()
	for _, r := range s.routes {
		app.Add(r.Method, r.Path, markRoute, d.Enforcer.Middleware(r.Guard, principalRoles), r.Handler)
	}
	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "找不到這個頁面。")
	})
	// Fiber lists its mounted apps at the first Render, unguarded: a data
	// race when the first pages of a new server render in parallel. Render
	// once now.
	warm := app.AcquireCtx(&fasthttp.RequestCtx{})
	_ = warm.Render("error_alert", ErrorView{})
	app.ReleaseCtx(warm)
	return app, s, nil
}

// Routes returns the route table, for tests and documentation.
func (s *Server) Routes() []Route { return s.routes }

// staticFS is the embedded static directory.
var staticFS fs.FS = static.FS
