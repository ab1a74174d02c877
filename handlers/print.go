package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// 列印及媒體上傳 → 申報資料套印表格 (Q11): pick 表格類型 and 報表類別,
// 申報證明文件查詢 lists the filings of that kind, 列印 prints the ticked
// ones on the bureau's form (print_filings.go).

// printPageSize is the list's page.
const printPageSize = 50

// PrintView is the model of 申報資料套印表格.
type PrintView struct {
	Page
	FormType string
	Report   models.PrintReport
	Reports  []models.PrintReport
	From, To string
	Errors   map[string]string
	Rows     []models.Filing
	Searched bool
	Total    int
	Pages    int
	PageNo   int
	// Flagged counts the rows of the page that have error codes.
	Flagged int
	// Codes explains the error codes: code → message.
	Codes map[string]string
}

// FormTitle is the title of the form the 報表類別 prints.
func (v PrintView) FormTitle() string { return formKind(v.Report.Kind).Title() }

// PageURL is the list's URL for another page, keeping the filter.
func (v PrintView) PageURL(page int) string {
	return printListURL(v.Report.Code, v.From, v.To, page)
}

// printListURL is the list of a 報表類別 and dates, on a page.
func printListURL(report, from, to string, page int) string {
	q := url.Values{"search": {"1"}, "form_type": {"health"}, "report": {report}, "from": {from}, "to": {to}}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return "/portal/print?" + q.Encode()
}

// formKind is the form that prints filings of a kind.
func formKind(kind string) pdfform.Kind {
	switch kind {
	case rules.KindWithdraw:
		return pdfform.Withdraw
	case rules.KindAdjust:
		return pdfform.Adjust
	}
	return pdfform.Enrol
}

func (s *Server) todayTaipei() time.Time {
	now := time.Now()
	if s.Store.Now != nil {
		now = s.Store.Now()
	}
	t := now.In(models.Taipei())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// showPrint shows the selection (表格類型, 報表類別, dates) and, after
// 申報證明文件查詢, a page of the unit's filings of that 報表類別 with a
// box each.
func (s *Server) showPrint(c *fiber.Ctx) error {
	p := principal(c)
	today := s.todayTaipei()
	vm := PrintView{Page: s.page(c, "申報資料套印表格", "print"), FormType: "health", Reports: models.PrintReports,
		From: strings.TrimSpace(strings.Clone(c.Query("from"))), To: strings.TrimSpace(strings.Clone(c.Query("to"))), Errors: map[string]string{}}
	if vm.From == "" {
		vm.From = rocdate.FormatSlash(today.AddDate(0, -2, 0))
	}
	if vm.To == "" {
		vm.To = rocdate.FormatSlash(today)
	}
	vm.Report = models.PrintReports[0]
	if code := c.Query("report"); code != "" {
		if r, ok := models.FindPrintReport(code); ok {
			vm.Report = r
		} else {
			vm.Errors["report"] = "報表類別：請從清單選擇。"
		}
	}
	page, _ := strconv.Atoi(c.Query("page"))
	vm.PageNo = max(page, 1)
	if c.Query("search") == "" && len(vm.Errors) == 0 {
		return s.render(c, fiber.StatusOK, "print", vm)
	}
	from, err1 := rocdate.Parse(vm.From)
	to, err2 := rocdate.Parse(vm.To)
	switch {
	case err1 != nil:
		vm.Errors["from"] = "起日：" + err1.Error()
	case err2 != nil:
		vm.Errors["to"] = "迄日：" + err2.Error()
	case to.Before(from):
		vm.Errors["to"] = "迄日不可早於起日。"
	case to.Sub(from) > 366*24*time.Hour:
		vm.Errors["from"] = "一次最多查詢一年。"
	}
	if len(vm.Errors) > 0 {
		return s.render(c, fiber.StatusUnprocessableEntity, "print", vm)
	}
	rows, total, err := models.PrintableFilings(c.UserContext(), s.Store.R(), p.Scope(), p.UnitID, models.PrintFilter{
		From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Operation: vm.FormType, Kind: vm.Report.Kind,
		Page: vm.PageNo, PageSize: printPageSize})
	if err != nil {
		return err
	}
	vm.Rows, vm.Total, vm.Searched = rows, total, true
	vm.Pages = (total + printPageSize - 1) / printPageSize
	for _, f := range rows {
		if f.Status == models.FilingError {
			vm.Flagged++
		}
	}
	if vm.Flagged > 0 {
		codes, err := models.ErrorCodes(c.UserContext(), s.Store.R())
		if err != nil {
			return err
		}
		vm.Codes = make(map[string]string, len(codes))
		for _, i := range codes {
			vm.Codes[string(i.Code)] = i.Message
		}
	}
	return s.render(c, fiber.StatusOK, "print", vm)
}
