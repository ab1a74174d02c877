package handlers

import (
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// 列印及媒體上傳 → 媒體上傳: many filings at once from a CSV or .xlsx file.
// The page's form asks for a preview (step=preview): the file is read and
// checked, nothing stored, and the rows wait for the clerk's confirmation
// (upload_confirm.go). A post without step imports at once, as before the
// preview existed.

// parsedUpload is a read file: the rows to submit, with their lines, and
// the rows that could not be read.
type parsedUpload struct {
	res      *filingcsv.Result
	good     []rules.Filing
	lines    []int
	rejected []UploadRow
}

// readUpload reads the posted file, CSV or .xlsx by its content. It
// returns a message for the form when the file as a whole is refused, or
// an error for the error handler (too large, a read failure).
func (s *Server) readUpload(c *fiber.Ctx) (*parsedUpload, string, error) {
	p := principal(c)
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, "請選擇要上傳的 CSV 或 Excel（.xlsx）檔。", nil
	}
	if fh.Size > filingcsv.DefaultMaxBytes {
		return nil, "", apperr.Newf(apperr.TooLarge, "檔案超過 %d MB，請分成幾個檔案上傳（每檔最多 %d 筆）。", filingcsv.DefaultMaxBytes>>20, filingcsv.DefaultMaxRows)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	parse := filingcsv.Parse
	if filingcsv.IsXLSX(head[:n]) || strings.EqualFold(path.Ext(fh.Filename), ".xlsx") {
		parse = filingcsv.ParseXLSX
	}
	res, err := parse(f, filingcsv.DefaultMaxBytes, filingcsv.DefaultMaxRows)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code == apperr.TooLarge {
			return nil, "", err
		}
		return nil, e.Message, nil
	}
	var unitCode string
	if res.Layout != "" && res.Layout != filingcsv.LayoutOwn {
		u, err := models.UnitByID(c.UserContext(), s.Store.R(), p.Scope(), p.UnitID)
		if err != nil {
			return nil, "", err
		}
		unitCode = u.Code
	}
	out := &parsedUpload{res: res}
	for _, r := range res.Rows {
		if r.Err == "" && r.UnitCode != "" && unitCode != "" && r.UnitCode != unitCode {
			r.Err = fmt.Sprintf("第 %d 行「健保投保單位代碼」：%s 不是本單位的代碼 %s，這一筆不是本單位的資料。", r.Line, r.UnitCode, unitCode)
		}
		if r.Err == "" && r.FromRoster {
			// The 眷屬 row of a payroll 退保 file: whom the dependant
			// follows is on the unit's roster.
			dep, err := models.DependentOfUnit(c.UserContext(), s.Store.R(), p.Scope(), p.UnitID, r.Filing.DependentID, r.Filing.EffectiveDate)
			if err != nil {
				return nil, "", err
			}
			if dep == nil {
				r.Err = fmt.Sprintf("第 %d 行：眷屬 %s 在退保日期前不在本單位的投保名單上（或依附不只一位被保險人），無法得知其被保險人。請在檔案加上「眷屬身分證號」等眷屬欄位並在「身分證號」填被保險人，或以單筆申報退保。", r.Line, r.Filing.DependentID)
			} else {
				r.Filing.InsuredID, r.Filing.Relation = dep.InsuredID, dep.Relation
			}
		}
		if r.Err != "" {
			out.rejected = append(out.rejected, UploadRow{Line: r.Line, Name: r.Filing.Name, Err: r.Err})
			continue
		}
		out.good = append(out.good, r.Filing)
		out.lines = append(out.lines, r.Line)
	}
	return out, "", nil
}

// uploadFilings reads the file and validates every row with the entry
// form's rules; with step=preview it shows the rows and waits for the
// clerk's confirmation, otherwise it imports at once.
func (s *Server) uploadFilings(c *fiber.Ctx) error {
	vm := s.uploadView(c)
	vm.AllOrNone = c.FormValue("mode") != "valid_only"
	up, msg, err := s.readUpload(c)
	if err != nil {
		return err
	}
	if msg != "" {
		vm.FileErr = msg
		return s.render(c, fiber.StatusUnprocessableEntity, "upload", vm)
	}
	if c.FormValue("step") == "preview" {
		return s.previewUpload(c, vm, up)
	}
	return s.importUpload(c, vm, up)
}

// importUpload stores the rows in one transaction: all valid rows, or —
// when the unit chose so — all or nothing, and renders the report.
func (s *Server) importUpload(c *fiber.Ctx, vm UploadView, up *parsedUpload) error {
	p := principal(c)
	vm.Done, vm.Encoding, vm.Rows = true, up.res.Encoding, len(up.res.Rows)
	vm.Layout, vm.Ignored = layoutName(up.res.Layout), up.res.Ignored
	vm.Rejected = slices.Clone(up.rejected)
	if len(vm.Rejected) > 0 && vm.AllOrNone {
		vm.NothingIn = true
		return s.render(c, fiber.StatusUnprocessableEntity, "upload", vm)
	}
	by := models.Filer{Actor: p.Actor(c), UnitID: p.UnitID, ClerkID: p.ClerkID, Source: "upload"}
	stored, err := s.Store.SubmitFilings(c.UserContext(), by, up.good, vm.AllOrNone)
	var br *models.BatchRefused
	if errors.As(err, &br) {
		vm.Rejected = append(vm.Rejected, codeRows(br.Rows, up)...)
		sort.Slice(vm.Rejected, func(i, j int) bool { return vm.Rejected[i].Line < vm.Rejected[j].Line })
		vm.NothingIn = vm.AllOrNone
	} else if err != nil {
		return err
	}
	vm.Accepted = len(stored)
	status := fiber.StatusOK
	if len(vm.Rejected) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	if vm.Accepted > 0 {
		s.flash(c, fmt.Sprintf("已匯入 %d 筆，檢核結果：審核正確。", vm.Accepted))
	}
	return s.render(c, status, "upload", vm)
}

// codeRows are the report lines of rows the rules refused.
func codeRows(rows []models.RowError, up *parsedUpload) []UploadRow {
	out := make([]UploadRow, 0, len(rows))
	for _, row := range rows {
		byForm := slices.ContainsFunc(row.Codes, func(i rules.Info) bool { return rules.Warning(i.Code) })
		out = append(out, UploadRow{Line: up.lines[row.Index], Name: up.good[row.Index].Name, Codes: row.Codes, ByForm: byForm})
	}
	return out
}
