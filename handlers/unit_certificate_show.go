package handlers

import (
	"crypto/x509"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/models"
)

// CertificateView is the model of 單位憑證變更作業 (Q3).
type CertificateView struct {
	Page
	Unit    *models.Unit
	Account *models.UnitAccount
	New     *x509.Certificate // the certificate read, shown before saving
	NewKind certlogin.Kind    // its kind, told by the CA it chains to
	NewID   string            // the identifier it carries for that kind
	NewDER  string
	Error   string
}

func (s *Server) certificateView(c *fiber.Ctx) (CertificateView, error) {
	p := principal(c)
	ctx := c.UserContext()
	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return CertificateView{}, err
	}
	a, err := models.ActiveAccount(ctx, s.Store.R(), principal(c).Scope(), u.ID)
	if err != nil {
		return CertificateView{}, err
	}
	return CertificateView{Page: s.agentPage(c, "單位憑證變更作業", "certificate"), Unit: u, Account: a}, nil
}

// showCertificate shows the registered certificate and the way to replace it.
func (s *Server) showCertificate(c *fiber.Ctx) error {
	vm, err := s.certificateView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_certificate", vm)
}
