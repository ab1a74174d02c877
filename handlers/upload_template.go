package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/filingcsv"
)

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

// downloadTemplateXLSX sends the .xlsx template of a layout (?layout=).
func (s *Server) downloadTemplateXLSX(c *fiber.Ctx) error {
	id := c.Query("layout", filingcsv.LayoutOwn)
	body, err := filingcsv.TemplateXLSX(id)
	if err != nil {
		return apperr.New(apperr.NotFound, "沒有這種範本。")
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="filings-template-`+id+`.xlsx"`)
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(body)
}
