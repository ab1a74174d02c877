package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/policy"
)

// Route is one entry of the route table: where, who may (Guard), and what.
type Route struct {
	Method  string
	Path    string
	Guard   policy.Guard
	Handler fiber.Handler
}

func guard(obj, act string) policy.Guard { return policy.Guard{Object: obj, Action: act} }

// routeTable lists every route with its policy. The authorization test walks
// the registered routes and fails for any route missing here.
func (s *Server) routeTable() []Route {
	unit := policy.Guard{Object: "unit", Domain: s.unitDomain}
	unitRead := unit
	unitRead.Action = "read"
	return []Route{
		// Health checks and static files: public.
		{"GET", "/healthz", guard("health", "read"), s.healthz},
		{"GET", "/readyz", guard("health", "read"), s.readyz},
		{"GET", "/static/:name", guard("static", "read"), s.serveStatic},
		{"GET", "/", guard("home", "read"), s.showHome},

		// Staff login and logout.
		{"GET", "/console/login", guard("staff_session", "new"), s.showStaffLogin},
		{"POST", "/console/login", guard("staff_session", "create"), s.createStaffSession},
		{"POST", "/console/logout", guard("staff_session", "delete"), s.deleteStaffSession},

		// Bureau console (健保署).
		{"GET", "/console", guard("console", "read"), s.showConsoleHome},
		{"GET", "/console/units", guard("unit", "list"), s.searchUnits},
		{"GET", "/console/units/:id", unitRead, s.showUnit},

		// Unit and handler login with cards (public), registration, 環境說明.
		{"GET", "/login", guard("unit_session", "new"), s.showUnitLogin},
		{"POST", "/login/nonce", guard("login_nonce", "create"), s.createLoginNonce},
		{"POST", "/login/certificate", guard("unit_session", "create"), s.createCertSession},
		{"POST", "/login/nhi", guard("unit_session", "create"), s.createNHISession},
		{"GET", "/register", guard("unit_registration", "new"), s.showRegister},
		{"POST", "/register/certificate", guard("unit_registration", "create"), s.createCertRegistration},
		{"POST", "/register/nhi", guard("unit_registration", "create"), s.createNHIRegistration},
		{"GET", "/nhi-register", guard("nhi_registration", "new"), s.showNHIRegister},
		{"POST", "/nhi-register", guard("nhi_registration", "create"), s.createNHIRegister},
		{"POST", "/nhi-register/reset", guard("nhi_registration", "update"), s.resetNHIPassword},
		{"GET", "/environment", guard("environment", "read"), s.showEnvironment},
		{"GET", "/environment/downloads/:name", guard("environment", "read"), s.downloadInstaller},

		// Unit portal (投保單位).
		{"GET", "/portal", guard("portal", "read"), s.showPortalHome},
		{"POST", "/portal/logout", guard("unit_session", "delete"), s.deleteUnitSession},
	}
}

// unitDomain resolves the :id of a unit route to the unit's domain, in the
// form of the user's domain: its branch for staff, its code for units.
func (s *Server) unitDomain(c *fiber.Ctx, dom string) (string, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return "", err
	}
	code, branch, err := models.UnitDomain(c.UserContext(), s.Store.DB, id)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(dom, "unit:") {
		return "unit:" + code, nil
	}
	return "branch:" + branch, nil
}
