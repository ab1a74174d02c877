package handlers

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// 列印及媒體上傳 → 媒體上傳: many filings at once from a CSV file.

// UploadRow is one line of the upload report.
type UploadRow struct {
	Line  int
	Name  string
	Err   string
	Codes []rules.Info
	// ByForm: the row has code 2, a warning the upload cannot confirm; the
	// clerk files it through the form with a reason.
	ByForm bool
}

// UploadView is the model of 媒體上傳 and its report.
type UploadView struct {
	Page
	Columns   []filingcsv.Column
	Done      bool
	Encoding  string
	Rows      int
	Accepted  int
	Rejected  []UploadRow
	AllOrNone bool
	NothingIn bool // all-or-nothing with a bad row: nothing was imported
	FileErr   string
}

func (s *Server) uploadView(c *fiber.Ctx) UploadView {
	return UploadView{Page: s.page(c, "媒體上傳", "upload"), Columns: filingcsv.Columns, AllOrNone: true}
}

// showUpload shows the layout, the templates and the upload form.
func (s *Server) showUpload(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "upload", s.uploadView(c))
}

// downloadTemplate sends the CSV template, UTF-8 (default) or Big5.
func (s *Server) downloadTemplate(c *fiber.Ctx) error {
	body, name := filingcsv.Template(), "filings-template-utf8.csv"
	if c.Query("encoding") == "big5" {
		body, name = filingcsv.TemplateBig5(), "filings-template-big5.csv"
	}
	c.Set(fiber.HeaderContentType, "text/csv")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(body)
}

// uploadFilings reads the file, validates every row with the entry form's
// rules, and imports in one transaction: all valid rows, or — when the unit
// chose so — all or nothing.
func (s *Server) uploadFilings(c *fiber.Ctx) error {
	p := principal(c)
	vm := s.uploadView(c)
	vm.AllOrNone = c.FormValue("mode") != "valid_only"
	fh, err := c.FormFile("file")
	if err != nil {
		vm.FileErr = "請選擇要上傳的 CSV 檔。"
		return s.render(c, fiber.StatusUnprocessableEntity, "upload", vm)
	}
	if fh.Size > filingcsv.DefaultMaxBytes {
		return apperr.Newf(apperr.TooLarge, "檔案超過 %d MB，請分成幾個檔案上傳（每檔最多 %d 筆）。", filingcsv.DefaultMaxBytes>>20, filingcsv.DefaultMaxRows)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := filingcsv.Parse(f, filingcsv.DefaultMaxBytes, filingcsv.DefaultMaxRows)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			return err
		}
		if e.Code == apperr.TooLarge {
			return err
		}
		vm.FileErr = e.Message
		return s.render(c, fiber.StatusUnprocessableEntity, "upload", vm)
	}
	vm.Done, vm.Encoding, vm.Rows = true, res.Encoding, len(res.Rows)
	var good []rules.Filing
	var lines []int
	for _, r := range res.Rows {
		if r.Err != "" {
			vm.Rejected = append(vm.Rejected, UploadRow{Line: r.Line, Name: r.Filing.Name, Err: r.Err})
			continue
		}
		good = append(good, r.Filing)
		lines = append(lines, r.Line)
	}
	if len(vm.Rejected) > 0 && vm.AllOrNone {
		vm.NothingIn = true
		return s.render(c, fiber.StatusUnprocessableEntity, "upload", vm)
	}
	by := models.Filer{Actor: p.Actor(c), UnitID: p.UnitID, ClerkID: p.ClerkID, Source: "upload"}
	stored, err := s.Store.SubmitFilings(c.UserContext(), by, good, vm.AllOrNone)
	var br *models.BatchRefused
	if errors.As(err, &br) {
		for _, row := range br.Rows {
			byForm := slices.ContainsFunc(row.Codes, func(i rules.Info) bool { return rules.Warning(i.Code) })
			vm.Rejected = append(vm.Rejected, UploadRow{Line: lines[row.Index], Name: good[row.Index].Name, Codes: row.Codes, ByForm: byForm})
		}
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
