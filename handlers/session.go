package handlers

import (
	"crypto/subtle"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/policy"
)

// Principal is who is making the request, loaded from the session.
type Principal struct {
	Session *models.Session // nil before a login step needs one
	Token   string          // the cookie value, to end the session at logout
	// PreToken is a visitor's pre-login cookie token with no session in
	// the database yet: page views store nothing (preLoginSession does,
	// when a login step needs it).
	PreToken string
	Kind     string // anonymous, staff, unit, clerk
	Role     string
	Domain   string // unit:<code>, branch:<code>, * or ""
	Name     string

	Staff *models.Staff // for staff

	UnitID    int64 // for unit accounts and clerks
	UnitCode  string
	UnitName  string
	ClerkID   int64
	MayManage bool // a clerk who is the unit's manager (單位管理者)
	// Units counts the units a clerk may act for now: with several, the
	// portal's header offers 「切換單位」.
	Units int64
}

// LoggedIn reports whether the request has a logged-in user.
func (p *Principal) LoggedIn() bool { return p.Kind != models.SessionAnonymous }

// IsStaff reports whether the user is bureau staff.
func (p *Principal) IsStaff() bool { return p.Kind == models.SessionStaff }

// IsUnit reports whether the user acts for a unit (its account or a clerk).
func (p *Principal) IsUnit() bool {
	return p.Kind == models.SessionUnit || p.Kind == models.SessionClerk
}

// HeadOffice reports whether a staff member belongs to head office.
func (p *Principal) HeadOffice() bool { return p.IsStaff() && p.Domain == policy.HeadOffice }

// CSRF returns the session's CSRF token, the one derived from a pre-login
// cookie token, or "" without either.
func (p *Principal) CSRF() string {
	switch {
	case p.Session != nil:
		return p.Session.CSRFToken
	case p.PreToken != "":
		return models.PreLoginCSRF(p.PreToken)
	}
	return ""
}

// Scope is the data a staff member may see.
func (p *Principal) Scope() models.Scope {
	switch {
	case p.IsStaff():
		return models.BranchScope(p.Staff.BranchCode)
	case p.IsUnit():
		return models.UnitScope(p.UnitID)
	}
	return models.Scope{}
}

// Actor is the principal as recorded in the audit log.
func (p *Principal) Actor(c *fiber.Ctx) models.Actor {
	a := models.Actor{Kind: p.Kind, Name: p.Name, Role: p.Role, IP: c.IP(), UnitID: p.UnitID}
	switch {
	case p.Staff != nil:
		a.ID = p.Staff.ID
		a.Name = p.Staff.Username
		if p.Staff.BranchCode != nil {
			a.Branch = *p.Staff.BranchCode
		}
	case p.ClerkID != 0:
		a.ID = p.ClerkID
	case p.Session != nil && p.Session.AccountID != nil:
		a.ID = *p.Session.AccountID
	}
	return a
}

// pollPaths are the fragments pages fetch by themselves on a timer.
var pollPaths = map[string]bool{"/console/work": true, "/console/nightly": true}

var anonymous = Principal{Kind: models.SessionAnonymous, Role: policy.Anonymous}

func principal(c *fiber.Ctx) *Principal {
	if p, ok := c.Locals("principal").(*Principal); ok {
		return p
	}
	p := anonymous
	return &p
}

func principalRoles(c *fiber.Ctx) ([]string, string) {
	p := principal(c)
	return p.Roles(), p.Domain
}

// Roles are the user's roles for the policy: the session's role, and
// unit_manager for a clerk the unit made its manager (單位管理者).
func (p *Principal) Roles() []string {
	if p.MayManage {
		return []string{p.Role, models.RoleUnitManager}
	}
	return []string{p.Role}
}

// cookieName is __Host-prefixed on HTTPS, so that no subdomain or plain
// HTTP page can set it.
func (s *Server) cookieName(c *fiber.Ctx) string {
	if s.secure(c) {
		return "__Host-mc_session"
	}
	return "mc_session"
}

func (s *Server) secure(c *fiber.Ctx) bool { return s.SecureCookies || c.Protocol() == "https" }

func (s *Server) setSessionCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{
		Name:     s.cookieName(c),
		Value:    token,
		Path:     "/",
		HTTPOnly: true,
		Secure:   s.secure(c),
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName(c), Value: "", Path: "/", MaxAge: -1, HTTPOnly: true,
		Secure: s.secure(c), SameSite: fiber.CookieSameSiteLaxMode})
}

// loadSession finds the session of the request's cookie and who it belongs
// to. A session whose user was disabled, revoked or deregistered is ended.
// A request that a page sends by itself (pollPaths) does not count as
// activity, so that a page left open still times out.
func (s *Server) loadSession(c *fiber.Ctx) error {
	p := anonymous
	c.Locals("principal", &p)
	if strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/healthz" || c.Path() == "/readyz" {
		return c.Next()
	}
	token := c.Cookies(s.cookieName(c))
	if token == "" {
		return c.Next()
	}
	ctx := c.UserContext()
	lookup := s.Store.WhoByToken
	if c.Method() == fiber.MethodGet && pollPaths[c.Path()] {
		lookup = s.Store.PeekWho
	}
	who, err := lookup(ctx, token)
	if err != nil {
		return err
	}
	if who == nil {
		// An unknown token of the right form is a pre-login token (or an
		// ended session's, which works as one): keep it for the CSRF token.
		if len(token) == 43 {
			p.PreToken = strings.Clone(token)
		} else {
			s.clearSessionCookie(c)
		}
		return c.Next()
	}
	sess := who.Session
	p.Session, p.Token, p.Kind = sess, strings.Clone(token), sess.Kind
	if sess.Kind != models.SessionAnonymous {
		if !loadIdentity(who, &p) {
			if err := models.DeleteSession(ctx, s.Store.DB, token); err != nil {
				return err
			}
			s.clearSessionCookie(c)
			p = anonymous
		} else {
			setSessionLeft(c, s.sessionLeft(&p))
		}
	}
	return c.Next()
}

// loadIdentity fills in who the session belongs to, read with it; false
// when the session no longer stands (the staff member disabled or gone,
// the unit closed, its account deregistered, the clerk revoked or their
// rights changed).
func loadIdentity(who *models.Who, p *Principal) bool {
	sess := who.Session
	switch sess.Kind {
	case models.SessionStaff:
		st := who.Staff
		if st == nil || st.Status != "active" {
			return false
		}
		p.Staff, p.Role, p.Name, p.Domain = st, st.Role, st.Name, st.Domain()
		return true
	case models.SessionUnit, models.SessionClerk:
		id := who.Identity
		if id == nil {
			return false
		}
		p.Role, p.UnitID, p.UnitCode, p.UnitName = sess.Role, id.UnitID, id.UnitCode, id.UnitName
		p.Name, p.ClerkID, p.Domain, p.MayManage, p.Units = id.Name, id.ClerkID, "unit:"+id.UnitCode, id.MayManage, id.Units
		return true
	}
	return false
}

// ensureSession gives an anonymous visitor a pre-login cookie token, so
// that a form can carry a CSRF token. Nothing is stored: 2,000 page views
// make no rows. Login replaces the token with a new session's.
func (s *Server) ensureSession(c *fiber.Ctx) error {
	p := principal(c)
	if p.Session != nil || p.PreToken != "" {
		return nil
	}
	p.PreToken = models.NewToken()
	s.setSessionCookie(c, p.PreToken)
	return nil
}

// preLoginSession returns the visitor's session, storing the one of their
// pre-login token when a login step needs it (a nonce is bound to it).
func (s *Server) preLoginSession(c *fiber.Ctx) (*models.Session, error) {
	p := principal(c)
	if p.Session != nil {
		return p.Session, nil
	}
	if p.PreToken == "" {
		return nil, apperr.New(apperr.Forbidden, "頁面已逾時，請重新整理頁面後再試一次。")
	}
	sess, err := s.Store.NewPreLoginSession(c.UserContext(), p.PreToken, c.IP(), string(c.Request().Header.UserAgent()))
	if err != nil {
		return nil, err
	}
	p.Session, p.Token = sess, p.PreToken
	return sess, nil
}

// checkCSRF refuses every state-changing request that does not carry the
// session's CSRF token (form field _csrf or header X-CSRF-Token) or that
// comes from another site.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" {
		return errCSRF
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && origin != "null" {
		if !strings.EqualFold(strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://"), c.Hostname()) {
			return errCSRF
		}
	}
	p := principal(c)
	want := p.CSRF()
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		if p.Session == nil && got != "" && loginNeeded(c.Path()) {
			// A page of a session that has since ended: the user is told
			// to log in again (and the page's script keeps what they typed).
			return errExpired
		}
		return errCSRF
	}
	return c.Next()
}

// errExpired answers a form of the portal or the console sent after its
// session ended: handleError sends the user to log in again.
var errExpired = apperr.New(apperr.Unauthorized, "登入已逾時，請重新登入。")

// loginNeeded reports whether a path is behind a login (the portal, the
// console), its login pages excepted.
func loginNeeded(path string) bool {
	return (path == "/portal" || strings.HasPrefix(path, "/portal/") || path == "/console" || strings.HasPrefix(path, "/console/")) &&
		path != "/console/login"
}

var errCSRF = apperr.New(apperr.Forbidden, "頁面已逾時或來源不明，為保護您的資料，請重新整理頁面後再試一次。")

// paramID parses a numeric route parameter; anything else is NotFound.
func paramID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "找不到這筆資料。")
	}
	return id, nil
}
