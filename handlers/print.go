package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// 列印及媒體上傳 → 申報資料套印表格 (Q11).

// renderer loads the forms' fonts once, on the first print: they are large.
var renderer = sync.OnceValues(func() (*pdfform.Renderer, error) { return pdfform.NewRenderer() })

// PrintView is the model of 申報資料套印表格.
type PrintView struct {
	Page
	FormType, Report string
	From, To         string
	Errors           map[string]string
	Rows             []models.Filing
	Searched         bool
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
// 申報證明文件查詢, the unit's enrollments with a box each.
func (s *Server) showPrint(c *fiber.Ctx) error {
	p := principal(c)
	today := s.todayTaipei()
	vm := PrintView{Page: s.page(c, "申報資料套印表格", "print"), FormType: "health", Report: "enrol",
		From: strings.Clone(c.Query("from")), To: strings.Clone(c.Query("to")), Errors: map[string]string{}}
	if vm.From == "" {
		vm.From = rocdate.FormatSlash(today.AddDate(0, -2, 0))
	}
	if vm.To == "" {
		vm.To = rocdate.FormatSlash(today)
	}
	if c.Query("search") == "" {
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
	rows, err := models.PrintableFilings(c.UserContext(), s.Store.R(), principal(c).Scope(), p.UnitID,
		models.PrintFilter{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Operation: "health"}, 500)
	if err != nil {
		return err
	}
	vm.Rows, vm.Searched = rows, true
	return s.render(c, fiber.StatusOK, "print", vm)
}

// printFilings renders the chosen filings as one PDF, one form each, and
// records who printed which. Another unit's filing is 404.
func (s *Server) printFilings(c *fiber.Ctx) error {
	p := principal(c)
	ctx := c.UserContext()
	form, err := c.MultipartForm()
	var raw []string
	if err == nil {
		raw = form.Value["filing"]
	} else {
		for _, v := range c.Request().PostArgs().PeekMulti("filing") {
			raw = append(raw, string(v))
		}
	}
	if len(raw) == 0 {
		return apperr.New(apperr.Invalid, "請勾選要列印的申報資料。")
	}
	if len(raw) > 200 {
		return apperr.New(apperr.Invalid, "一次最多列印 200 筆，請分批列印。")
	}
	ids := make([]int64, 0, len(raw))
	for _, v := range raw {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return apperr.New(apperr.NotFound, "找不到這筆申報資料。")
		}
		ids = append(ids, id)
	}
	fs, err := models.FilingsToPrint(ctx, s.Store.R(), principal(c).Scope(), p.UnitID, ids)
	if err != nil {
		return err
	}
	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return err
	}
	forms := make([]pdfform.Form, len(fs))
	for i, f := range fs {
		forms[i] = formOf(u, &f)
	}
	r, err := renderer()
	if err != nil {
		return fmt.Errorf("handlers: print: %w", err)
	}
	var buf bytes.Buffer
	if err := r.Render(&buf, forms...); err != nil {
		var ge *pdfform.GlyphError
		if errors.As(err, &ge) {
			return apperr.Newf(apperr.Invalid, "無法列印：姓名或資料中有字型缺少的字「%c」（%U），請電洽本組承辦人協助。", ge.Rune, ge.Rune)
		}
		return err
	}
	if err := s.Store.AuditPrint(ctx, p.Actor(c), p.UnitID, ids); err != nil {
		return err
	}
	name := fmt.Sprintf("投保申報表-%s-%s", u.Code, rocdate.FormatCompact(s.todayTaipei()))
	if len(fs) == 1 {
		name += "-" + fs[0].Name
	} else {
		name += fmt.Sprintf("-%d筆", len(fs))
	}
	name += ".pdf"
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="filings-%s.pdf"; filename*=UTF-8''%s`, u.Code, url.PathEscape(name)))
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(buf.Bytes())
}

// formOf lays a filing out as the bureau's form.
func formOf(u *models.Unit, f *models.PrintableFiling) pdfform.Form {
	reason := f.Reason
	if r, ok := rules.FindReason(f.Reason); ok {
		reason = r.Name
	}
	form := pdfform.Form{UnitName: u.Name, UnitCode: u.Code, Reason: reason, ReasonDate: dateOf(f.EffectiveDate), FiledOn: dateOf(f.FiledOn), FormNo: "C",
		Insured: pdfform.Person{Name: f.InsuredName, IDNo: f.InsuredID, Birth: dateOf(f.InsuredBirth)}}
	if f.Person == rules.PersonDependent {
		form.DependentsOnly = true
		form.Dependents = []pdfform.Person{{Name: f.Name, IDNo: f.DependentID, Birth: dateOf(f.Birth), Relation: rules.RelationName(f.Relation)}}
	} else {
		form.Amount, form.PartTime = f.Amount, f.PartTime
	}
	return form
}
