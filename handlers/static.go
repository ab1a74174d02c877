package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

var etags sync.Map // file name → ETag

// serveStatic serves a file of the embedded static directory. Names are
// flat: anything with a path separator is not found.
func (s *Server) serveStatic(c *fiber.Ctx) error {
	// Cloned: the name is kept as a key of etags, and Fiber reuses the
	// memory behind c.Params after the request (zero-copy).
	name := strings.Clone(c.Params("name"))
	if name == "" || name != path.Base(name) || name[0] == '.' {
		return fiber.ErrNotFound
	}
	b, err := fs.ReadFile(staticFS, name)
	if err != nil {
		return fiber.ErrNotFound
	}
	tag, ok := etags.Load(name)
	if !ok {
		sum := sha256.Sum256(b)
		tag = `"` + hex.EncodeToString(sum[:8]) + `"`
		etags.Store(name, tag)
	}
	c.Set(fiber.HeaderETag, tag.(string))
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	if c.Get(fiber.HeaderIfNoneMatch) == tag.(string) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js", ".mjs":
		// Module scripts (PDF.js) are refused under nosniff unless served as
		// JavaScript; the system's MIME table may not know .mjs.
		ct = "text/javascript; charset=utf-8"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	return c.Send(b)
}
