package handlers

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// UnitSearchView is the model of the unit search page.
type UnitSearchView struct {
	Page
	Filter   models.UnitFilter
	Kind     string // how the query was read: code, ban, id_no, name
	Rows     []models.UnitRow
	Total    int
	Pages    int
	Branches []models.Branch // for head office's branch filter
	Searched bool
}

// PageURL is the search's URL for another page or sort, keeping the filter.
func (v UnitSearchView) PageURL(page int, sort string, desc bool) string {
	q := url.Values{}
	if v.Filter.Q != "" {
		q.Set("q", v.Filter.Q)
	}
	if v.Filter.Branch != "" {
		q.Set("branch", v.Filter.Branch)
	}
	if v.Filter.Status != "" {
		q.Set("status", v.Filter.Status)
	}
	q.Set("sort", sort)
	if desc {
		q.Set("desc", "1")
	}
	q.Set("page", strconv.Itoa(page))
	return "/console/units?" + q.Encode()
}

// SortURL toggles the direction when sort is the current column.
func (v UnitSearchView) SortURL(sort string) string {
	return v.PageURL(1, sort, v.Filter.Sort == sort && !v.Filter.Desc)
}

// SortMark says how a column is sorted, for aria-sort.
func (v UnitSearchView) SortMark(sort string) string {
	if v.Filter.Sort != sort {
		return "none"
	}
	if v.Filter.Desc {
		return "descending"
	}
	return "ascending"
}

// searchUnits finds units in the staff member's branch (all for head
// office). An HTMX request from the search form gets only the results.
func (s *Server) searchUnits(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	page, _ := strconv.Atoi(c.Query("page"))
	f := models.UnitFilter{
		Q:        strings.Clone(twid.Normalize(input.Search(c.Query("q")))),
		Status:   strings.Clone(c.Query("status")),
		Sort:     strings.Clone(c.Query("sort")),
		Desc:     c.Query("desc") == "1",
		Page:     max(page, 1),
		PageSize: 20,
	}
	if _, ok := models.UnitSorts[f.Sort]; !ok {
		f.Sort = "code"
	}
	if f.Status != models.UnitActive && f.Status != models.UnitClosed {
		f.Status = ""
	}
	vm := UnitSearchView{Page: s.page(c, "投保單位查詢", "units"), Filter: f}
	if p.HeadOffice() {
		bs, err := models.Branches(ctx, s.Store.R())
		if err != nil {
			return err
		}
		vm.Branches = bs
		if b := c.Query("branch"); len(b) == 1 && b >= "1" && b <= "6" {
			vm.Filter.Branch = strings.Clone(b)
		}
	}
	rows, total, err := models.SearchUnits(ctx, s.Store.R(), p.Scope(), vm.Filter)
	if err != nil {
		return err
	}
	vm.Rows, vm.Total, vm.Searched = rows, total, true
	vm.Pages = (total + f.PageSize - 1) / f.PageSize
	if vm.Filter.Q != "" {
		vm.Kind = models.QueryKind(vm.Filter.Q)
	}
	c.Vary("HX-Request")
	if isHTMX(c) && c.Get("HX-Target") == "unit-results" {
		return c.Render("unit_results", vm)
	}
	return s.render(c, fiber.StatusOK, "unit_search", vm)
}
