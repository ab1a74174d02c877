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

func (s *Server) input(in *signedLogin) certlogin.Input {
	return certlogin.Input{CertDER: in.cert, Chain: in.chain, Origin: s.Cards.Origin, Nonce: in.nonce,
		Signature: in.sig, Algorithm: in.algorithm}
}

// certLogin is what the store needs of a checked login.
func (s *Server) certLogin(c *fiber.Ctx, in *signedLogin, cert *x509.Certificate, verr error) (models.CertLogin, *x509.Certificate) {
	cl := models.CertLogin{Session: principal(c).Session, Nonce: in.nonce, VerifyErr: verr, IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent())}
	if cert == nil {
		cert, _ = x509.ParseCertificate(in.cert) // for the audit trail only
	}
	if cert != nil {
		cl.Issuer, cl.Serial = certlogin.IssuerSerial(cert)
	}
	return cl, cert
}

// verifyCitizen checks a clerk's signed login with the 自然人憑證 verifier.
func (s *Server) verifyCitizen(c *fiber.Ctx, in *signedLogin) models.CertLogin {
	cert, verr := s.Cards.Citizen.Verify(c.UserContext(), s.input(in))
	cl, _ := s.certLogin(c, in, cert, verr)
	return cl
}

// verifyUnit checks a unit's signed login with the verifiers of the unit
// certificate kinds: the kind is the one whose CAs the certificate chains
// to, and the identifier is read from that kind's field only, so that a
// card of one kind is never matched by another kind's identifier.
func (s *Server) verifyUnit(c *fiber.Ctx, in *signedLogin) (models.CertLogin, *x509.Certificate) {
	kind, cert, verr := s.Cards.Units.Verify(c.UserContext(), s.input(in))
	cl, parsed := s.certLogin(c, in, cert, verr)
	if verr == nil {
		cl.Kind = kind
		id, err := certlogin.UnitID(kind, cert)
		if err != nil {
			cl.VerifyErr = err
		}
		cl.UnitID = id
	}
	return cl, parsed
}

// createCertSession logs a unit (with its unit certificate: 工商憑證,
// 政府憑證, 組織及團體憑證 or 醫事憑證) or a clerk (自然人憑證) in.
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
		cl, _ := s.verifyUnit(c, in)
		token, _, err = s.Store.UnitCertLogin(c.UserContext(), cl)
		s.countLogin(metrics.LoginUnitCertificate, err)
	} else {
		cl := s.verifyCitizen(c, in)
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
