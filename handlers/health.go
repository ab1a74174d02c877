package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// healthz says the process is up.
func (s *Server) healthz(c *fiber.Ctx) error { return c.SendString("ok") }

// readyz says the database answers and its schema is current.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable")
	}
	if err := models.CheckSchema(ctx, s.Store.DB); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).SendString("database schema not current")
	}
	return c.SendString("ready")
}
