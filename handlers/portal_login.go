package handlers

import (
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/metrics"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// CardAuth is what certificate and NHI-card logins need.
type CardAuth struct {
	Business *certlogin.Verifier // trusts the CAs of units' 工商憑證
	Citizen  *certlogin.Verifier // trusts the CAs of clerks' 自然人憑證
	// Origin is this server's origin as browsers see it; every signature
	// must be over it (the agent binds the page's origin).
	Origin string
	Agent  AgentInfo
}

// UnitLoginView is the model of the portal's login page, the front door
// (/ shows it too): the card login, the 公告欄's banner and the branches'
// phone numbers, as on the seed's first screen.
type UnitLoginView struct {
	Page
	Banner   *models.Announcement // the newest important current announcement
	Branches []models.Branch
	Next     string // where to go after the login: a local path, or ""
}

// localNext keeps a ?next= that is a path on this site: it starts with
// one "/" (not "//" nor "/\", which browsers read as another host), holds
// no control character and is not a login page; anything else is dropped,
// so that the login page cannot send people to another site.
func localNext(next string) string {
	if len(next) > 1000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.Contains(next, `\`) || strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/console/login") {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

// afterLogin is where a unit's login goes: the local ?next= it came with,
// else the portal's home.
func afterLogin(c *fiber.Ctx) string {
	if next := localNext(c.FormValue("next")); next != "" {
		return strings.Clone(next)
	}
	return "/portal"
}

// chooseUnitURL is where a login that matched several units goes: the
// choice of the unit, keeping the local ?next= for after it.
func chooseUnitURL(c *fiber.Ctx) string {
	if next := afterLogin(c); next != "/portal" {
		return "/login/units?next=" + url.QueryEscape(next)
	}
	return "/login/units"
}

func (s *Server) agentPage(c *fiber.Ctx, title, nav string) Page {
	pg := s.page(c, title, nav)
	a := s.Cards.Agent
	pg.Agent = &a
	return pg
}

// showUnitLogin shows the login page of units and clerks (Q1's first screen).
func (s *Server) showUnitLogin(c *fiber.Ctx) error {
	next := localNext(c.Query("next"))
	if principal(c).IsUnit() {
		if next == "" {
			next = "/portal"
		}
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	if err := s.ensureSession(c); err != nil {
		return err
	}
	vm := UnitLoginView{Page: s.agentPage(c, "登入", "login"), Branches: models.BureauBranches, Next: next}
	b, err := models.Banner(c.UserContext(), s.Store.R(), s.Store.Now(), "")
	if err != nil {
		return err
	}
	vm.Banner = b
	return s.render(c, fiber.StatusOK, "unit_login", vm)
}

var noncePurposes = map[string]bool{
	models.PurposeUnitLogin: true, models.PurposeClerkLogin: true, models.PurposeRegister: true,
}

// createLoginNonce issues the challenge the card signs.
func (s *Server) createLoginNonce(c *fiber.Ctx) error {
	p := principal(c)
	purpose := c.FormValue("purpose")
	if !noncePurposes[purpose] {
		return apperr.New(apperr.Invalid, "不明的登入方式，請重新整理頁面後再試。")
	}
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	nonce, err := s.Store.NewNonce(c.UserContext(), p.Session, purpose)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"nonce": base64.StdEncoding.EncodeToString(nonce)})
}

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

// nhiCard reads the card data the page got from the agent.
func nhiCard(c *fiber.Ctx) (models.NHICard, error) {
	card := models.NHICard{
		CardNo: strings.TrimSpace(c.FormValue("card_no")),
		Name:   strings.TrimSpace(c.FormValue("card_name")),
		IDNo:   twid.Normalize(c.FormValue("card_id_no")),
	}
	if len(card.CardNo) != 12 || card.IDNo == "" {
		return card, apperr.New(apperr.Invalid, "讀不到健保卡資料，請確認讀卡機中是健保卡後再試。")
	}
	return card, nil
}

// createNHISession logs in with an NHI card and a password: the unit's
// responsible person (as_unit, with the unit code) or a clerk.
func (s *Server) createNHISession(c *fiber.Ctx) error {
	p := principal(c)
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	card, err := nhiCard(c)
	if err != nil {
		return err
	}
	in := models.NHILogin{Session: p.Session, UnitCode: strings.TrimSpace(c.FormValue("unit_code")), CardNo: card.CardNo, IDNo: card.IDNo,
		Password: c.FormValue("password"), IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent())}
	if in.Password == "" {
		return apperr.New(apperr.Invalid, "請輸入健保卡網路服務註冊的密碼。")
	}
	var token string
	if c.FormValue("as_unit") == "1" {
		if in.UnitCode == "" {
			return apperr.New(apperr.Invalid, "以負責人健保卡登入時，請輸入投保單位代號。")
		}
		token, _, err = s.Store.UnitNHILogin(c.UserContext(), in)
		s.countLogin(metrics.LoginUnitNHI, err)
	} else {
		var unit *models.Unit
		token, unit, err = s.Store.ClerkNHILogin(c.UserContext(), in)
		s.countLogin(metrics.LoginClerkNHI, err)
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
