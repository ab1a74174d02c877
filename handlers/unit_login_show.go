package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/models"
)

// CardAuth is what certificate and NHI-card logins need.
type CardAuth struct {
	// Units verifies units' certificates, one verifier per kind (工商憑證,
	// 政府憑證, 組織及團體憑證, 醫事憑證), each trusting that kind's CAs only.
	Units   certlogin.UnitVerifiers
	Citizen *certlogin.Verifier // trusts the CAs of clerks' 自然人憑證
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
