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

// areaRoutes are the route tables of feature areas kept in their own files
// (var _ = addRoutes(func(s *Server) []Route { … })); they are appended to
// routeTable's, and the same rules hold for them.
var areaRoutes []func(s *Server) []Route

func addRoutes(f func(s *Server) []Route) bool {
	areaRoutes = append(areaRoutes, f)
	return true
}

// routeTable lists every route with its policy. The authorization test walks
// the registered routes and fails for any route missing here.
func (s *Server) routeTable() []Route {
	unit := policy.Guard{Object: "unit", Domain: s.unitDomain}
	unitRead := unit
	unitRead.Action = "read"
	routes := []Route{
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
		{"POST", "/register/nhi/code", guard("unit_registration", "create"), s.createUnitCodeRequest},
		{"POST", "/register/nhi", guard("unit_registration", "create"), s.createNHIRegistration},
		{"GET", "/nhi-register", guard("nhi_registration", "new"), s.showNHIRegister},
		{"POST", "/nhi-register/code", guard("nhi_registration", "create"), s.createNHICodeRequest},
		{"POST", "/nhi-register/confirm", guard("nhi_registration", "update"), s.confirmNHICode},
		{"GET", "/environment", guard("environment", "read"), s.showEnvironment},
		{"GET", "/environment/downloads/:name", guard("environment", "read"), s.downloadInstaller},

		// Unit portal (投保單位).
		{"GET", "/portal", guard("portal", "read"), s.showPortalHome},
		{"POST", "/portal/logout", guard("unit_session", "delete"), s.deleteUnitSession},
		// 系統管理作業: handlers (Q1) and the unit certificate (Q3).
		{"GET", "/portal/handlers", guard("unit_handler", "list"), s.showHandlers},
		{"POST", "/portal/handlers", guard("unit_handler", "create"), s.createHandler},
		{"POST", "/portal/handlers/:hid/revoke", s.owned("unit_handler", "delete", "handlers", "hid"), s.revokeHandler},
		{"GET", "/portal/certificate", guard("unit_certificate", "read"), s.showCertificate},
		{"POST", "/portal/certificate", guard("unit_certificate", "update"), s.updateCertificate},
		// 單位資料查詢及變更: data and 勞保證號 (Q8), changes without (Q9.2) and with proof (Q9.1).
		{"GET", "/portal/unit", guard("unit_profile", "read"), s.showUnitProfile},
		{"POST", "/portal/unit/labor-insurance", guard("unit_profile", "update"), s.updateLaborInsNo},
		{"GET", "/portal/unit/contact", guard("unit_profile", "read"), s.showContact},
		{"POST", "/portal/unit/contact", guard("unit_profile", "update"), s.updateContact},
		{"GET", "/portal/requests", guard("change_request", "list"), s.showRequests},
		{"POST", "/portal/requests", guard("change_request", "create"), s.createRequest},
		{"GET", "/portal/requests/:rid", s.owned("change_request", "read", "change_requests", "rid"), s.showRequest},
		{"POST", "/portal/requests/:rid/cancel", s.owned("change_request", "cancel", "change_requests", "rid"), s.cancelRequest},
		{"GET", "/portal/documents/:did", s.owned("change_document", "read", "change_documents", "did"), s.downloadDocument},

		// Address cascades (public data).
		{"GET", "/address/townships", guard("address", "read"), s.showTownships},
		{"GET", "/address/villages", guard("address", "read"), s.showVillages},
	}
	for _, f := range areaRoutes {
		routes = append(routes, f(s)...)
	}
	return routes
}

// owned guards a route on one row of a unit's table, named by the route
// parameter param: the row's unit (or its branch, for staff) is the domain.
func (s *Server) owned(obj, act, table, param string) policy.Guard {
	return policy.Guard{Object: obj, Action: act, Domain: func(c *fiber.Ctx, dom string) (string, error) {
		id, err := paramID(c, param)
		if err != nil {
			return "", err
		}
		code, branch, err := models.OwnerDomain(c.UserContext(), s.Store.DB, table, id)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(dom, "unit:") {
			return "unit:" + code, nil
		}
		return "branch:" + branch, nil
	}}
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
