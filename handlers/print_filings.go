package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// renderer loads the forms' fonts once, on the first print: they are large.
var renderer = sync.OnceValues(func() (*pdfform.Renderer, error) { return pdfform.NewRenderer() })

// maxPrint bounds one print.
const maxPrint = 200

// PrintConfirmView is the warning before printing filings that have error
// codes: which, and why, with the choice to print anyway or go back.
type PrintConfirmView struct {
	Page
	Report  models.PrintReport
	IDs     []int64
	Flagged []models.FlaggedFiling
	// The list the clerk came from, to go back to it.
	From, To string
	PageNo   int
}

// Back is the list the clerk ticked the filings on.
func (v PrintConfirmView) Back() string { return printListURL(v.Report.Code, v.From, v.To, v.PageNo) }

// printFilings prints the ticked filings of one 報表類別 as one PDF of the
// bureau's form, an insured and their dependents on the same page, and
// records who printed which. A selection with filings that have error
// codes is first answered with a warning naming them; the warning's
// 「仍要列印」 posts the same selection with confirm=1. Another unit's
// filing is 404.
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
	if len(raw) > maxPrint {
		return apperr.Newf(apperr.Invalid, "一次最多列印 %d 筆，請分批列印。", maxPrint)
	}
	ids := make([]int64, 0, len(raw))
	seen := make(map[int64]bool, len(raw))
	for _, v := range raw {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return apperr.New(apperr.NotFound, "找不到這筆申報資料。")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	fs, err := models.FilingsToPrint(ctx, s.Store.R(), p.Scope(), p.UnitID, ids)
	if err != nil {
		return err
	}
	report, ok := models.PrintReportOfKind(fs[0].Kind)
	for _, f := range fs[1:] {
		ok = ok && f.Kind == report.Kind
	}
	if !ok {
		return apperr.New(apperr.Invalid, "一次只能列印同一種報表類別的申報資料，請依報表類別分開列印。")
	}
	flagged, err := models.FlaggedForPrint(ctx, s.Store.R(), fs)
	if err != nil {
		return err
	}
	if len(flagged) > 0 && c.FormValue("confirm") != "1" {
		page, _ := strconv.Atoi(c.FormValue("page"))
		vm := PrintConfirmView{Page: s.page(c, "列印前請確認", "print"), Report: report, IDs: ids, Flagged: flagged,
			From: strings.Clone(c.FormValue("from")), To: strings.Clone(c.FormValue("to")), PageNo: max(page, 1)}
		return s.render(c, fiber.StatusOK, "print_confirm", vm)
	}

	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return err
	}
	doc := documentOf(u, report.Kind, models.GroupForPrint(fs))
	r, err := renderer()
	if err != nil {
		return fmt.Errorf("handlers: print: %w", err)
	}
	var buf bytes.Buffer
	if err := r.Render(&buf, doc); err != nil {
		var ge *pdfform.GlyphError
		if errors.As(err, &ge) {
			return apperr.Newf(apperr.Invalid, "無法列印：姓名或資料中有字型缺少的字「%c」（%U），請電洽本組承辦人協助。", ge.Rune, ge.Rune)
		}
		return err
	}
	rec := models.PrintRecord{Report: report.Code, IDs: ids, Pages: doc.Pages()}
	for _, f := range flagged {
		rec.Flagged = append(rec.Flagged, f.ID)
	}
	if err := s.Store.AuditPrint(ctx, p.Actor(c), p.UnitID, rec); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%s", map[string]string{rules.KindAdd: "投保申報表", rules.KindWithdraw: "退保申報表", rules.KindAdjust: "投保金額調整申報表"}[report.Kind],
		u.Code, rocdate.FormatCompact(doc.FilledOn))
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

// documentOf lays the groups out as the bureau's form of the kind. The
// form's date (填表日期) is the day the last of them was filed, so that a
// reprint is the same form.
func documentOf(u *models.Unit, kind string, groups []models.PrintGroup) pdfform.Document {
	doc := pdfform.Document{Kind: formKind(kind), UnitName: u.Name, UnitCode: u.Code}
	if doc.Kind == pdfform.Enrol {
		doc.FormNo = "C"
	}
	filled := func(f *models.PrintableFiling) {
		if t := dateOf(f.FiledOn); t.After(doc.FilledOn) {
			doc.FilledOn = t
		}
	}
	for _, g := range groups {
		f := pdfform.Form{Insured: pdfform.Person{Name: g.InsuredName, IDNo: g.InsuredID, Birth: dateOf(g.InsuredBirth)}, DependentsOnly: g.Insured == nil}
		if in := g.Insured; in != nil {
			filled(in)
			f.Insured.Reason, f.Insured.Date = reasonName(in.Reason), dateOf(in.EffectiveDate)
			switch doc.Kind {
			case pdfform.Enrol:
				f.Amount, f.PartTime = in.Amount, in.PartTime
			case pdfform.Adjust:
				f.Amount, f.OldAmount, f.PartTime = in.Amount, in.OldAmount, in.PartTime
			}
		}
		for i := range g.Dependents {
			dep := &g.Dependents[i]
			filled(dep)
			f.Dependents = append(f.Dependents, pdfform.Person{Name: dep.Name, IDNo: dep.DependentID, Birth: dateOf(dep.Birth),
				Relation: rules.RelationName(dep.Relation), Reason: reasonName(dep.Reason), Date: dateOf(dep.EffectiveDate)})
		}
		doc.Forms = append(doc.Forms, f)
	}
	return doc
}

// reasonName is a reason code's words, as the forms print them.
func reasonName(code string) string {
	if r, ok := rules.FindReason(code); ok {
		return r.Name
	}
	return code
}
