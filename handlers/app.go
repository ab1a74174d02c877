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
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"

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
	// Cards configures the card logins: certificate verifiers, the origin
	// bound into signatures, and where the card agent is.
	Cards CardAuth
	// Downloads is the directory of card agent installers for 環境說明.
	Downloads string
	// Jobs runs background work on demand (nil in tests without it).
	Jobs interface {
		RunNightlyNow(ctx context.Context, on time.Time) error
	}
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	routes []Route
	csp    string
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
	app := fiber.New(fiber.Config{
		AppName:               "multicert",
		Views:                 engine,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		BodyLimit:             22 << 20, // two proof documents of 10 MB and the form
	})
	app.Use(s.recoverPanic, s.securityHeaders, s.loadSession, s.checkCSRF)
	s.routes = s.routeTable()
	for _, r := range s.routes {
		app.Add(r.Method, r.Path, d.Enforcer.Middleware(r.Guard, principalRoles), r.Handler)
	}
	app.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "找不到這個頁面。")
	})
	return app, s, nil
}

// Routes returns the route table, for tests and documentation.
func (s *Server) Routes() []Route { return s.routes }

// staticFS is the embedded static directory.
var staticFS fs.FS = static.FS
