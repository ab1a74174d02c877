package handlers

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// auditCSVHeader names the export's columns.
var auditCSVHeader = []string{
	"序號", "時間（臺北）", "執行者類別", "執行者", "角色", "業務組", "投保單位代號", "投保單位名稱",
	"動作", "動作代碼", "對象類型", "對象編號", "原因", "來源 IP", "變更前", "變更後", "雜湊值", "前一筆雜湊值",
}

// csvCell guards against formula injection: a spreadsheet runs a cell
// that starts with = + - @ (or a tab or carriage return, which some
// spreadsheets skip before one), so such cells get a leading single quote.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func auditCSVRecord(r *models.AuditRow) []string {
	at := r.At.In(models.Taipei())
	opt := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	branch, role := "", ""
	if r.BranchCode != nil {
		branch = models.BranchNames[*r.BranchCode]
	}
	if r.Role != "" {
		role = label("role", r.Role)
	}
	rec := []string{
		strconv.FormatInt(r.Seq, 10), rocdate.FormatSlash(at) + " " + at.Format("15:04:05"),
		label("actor", r.ActorKind), r.ActorName, role, branch, opt(r.UnitCode), opt(r.UnitName),
		actionName(r.Action), r.Action, r.ObjectType, r.ObjectID, r.Reason, r.ClientIP,
		r.BeforeJSON, r.AfterJSON, r.Hash, r.PrevHash,
	}
	for i := range rec {
		rec[i] = csvCell(rec[i])
	}
	return rec
}

// exportAudit streams the events matching the search as CSV (UTF-8 with a
// byte order mark, so that Excel reads the Chinese), at most
// models.MaxAuditExport, newest first. The export is recorded in the audit
// log before the first byte is sent; a wrong filter re-renders the search.
func (s *Server) exportAudit(c *fiber.Ctx) error {
	p := principal(c)
	form := readAuditForm(c.FormValue)
	f, errs := form.filter()
	if errs != nil {
		vm := s.auditSearchView(c, form)
		vm.Errors = errs
		return s.render(c, fiber.StatusUnprocessableEntity, "audit_search", vm)
	}
	x, err := s.Store.StartAuditExport(c.UserContext(), p.Actor(c), p.Scope(), f, models.MaxAuditExport)
	if err != nil {
		return err
	}
	day := rocdate.FormatCompact(s.Store.Now().In(models.Taipei()))
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="audit-log-`+day+`.csv"; filename*=UTF-8''`+
		url.PathEscape("稽核紀錄-"+day+".csv"))
	c.Set(fiber.HeaderCacheControl, "private, no-store")

	// The writer runs after this handler has returned, when Fiber's context
	// is gone: it keeps only what it needs.
	ctx, db, log := c.UserContext(), s.Store.R(), s.log(c).With("export", "audit", "of", x.Rows)
	c.Status(fiber.StatusOK)
	streamCSV(c, log, auditCSVHeader, func(emit func([]string) error) error {
		return x.Each(ctx, db, func(r *models.AuditRow) error { return emit(auditCSVRecord(r)) })
	})
	return nil
}
