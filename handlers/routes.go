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

// routeTable lists every route with its policy, grouped by area. No route is
// registered anywhere else: the authorization test walks the registered
// routes and fails for any route missing here.
func (s *Server) routeTable() []Route {
	unitRead := s.unitGuard("unit", "read")
	caseGuard := func(act string) policy.Guard {
		return policy.Guard{Object: "case", Action: act, Domain: s.caseDomain}
	}
	auditEvent := policy.Guard{Object: "audit_log", Action: "read", Domain: s.auditEventDomain}
	sampleRead := policy.Guard{Object: "sample", Action: "read", Domain: s.sampleDomain}
	sampleUpdate := policy.Guard{Object: "sample", Action: "update", Domain: s.sampleDomain}
	announcement := func(act string) policy.Guard {
		return policy.Guard{Object: "announcement", Action: act, Domain: s.announcementDomain}
	}
	routes := []Route{
		// Health checks and static files: public.
		{"GET", "/healthz", guard("health", "read"), s.healthz},
		{"GET", "/readyz", guard("health", "read"), s.readyz},
		{"GET", "/metrics", guard("metrics", "read"), s.showMetrics}, // configured networks only
		{"GET", "/static/:name", guard("static", "read"), s.serveStatic},
		{"GET", "/", guard("home", "read"), s.showHome},

		// Staff login and logout.
		{"GET", "/console/login", guard("staff_session", "new"), s.showStaffLogin},
		{"POST", "/console/login", guard("staff_session", "create"), s.createStaffSession},
		{"POST", "/console/logout", guard("staff_session", "delete"), s.deleteStaffSession},
		{"POST", "/console/session", guard("staff_session", "update"), s.extendSession}, // 「繼續使用」

		// Bureau console (健保署): units, their status, 開通碼 and NHI passwords.
		{"GET", "/console", guard("console", "read"), s.showConsoleHome},
		{"GET", "/console/work", guard("console", "read"), s.showWork},
		{"GET", "/console/units", guard("unit", "list"), s.searchUnits},
		{"GET", "/console/units/:id", unitRead, s.showUnit},
		{"GET", "/console/units/:id/roster", s.unitGuard("insured_roster", "read"), s.showUnitRoster},
		{"POST", "/console/units/:id/status", s.unitGuard("unit", "update"), s.setUnitStatus},
		{"POST", "/console/units/:id/cert-ids", s.unitGuard("unit", "update"), s.updateUnitCertIDs},
		{"POST", "/console/units/:id/activation-codes", s.unitGuard("activation_code", "create"), s.issueUnitCode},
		{"POST", "/console/units/:id/activation-codes/:acid/revoke", s.unitGuard("activation_code", "delete"), s.revokeUnitCode},
		{"POST", "/console/units/:id/handlers/:hid/nhi-password/revoke", s.unitGuard("nhi_password", "delete"), s.revokeNHIPassword},

		// Console decisions: deregistrations asked by staff, decided by a supervisor.
		{"POST", "/console/units/:id/deregistrations", s.unitGuard("deregistration", "create"), s.requestDeregistration},
		{"GET", "/console/approvals", guard("approval", "list"), s.showApprovals},
		{"POST", "/console/deregistrations/:gid/decision", s.owned("deregistration", "decide", "deregistrations", "gid"), s.decideDeregistration},

		// Cases (來電案件): /new before /:cid.
		{"GET", "/console/cases", guard("case", "list"), s.showCaseQueue},
		{"GET", "/console/cases/new", guard("case", "create"), s.showNewCase},
		{"POST", "/console/cases", guard("case", "create"), s.createCase},
		{"GET", "/console/cases/:cid", caseGuard("read"), s.showCase},
		{"POST", "/console/cases/:cid/notes", caseGuard("update"), s.addCaseNote},
		{"POST", "/console/cases/:cid/status", caseGuard("update"), s.setCaseStatus},
		{"POST", "/console/cases/:cid/assign", caseGuard("update"), s.assignCase},

		// Reviews of the units' change requests.
		{"GET", "/console/reviews", guard("change_review", "list"), s.showReviews},
		{"GET", "/console/reviews/:rid", s.owned("change_review", "read", "change_requests", "rid"), s.showReview},
		{"POST", "/console/reviews/:rid/decision", s.owned("change_review", "decide", "change_requests", "rid"), s.decideReview},
		{"GET", "/console/documents/:did", s.owned("change_review", "read", "change_documents", "did"), s.showReviewDocument},

		// Audit log. The export is a POST: it is itself recorded in the log.
		{"GET", "/console/audit", guard("audit_log", "read"), s.searchAudit},
		{"POST", "/console/audit/export", guard("audit_log", "export"), s.exportAudit},
		{"GET", "/console/audit/:eid", auditEvent, s.showAuditEvent},

		// Decision statistics and samples.
		{"GET", "/console/stats", guard("decision_stats", "read"), s.showStats},
		{"GET", "/console/samples", guard("sample", "list"), s.showSamples},
		{"POST", "/console/samples", guard("sample", "create"), s.drawSample},
		{"GET", "/console/samples/:sid", sampleRead, s.showSample},
		{"POST", "/console/samples/:sid/items/:iid/verdict", sampleUpdate, s.recordVerdict},

		// Admin: reference data and the nightly batch.
		{"GET", "/console/error-codes", guard("code_table", "read"), s.showErrorCodes},
		{"POST", "/console/error-codes/:code", guard("code_table", "update"), s.updateErrorCode},
		{"GET", "/console/grades", guard("grade_table", "read"), s.showGrades},
		{"POST", "/console/grades", guard("grade_table", "create"), s.createGradeTable},
		{"POST", "/console/nightly", guard("nightly_batch", "run"), s.runNightly},
		{"GET", "/console/nightly", guard("nightly_batch", "run"), s.showNightly},

		// 公告欄: staff of a branch publish for units, head office for all;
		// /new before /:aid.
		{"GET", "/console/announcements", guard("announcement", "list"), s.showAnnouncements},
		{"GET", "/console/announcements/new", guard("announcement", "create"), s.showNewAnnouncement},
		{"POST", "/console/announcements", guard("announcement", "create"), s.createAnnouncement},
		{"GET", "/console/announcements/:aid", announcement("update"), s.showAnnouncement},
		{"POST", "/console/announcements/:aid", announcement("update"), s.updateAnnouncement},
		{"POST", "/console/announcements/:aid/withdraw", announcement("withdraw"), s.withdrawAnnouncement},

		// Staff accounts (admin) and one's own password.
		{"GET", "/console/staff", guard("staff_account", "list"), s.showStaffAccounts},
		{"POST", "/console/staff", guard("staff_account", "create"), s.createStaffAccount},
		{"POST", "/console/staff/:stid/role", guard("staff_account", "update"), s.updateStaffRole},
		{"POST", "/console/staff/:stid/status", guard("staff_account", "update"), s.setStaffStatus},
		{"POST", "/console/staff/:stid/password", guard("staff_account", "update"), s.resetStaffPassword},
		{"GET", "/console/password", guard("own_password", "read"), s.showOwnPassword},
		{"POST", "/console/password", guard("own_password", "update"), s.changeOwnPassword},

		// Unit and clerk login with cards (public), registration, NHI
		// registration, 環境說明, 系統服務項目 and the 公告欄.
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
		{"GET", "/services", guard("services", "read"), s.showServices},
		{"GET", "/announcements", guard("announcement_board", "read"), s.showAnnouncementBoard},
		// A clerk assigned by several units chooses one after the login.
		{"GET", "/login/units", guard("unit_session", "new"), s.showClerkUnits},
		{"POST", "/login/units", guard("unit_session", "create"), s.switchClerkUnit},

		// Unit portal (投保單位).
		{"GET", "/portal", guard("portal", "read"), s.showPortalHome},
		{"POST", "/portal/logout", guard("unit_session", "delete"), s.deleteUnitSession},
		{"POST", "/portal/session", guard("unit_session", "update"), s.extendSession}, // 「繼續使用」
		// 切換單位: a clerk of several units switches without a new login;
		// the store refuses (404) a unit that did not assign them.
		{"GET", "/portal/units", guard("clerk_unit", "list"), s.showClerkUnits},
		{"POST", "/portal/units/:id", guard("clerk_unit", "switch"), s.switchClerkUnit},
		// 系統管理作業: clerks (Q1) and the unit certificate (Q3).
		{"GET", "/portal/handlers", guard("unit_clerk", "list"), s.showClerks},
		{"POST", "/portal/handlers", guard("unit_clerk", "create"), s.createClerk},
		{"POST", "/portal/handlers/:hid/revoke", s.owned("unit_clerk", "delete", "clerks", "hid"), s.revokeClerk},
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

		// Filings (申報): one at a time, by upload, the list and its export,
		// and the error codes they may answer.
		{"GET", "/portal/filings/new", guard("filing", "create"), s.showFilingForm},
		{"POST", "/portal/filings/check", guard("filing", "create"), s.checkFilingField},
		{"POST", "/portal/filings", guard("filing", "create"), s.createFiling},
		{"GET", "/portal/filings/upload", guard("filing", "create"), s.showUpload},
		{"POST", "/portal/filings/upload", guard("filing", "create"), s.uploadFilings},
		{"POST", "/portal/filings/upload/confirm", guard("filing", "create"), s.confirmUpload},
		{"GET", "/portal/filings/template.csv", guard("filing", "create"), s.downloadTemplate},
		{"GET", "/portal/filings/template.xlsx", guard("filing", "create"), s.downloadTemplateXLSX},
		{"GET", "/portal/filings", guard("filing", "list"), s.showFilings},
		{"GET", "/portal/filings/export", guard("filing", "list"), s.exportFilings},
		// 補正 and 撤回 of the unit's own filings, by clerks who may file.
		{"GET", "/portal/filings/:fid/correct", s.owned("filing", "correct", "filings", "fid"), s.showCorrection},
		{"POST", "/portal/filings/:fid/correct", s.owned("filing", "correct", "filings", "fid"), s.createCorrection},
		{"POST", "/portal/filings/:fid/withdraw", s.owned("filing", "withdraw", "filings", "fid"), s.withdrawFiling},
		// 投保名單: who the unit insures on a day, and its export.
		{"GET", "/portal/roster", guard("insured_roster", "list"), s.showRoster},
		{"GET", "/portal/roster/export", guard("insured_roster", "list"), s.exportRoster},
		{"GET", "/portal/error-codes", guard("error_code", "read"), s.showErrorCodes},

		// Printing filings (personal data: every print is audited).
		{"GET", "/portal/print", guard("filing", "list"), s.showPrint},
		{"POST", "/portal/print", guard("filing", "print"), s.printFilings},

		// Address cascades (public data).
		{"GET", "/address/townships", guard("address", "read"), s.showTownships},
		{"GET", "/address/villages", guard("address", "read"), s.showVillages},
	}
	// Demo only: the mailbox that stands in for the mail server.
	if s.Demo {
		routes = append(routes, Route{"GET", "/demo/mailbox", guard("demo_mailbox", "read"), s.showDemoMailbox})
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
		code, branch, err := models.OwnerDomain(c.UserContext(), s.Store.R(), table, id)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(dom, "unit:") {
			return "unit:" + code, nil
		}
		return "branch:" + branch, nil
	}}
}

// unitGuard is a guard on the unit of the route's :id: staff reach their
// branch's units only.
func (s *Server) unitGuard(obj, act string) policy.Guard {
	return policy.Guard{Object: obj, Action: act, Domain: s.unitDomain}
}

// unitDomain resolves the :id of a unit route to the unit's domain, in the
// form of the user's domain: its branch for staff, its code for units.
func (s *Server) unitDomain(c *fiber.Ctx, dom string) (string, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return "", err
	}
	code, branch, err := models.UnitDomain(c.UserContext(), s.Store.R(), id)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(dom, "unit:") {
		return "unit:" + code, nil
	}
	return "branch:" + branch, nil
}
