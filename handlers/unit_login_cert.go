package handlers

import (
	"crypto/x509"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/metrics"
	"github.com/multicert/multicert/models"
)

// signedLogin is a certificate login as the page posts it.
type signedLogin struct {
	nonce, sig, cert []byte
	chain            [][]byte
	algorithm        string
}

func parseSignedLogin(c *fiber.Ctx) (*signedLogin, error) {
	bad := apperr.New(apperr.Invalid, "憑證元件送出的資料不完整，請重新整理頁面後再試。")
	dec := func(v string) ([]byte, error) { return base64.StdEncoding.DecodeString(strings.TrimSpace(v)) }
	var in signedLogin
	var err error
	if in.nonce, err = dec(c.FormValue("nonce")); err != nil || len(in.nonce) == 0 {
		return nil, bad
	}
	if in.sig, err = dec(c.FormValue("signature")); err != nil || len(in.sig) == 0 {
		return nil, bad
	}
	if in.cert, err = dec(c.FormValue("certificate")); err != nil || len(in.cert) == 0 {
		return nil, bad
	}
	if ch := strings.TrimSpace(c.FormValue("chain")); ch != "" {
		for _, part := range strings.Split(ch, ",") {
			der, err := dec(part)
			if err != nil {
				return nil, bad
			}
			in.chain = append(in.chain, der)
		}
	}
	in.algorithm = strings.Clone(c.FormValue("algorithm"))
	return &in, nil
}

// verify checks a signed login with v and returns what the store needs.
func (s *Server) verify(c *fiber.Ctx, v *certlogin.Verifier, in *signedLogin) (models.CertLogin, *x509.Certificate) {
	p := principal(c)
	cert, verr := v.Verify(c.UserContext(), certlogin.Input{CertDER: in.cert, Chain: in.chain, Origin: s.Cards.Origin, Nonce: in.nonce,
		Signature: in.sig, Algorithm: in.algorithm})
	cl := models.CertLogin{Session: p.Session, Nonce: in.nonce, VerifyErr: verr, IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent())}
	if cert == nil {
		cert, _ = x509.ParseCertificate(in.cert) // for the audit trail only
	}
	if cert != nil {
		cl.Issuer, cl.Serial = certlogin.IssuerSerial(cert)
		cl.BAN, _ = certlogin.BANFromCert(cert)
	}
	return cl, cert
}

// createCertSession logs a unit (工商憑證) or a clerk (自然人憑證) in.
func (s *Server) createCertSession(c *fiber.Ctx) error {
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	in, err := parseSignedLogin(c)
	if err != nil {
		return err
	}
	asUnit := c.FormValue("as_unit") == "1"
	var token string
	if asUnit {
		cl, _ := s.verify(c, s.Cards.Business, in)
		token, _, err = s.Store.UnitCertLogin(c.UserContext(), cl)
		s.countLogin(metrics.LoginUnitCertificate, err)
	} else {
		cl, _ := s.verify(c, s.Cards.Citizen, in)
		var unit *models.Unit
		token, unit, err = s.Store.ClerkCertLogin(c.UserContext(), cl, strings.TrimSpace(c.FormValue("unit_code")))
		s.countLogin(metrics.LoginClerkCertificate, err)
		if err == nil && unit == nil {
			s.setSessionCookie(c, token)
			return c.JSON(fiber.Map{"redirect": chooseUnitURL(c)})
		}
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.JSON(fiber.Map{"redirect": afterLogin(c)})
}
