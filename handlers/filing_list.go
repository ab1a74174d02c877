package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// FilingsView is the model of 異動檢核後查詢.
type FilingsView struct {
	Page
	From, To  string // as typed, ROC
	Operation string
	Status    string
	Errors    map[string]string
	Rows      []models.Filing
	Total     int
	Pages     int
	PageNo    int
	Codes     map[string]string
	Earliest  string
	Today     time.Time
}

// Fixable reports whether the clerk may correct or withdraw f today.
func (v FilingsView) Fixable(f models.Filing) bool { return f.Fixable(v.Today) }

// Early reports whether f's effective date has not come yet (預辦).
func (v FilingsView) Early(f models.Filing) bool { return f.Early(v.Today) }

// filter is the query's filter as typed, for links that keep it.
func (v FilingsView) filter() url.Values {
	q := url.Values{}
	for k, s := range map[string]string{"from": v.From, "to": v.To, "operation": v.Operation, "status": v.Status} {
		if s != "" {
			q.Set(k, s)
		}
	}
	return q
}

// PageURL is the query's URL for another page, keeping the filter.
func (v FilingsView) PageURL(page int) string {
	q := v.filter()
	q.Set("page", strconv.Itoa(page))
	return "/portal/filings?" + q.Encode()
}

// ExportURL is the CSV download of the same filter.
func (v FilingsView) ExportURL() string {
	return "/portal/filings/export?" + v.filter().Encode()
}

// filingFilter reads the query's filter; the default is the past two months.
func (s *Server) filingFilter(c *fiber.Ctx) (models.FilingFilter, FilingsView, error) {
	today := time.Now().In(models.Taipei())
	if s.Store.Now != nil {
		today = s.Store.Now().In(models.Taipei())
	}
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	vm := FilingsView{Page: s.page(c, "異動檢核後查詢", "filings"), From: strings.Clone(c.Query("from")), To: strings.Clone(c.Query("to")),
		Operation: strings.Clone(c.Query("operation")), Status: strings.Clone(c.Query("status")), Errors: map[string]string{},
		Earliest: rocdate.FormatSlash(today.AddDate(0, -models.MaxQueryMonths, 0)), Today: today}
	if vm.From == "" {
		vm.From = vm.Earliest
	}
	if vm.To == "" {
		vm.To = rocdate.FormatSlash(today)
	}
	page, _ := strconv.Atoi(c.Query("page"))
	f := models.FilingFilter{Operation: vm.Operation, Status: vm.Status, Page: max(page, 1), PageSize: 50}
	if f.Status != models.FilingValidated && f.Status != models.FilingError {
		f.Status, vm.Status = "", ""
	}
	var err error
	if f.From, err = rocdate.Parse(vm.From); err != nil {
		vm.Errors["from"] = "起日：" + err.Error()
	}
	if f.To, err = rocdate.Parse(vm.To); err != nil {
		vm.Errors["to"] = "迄日：" + err.Error()
	}
	if len(vm.Errors) == 0 {
		if err := f.Check(today); err != nil {
			e, _ := apperr.As(err)
			for k, v := range e.Fields {
				vm.Errors[k] = v
			}
		}
	}
	vm.PageNo = f.Page
	return f, vm, nil
}

// showFilings is 異動檢核後查詢: the unit's filings of the past two months
// with 審核正確 or their codes, each linked to its explanation.
func (s *Server) showFilings(c *fiber.Ctx) error {
	p := principal(c)
	f, vm, err := s.filingFilter(c)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if len(vm.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	} else {
		if vm.Rows, vm.Total, err = models.FilingsOfUnit(c.UserContext(), s.Store.R(), principal(c).Scope(), p.UnitID, f); err != nil {
			return err
		}
		vm.Pages = (vm.Total + f.PageSize - 1) / f.PageSize
	}
	codes, err := models.ErrorCodes(c.UserContext(), s.Store.R())
	if err != nil {
		return err
	}
	vm.Codes = map[string]string{}
	for _, i := range codes {
		vm.Codes[string(i.Code)] = i.Message
	}
	if isHTMX(c) && c.Get("HX-Target") == "filing-results" {
		return c.Status(status).Render("filing_results", vm)
	}
	return s.render(c, status, "filing_list", vm)
}
