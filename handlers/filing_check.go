package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rules"
)

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
