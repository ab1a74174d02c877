package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/models"
)

// CaseQueueView is the model of the branch's case queue.
type CaseQueueView struct {
	Page
	caseHelpers
	Filter    models.CaseFilter
	Rows      []models.Case
	Total     int
	Pages     int
	Topics    []models.CaseTopic
	Branches  []models.Branch // for head office's branch filter
	CanCreate bool
}

// PageURL is the queue's URL for another page, keeping the filter.
func (v CaseQueueView) PageURL(page int) string {
	q := url.Values{}
	for k, val := range map[string]string{"status": v.Filter.Status, "topic": v.Filter.Topic,
		"assigned": v.Filter.Assigned, "branch": v.Filter.Branch, "q": v.Filter.Q} {
		if val != "" {
			q.Set(k, val)
		}
	}
	q.Set("page", strconv.Itoa(page))
	return "/console/cases?" + q.Encode()
}

// showCaseQueue lists the cases of the staff member's branch (all for head
// office), oldest first. An HTMX request from the filter form gets only
// the results.
func (s *Server) showCaseQueue(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	page, _ := strconv.Atoi(c.Query("page"))
	f := models.CaseFilter{Page: max(page, 1), PageSize: 20, Now: s.Store.Now()}
	switch st := c.Query("status"); st {
	case models.CaseOpen, models.CaseWaiting, models.CaseResolved, models.CasesAll:
		f.Status = strings.Clone(st)
	}
	if _, ok := models.CaseTopicByCode(c.Query("topic")); ok {
		f.Topic = strings.Clone(c.Query("topic"))
	}
	switch a := c.Query("assigned"); a {
	case models.AssignedMe, models.AssignedNobody:
		f.Assigned = strings.Clone(a)
	}
	if p.Staff != nil {
		f.Me = p.Staff.ID
	}
	if q := strings.TrimSpace(c.Query("q")); utf8.RuneCountInString(q) <= 100 {
		f.Q = strings.Clone(q)
	}
	vm := CaseQueueView{Page: s.page(c, "電話服務案件", "cases"), Topics: models.CaseTopics, CanCreate: s.may(c, "case", "create")}
	if p.HeadOffice() {
		bs, err := models.Branches(ctx, s.Store.R())
		if err != nil {
			return err
		}
		vm.Branches = bs
		if _, ok := models.BranchNames[c.Query("branch")]; ok {
			f.Branch = strings.Clone(c.Query("branch"))
		}
	}
	rows, total, err := models.CasesQueue(ctx, s.Store.R(), p.Scope(), f)
	if err != nil {
		return err
	}
	vm.Filter, vm.Rows, vm.Total = f, rows, total
	vm.Pages = (total + f.PageSize - 1) / f.PageSize
	c.Vary("HX-Request")
	if isHTMX(c) && c.Get("HX-Target") == "case-results" {
		return c.Render("case_results", vm)
	}
	return s.render(c, fiber.StatusOK, "case_queue", vm)
}
