package handlers

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// Words the query page and the export use for stored codes.
var (
	kindNames   = map[string]string{rules.KindAdd: "加保", rules.KindWithdraw: "退保", rules.KindAdjust: "投保金額調整"}
	personNames = map[string]string{rules.PersonInsured: "本人", rules.PersonDependent: "眷屬"}
	opNames     = map[string]string{"health": "健保專用"}
	sourceNames = map[string]string{"web": "網路申報", "upload": "媒體申報"}
	sexNames    = map[string]string{"M": "男", "F": "女"}
)

// filingsCSVHeader names the export's columns.
var filingsCSVHeader = []string{"備註", "錯誤代碼", "資料來源", "異動別", "作業別", "單位申報日", "身份", "員工身分證號", "眷屬身分證號", "姓名", "性別", "出生日", "投保金額", "部分工時", "生效日期", "錯誤代碼2確認原因"}

// exportFilings sends 異動檢核後查詢's rows as CSV, the same columns as the
// page; a database error mid-stream fails the download (see streamCSV).
func (s *Server) exportFilings(c *fiber.Ctx) error {
	p := principal(c)
	f, vm, err := s.filingFilter(c)
	if err != nil {
		return err
	}
	if len(vm.Errors) > 0 {
		msgs := make([]string, 0, len(vm.Errors))
		for _, m := range vm.Errors {
			msgs = append(msgs, m)
		}
		return apperr.New(apperr.Invalid, strings.Join(msgs, "；"))
	}
	ctx := c.UserContext()
	name := "異動檢核後查詢-" + strings.ReplaceAll(vm.From, "/", "") + "-" + strings.ReplaceAll(vm.To, "/", "") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="filings.csv"; filename*=UTF-8''`+url.PathEscape(name))
	c.Set("X-Content-Type-Options", "nosniff")
	db, sc, unitID := s.Store.R(), p.Scope(), p.UnitID
	log := s.log(c).With("export", "filings", "unit_id", unitID)
	streamCSV(c, log, filingsCSVHeader, func(emit func([]string) error) error {
		return models.FilingsForExport(ctx, db, sc, unitID, f, 100_000, func(x *models.Filing) error {
			note := "審核正確"
			if x.Status == models.FilingError {
				note = "檢核錯誤"
			}
			if x.Voided != "" {
				note += "（" + label("void", x.Voided) + "）"
			}
			amount := ""
			if x.Amount > 0 {
				amount = strconv.Itoa(x.Amount)
			}
			return emit([]string{note, x.Codes, sourceNames[x.Source], kindNames[x.Kind], opNames[x.Operation],
				rocdate.FormatSlash(dateOf(x.FiledOn)), personNames[x.Person], x.InsuredID, x.DependentID, csvCell(x.Name), sexNames[x.Sex],
				birthCell(dateOf(x.Birth)), amount, yes(x.PartTime), rocdate.FormatSlash(dateOf(x.EffectiveDate)), ageConfirmText(x)})
		})
	})
	return nil
}

// yes is a CSV cell for a mark: 是 or empty.
func yes(b bool) string {
	if b {
		return "是"
	}
	return ""
}

// ageConfirmText is why the clerk confirmed code 2, "" when they did not.
func ageConfirmText(f *models.Filing) string {
	if f.AgeConfirm == "" {
		return ""
	}
	if f.AgeConfirmNote == "" {
		return label("age", f.AgeConfirm)
	}
	return label("age", f.AgeConfirm) + "：" + f.AgeConfirmNote
}

// dateOf parses a stored YYYY-MM-DD date.
func dateOf(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// birthCell writes a birth date for a CSV export: "79/03/15", and a 民前
// date in words, "民前 5 年 3 月 1 日", because Excel would compute
// "-005/03/01" as a formula.
func birthCell(t time.Time) string {
	if rocdate.BeforeYear(t) > 0 {
		return rocdate.Format(t)
	}
	return rocdate.FormatSlash(t)
}
