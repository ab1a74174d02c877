package handlers

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// Filing entry (加保、退保、薪調), 異動檢核後查詢 and 錯誤代碼說明 (Q10).

// filingFields are the entry form's fields read through rules.Filing.Set.
var filingFields = []string{"insured_id", "dependent_id", "name", "sex", "birth", "relation", "reason", "amount", "effective_date"}

// FilingFormView is the model of the entry form.
type FilingFormView struct {
	Page
	Values    map[string]string
	Errors    map[string]string
	Refused   []rules.Info
	Relations []struct{ Code, Name string }
	Reasons   []rules.Reason
	Done      *models.Filing
	// AgeWarning is code 2 when it is the filing's only code: the clerk
	// may confirm it with one of AgeReasons and file.
	AgeWarning []rules.Info
	AgeReasons []struct{ Code, Name string }
	// Action is where the form posts: a new filing, or the correction of
	// Correcting (補正).
	Action     string
	Correcting *models.Filing
	OrigCodes  []rules.Info // Correcting's codes, explained
}

// ageReasons are the reasons a clerk may give for confirming code 2.
var ageReasons = []struct{ Code, Name string }{{models.AgeAdopted, "養子女"}, {models.AgeStep, "繼子女"}, {models.AgeOther, "其他"}}

func (s *Server) filingForm(c *fiber.Ctx) FilingFormView {
	return FilingFormView{Page: s.page(c, "加退保申報", "filing"), Values: map[string]string{"kind": rules.KindAdd, "person": rules.PersonInsured,
		"operation": "health"}, Errors: map[string]string{}, Relations: rules.Relations, Reasons: rules.Reasons, AgeReasons: ageReasons,
		Action: "/portal/filings"}
}

// showFilingForm shows the entry form; ?done=<id> confirms the last filing.
func (s *Server) showFilingForm(c *fiber.Ctx) error {
	vm := s.filingForm(c)
	if id, err := strconv.ParseInt(c.Query("done"), 10, 64); err == nil {
		p := principal(c)
		fs, err := models.RecentFilingsOfUnit(c.UserContext(), s.Store.R(), principal(c).Scope(), p.UnitID, false, 20)
		if err != nil {
			return err
		}
		for i := range fs {
			if fs[i].ID == id {
				vm.Done = &fs[i]
			}
		}
	}
	return s.render(c, fiber.StatusOK, "filing_form", vm)
}

// readFiling reads the form into a filing; it returns the values as typed
// and a message per field that could not be read.
func readFiling(c *fiber.Ctx) (rules.Filing, map[string]string, map[string]string) {
	f := rules.Filing{Kind: c.FormValue("kind"), Person: c.FormValue("person"), Operation: c.FormValue("operation"),
		Category: c.FormValue("category"), LegalRepresentative: c.FormValue("legal_rep") == "1"}
	if f.Operation == "" {
		f.Operation = "health"
	}
	values := map[string]string{"kind": f.Kind, "person": f.Person, "operation": f.Operation, "category": f.Category}
	if f.LegalRepresentative {
		values["legal_rep"] = "1"
	}
	errs := map[string]string{}
	for _, name := range filingFields {
		v := strings.Clone(c.FormValue(name))
		values[name] = v
		if err := f.Set(name, v); err != nil {
			errs[name] = err.Error()
		}
	}
	return f, values, errs
}

// checkFilingField answers the form's check of one field as it is typed:
// the same rules as the submission, with the unit's roster.
func (s *Server) checkFilingField(c *fiber.Ctx) error {
	p := principal(c)
	field := c.FormValue("field")
	f, values, errs := readFiling(c)
	msg := errs[field]
	if msg == "" && values[field] != "" {
		rc, err := s.Store.FilingContext(c.UserContext(), p.UnitID, &f)
		if err != nil {
			return err
		}
		var code rules.Code
		if code, msg = rc.CheckFieldCode(field, values[field], f); rules.Warning(code) {
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.Render("field_warning", msg+"。資料無誤時（例如養子女、繼子女），申報後可選擇原因確認。")
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	if msg == "" {
		return c.SendString("")
	}
	return c.Render("field_error", msg)
}

// createFiling validates and stores one filing: refused with its codes
// explained at once, or stored as 審核正確. Code 2 alone is a warning: the
// form asks for a reason, and the confirm button files with it.
func (s *Server) createFiling(c *fiber.Ctx) error {
	p := principal(c)
	f, values, errs := readFiling(c)
	vm := s.filingForm(c)
	vm.Values, vm.Errors = values, errs
	confirm := c.FormValue("confirm_age") == "1"
	conf := models.AgeConfirmation{Reason: strings.Clone(c.FormValue("age_confirm")), Note: strings.Clone(c.FormValue("age_confirm_note"))}
	vm.Values["age_confirm"], vm.Values["age_confirm_note"] = conf.Reason, conf.Note
	if len(errs) > 0 {
		return s.render(c, fiber.StatusUnprocessableEntity, "filing_form", vm)
	}
	ctx := c.UserContext()
	by := models.Filer{Actor: p.Actor(c), UnitID: p.UnitID, ClerkID: p.ClerkID, Source: "web"}
	var stored *models.Filing
	var err error
	if confirm {
		stored, err = s.Store.SubmitConfirmedFiling(ctx, by, f, conf)
	} else {
		stored, err = s.Store.SubmitFiling(ctx, by, f)
	}
	var br *models.BatchRefused
	if errors.As(err, &br) {
		codes := br.Rows[0].Codes
		if onlyWarnings(codes) {
			vm.AgeWarning = codes
		} else {
			vm.Refused = codes
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "filing_form", vm)
	}
	if e, ok := apperr.As(err); ok && confirm && e.Code == apperr.Invalid && len(e.Fields) > 0 {
		// The confirmation's reason is missing or wrong: code 2 stands.
		for k, v := range e.Fields {
			vm.Errors[k] = v
		}
		if vm.AgeWarning, err = explainCodes(ctx, s.Store, rules.CodeDescendantAge); err != nil {
			return err
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "filing_form", vm)
	}
	if err != nil {
		return err
	}
	s.flash(c, "已申報，檢核結果：審核正確。")
	return redirect(c, "/portal/filings/new?done="+strconv.FormatInt(stored.ID, 10))
}

// onlyWarnings reports whether a refusal's codes are all warnings the
// clerk may confirm.
func onlyWarnings(codes []rules.Info) bool {
	r := rules.Result{}
	for _, i := range codes {
		r.Codes = append(r.Codes, i.Code)
	}
	return r.OnlyWarnings()
}

// explainCodes returns the code table's entries (the database's copy) for codes.
func explainCodes(ctx context.Context, st *models.Store, codes ...rules.Code) ([]rules.Info, error) {
	table, err := models.ErrorCodes(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	var out []rules.Info
	for _, i := range table {
		if slices.Contains(codes, i.Code) {
			out = append(out, i)
		}
	}
	return out, nil
}

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

// ErrorCodesView is the model of 錯誤代碼說明.
type ErrorCodesView struct {
	Page
	Codes   []rules.Info
	CanEdit bool
}

// showErrorCodes shows the code table with what to do for each code.
func (s *Server) showErrorCodes(c *fiber.Ctx) error {
	codes, err := models.ErrorCodes(c.UserContext(), s.Store.R())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "error_codes", ErrorCodesView{Page: s.page(c, "錯誤代碼說明", "codes"), Codes: codes,
		CanEdit: principal(c).IsStaff() && s.may(c, "code_table", "update")})
}
