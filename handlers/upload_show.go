package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/rules"
)

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
	Layouts   []filingcsv.Layout
	Done      bool
	Encoding  string
	Layout    string // the name of an .xlsx file's layout
	Ignored   []string
	Rows      int
	Accepted  int
	Rejected  []UploadRow
	AllOrNone bool
	NothingIn bool // all-or-nothing with a bad row: nothing was imported
	FileErr   string
	Preview   *UploadPreview
}

func (s *Server) uploadView(c *fiber.Ctx) UploadView {
	return UploadView{Page: s.page(c, "媒體上傳", "upload"), Columns: filingcsv.Columns, Layouts: filingcsv.Layouts, AllOrNone: true}
}

// showUpload shows the layout, the templates and the upload form.
func (s *Server) showUpload(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "upload", s.uploadView(c))
}

func layoutName(id string) string {
	if l, ok := filingcsv.LayoutByID(id); ok {
		return l.Name
	}
	return ""
}
