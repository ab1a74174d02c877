package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// auditPageSize is how many events a page of the search shows.
const auditPageSize = 50

// AuditSearchView is the model of the audit log search page.
type AuditSearchView struct {
	Page
	Form        AuditForm
	Errors      map[string]string
	Actions     []ActionOption
	Kinds       []string
	Rows        []models.AuditRow
	Total       int
	PageNo      int
	Pages       int
	Searched    bool
	CanExport   bool
	ExportLimit int
}

// PageURL is the search's URL for another page, keeping the filter.
func (v AuditSearchView) PageURL(page int) string {
	q := v.Form.Values()
	q.Set("page", strconv.Itoa(page))
	return "/console/audit?" + q.Encode()
}

// Truncated reports whether an export would hold fewer events than match.
func (v AuditSearchView) Truncated() bool { return v.Total > v.ExportLimit }

func (s *Server) auditSearchView(c *fiber.Ctx, form AuditForm) AuditSearchView {
	return AuditSearchView{Page: s.page(c, "稽核紀錄", "audit"), Form: form, Actions: auditActions(form.Action),
		Kinds: models.ActorKinds, CanExport: s.may(c, "audit_log", "export"), ExportLimit: models.MaxAuditExport}
}

// searchAudit searches the audit log within the user's branch (all for
// head office), newest first. The search form's HTMX requests get only the
// results; a wrong filter is answered 422 with the message beside its field.
func (s *Server) searchAudit(c *fiber.Ctx) error {
	p := principal(c)
	form := readAuditForm(c.Query)
	vm := s.auditSearchView(c, form)
	status := fiber.StatusOK
	f, errs := form.filter()
	if errs != nil {
		vm.Errors, status = errs, fiber.StatusUnprocessableEntity
	} else {
		page, _ := strconv.Atoi(c.Query("page"))
		f.Page, f.PageSize = max(page, 1), auditPageSize
		rows, total, err := models.SearchAuditEvents(c.UserContext(), s.Store.R(), p.Scope(), f)
		if err != nil {
			return err
		}
		vm.Rows, vm.Total, vm.PageNo, vm.Searched = rows, total, f.Page, true
		vm.Pages = (total + auditPageSize - 1) / auditPageSize
	}
	c.Vary("HX-Request")
	if isHTMX(c) && c.Get("HX-Target") == "audit-results" {
		return c.Status(status).Render("audit_results", vm)
	}
	return s.render(c, status, "audit_search", vm)
}
