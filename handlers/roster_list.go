package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// 投保名單: who a unit insures on a day (default today), each insured
// with their dependents, since when, at what amount, and the filings that
// made it so. Units see their own in the portal; staff see a unit of their
// branch from its console page.

// maxRosterQuery bounds the search box (an ID or part of a name).
const maxRosterQuery = 50

// RosterView is the model of the roster page.
type RosterView struct {
	Page
	Unit   *models.Unit // the console's unit; nil in the portal
	Base   string       // the page's path, for links that keep the filter
	On     string       // the day as typed, ROC
	Query  string
	Errors map[string]string
	Rows   []models.RosterRow
	Total  int
	Pages  int
	PageNo int
	Export bool // the page offers the CSV download
}

func (v RosterView) filter() url.Values {
	q := url.Values{}
	q.Set("on", v.On)
	if v.Query != "" {
		q.Set("q", v.Query)
	}
	return q
}

// PageURL is the roster's URL for another page, keeping the filter.
func (v RosterView) PageURL(page int) string {
	q := v.filter()
	q.Set("page", strconv.Itoa(page))
	return v.Base + "?" + q.Encode()
}

// ExportURL is the CSV download of the same filter.
func (v RosterView) ExportURL() string { return v.Base + "/export?" + v.filter().Encode() }

// RelationName is a dependent's 稱謂.
func (v RosterView) RelationName(code string) string {
	for _, r := range rules.Relations {
		if r.Code == code {
			return r.Name
		}
	}
	return code
}

// rosterFilter reads the roster's filter: the day (ROC, default today),
// the search and the page; field errors in zh-TW.
func (s *Server) rosterFilter(c *fiber.Ctx, vm *RosterView) models.RosterFilter {
	vm.On, vm.Query, vm.Errors = strings.TrimSpace(strings.Clone(c.Query("on"))), strings.TrimSpace(strings.Clone(c.Query("q"))), map[string]string{}
	f := models.RosterFilter{On: s.todayTaipei(), Query: vm.Query, PageSize: 50}
	if vm.On == "" {
		vm.On = rocdate.FormatSlash(f.On)
	} else if on, err := rocdate.Parse(vm.On); err != nil {
		vm.Errors["on"] = "查詢日期：" + err.Error()
	} else {
		f.On = on
	}
	if utf8.RuneCountInString(vm.Query) > maxRosterQuery {
		vm.Errors["q"] = "身分證號或姓名最多 " + strconv.Itoa(maxRosterQuery) + " 個字。"
	}
	page, _ := strconv.Atoi(c.Query("page"))
	f.Page = max(page, 1)
	vm.PageNo = f.Page
	return f
}

// showRoster is the unit's 投保名單 in the portal.
func (s *Server) showRoster(c *fiber.Ctx) error {
	p := principal(c)
	vm := RosterView{Page: s.page(c, "投保名單", "roster"), Base: "/portal/roster", Export: true}
	return s.renderRoster(c, vm, p.Scope(), p.UnitID, "roster_list")
}

// renderRoster reads the page of the roster and renders it; an HTMX
// request aimed at the results gets them only.
func (s *Server) renderRoster(c *fiber.Ctx, vm RosterView, sc models.Scope, unitID int64, page string) error {
	f := s.rosterFilter(c, &vm)
	status := fiber.StatusOK
	if len(vm.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	} else {
		var err error
		if vm.Rows, vm.Total, err = models.RosterOfUnit(c.UserContext(), s.Store.R(), sc, unitID, f); err != nil {
			return err
		}
		vm.Pages = (vm.Total + f.PageSize - 1) / f.PageSize
	}
	if isHTMX(c) && c.Get("HX-Target") == "roster-results" {
		return c.Status(status).Render("roster_results", vm)
	}
	return s.render(c, status, page, vm)
}
