package handlers

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/upload"
	"github.com/multicert/multicert/models"
)

// downloadDocument sends a proof document as an attachment (see
// sendDocument); the request page draws PDFs from these bytes with PDF.js.
func (s *Server) downloadDocument(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "did")
	if err != nil {
		return err
	}
	d, err := models.DocumentByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	return sendDocument(c, d)
}

// sendDocument writes a stored document so that no browser renders it:
// always an attachment (a link opened in a new window downloads; a PDF's
// JavaScript never runs in the browser's viewer), never sniffed, and
// sandboxed should anything display it anyway. fetch (PDF.js) and <img>
// ignore the disposition. The file name is the display name, stripped of
// controls when uploaded, with the extension of the stored type, in
// RFC 6266 / RFC 5987 form with an ASCII fallback.
func sendDocument(c *fiber.Ctx, d *models.ChangeDocument) error {
	ext := upload.Extension(d.ContentType)
	fallback := "document-" + strconv.FormatInt(d.ID, 10) + ext
	name := upload.DisplayName(d.FileName)
	if !strings.EqualFold(path.Ext(name), ext) && !(ext == ".jpg" && strings.EqualFold(path.Ext(name), ".jpeg")) {
		name += ext
	}
	c.Set(fiber.HeaderContentType, d.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+fallback+`"; filename*=UTF-8''`+rfc5987(name))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderLastModified, d.CreatedAt.UTC().Format(time.RFC1123))
	return c.Status(fiber.StatusOK).Send(d.Data)
}

// rfc5987 percent-encodes s as an RFC 5987 ext-value: every byte but the
// attr-chars.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
