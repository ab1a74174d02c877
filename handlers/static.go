package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
)

// staticVersions holds, per file of the static directory, the first hex
// digits of its SHA-256, computed once at start: pages ask for
// /static/NAME?v=VERSION (the static template function), so that a new
// release's files are fetched at once and a versioned address can be kept
// by the browser for a year; it is also the file's ETag.
var staticVersions = func() map[string]string {
	m := map[string]string{}
	entries, err := fs.ReadDir(staticFS, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(staticFS, e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return m
}()

// staticURL is the address of a static file with its version; a name not
// in the directory is a mistake in a template, and fails its render.
func staticURL(name string) (string, error) {
	v, ok := staticVersions[name]
	if !ok {
		return "", fmt.Errorf("static: no file %q", name)
	}
	return "/static/" + name + "?v=" + v, nil
}

// serveStatic serves a file of the embedded static directory. Names are
// flat: anything with a path separator is not found.
func (s *Server) serveStatic(c *fiber.Ctx) error {
	name := c.Params("name") // used within the request only
	if name == "" || name != path.Base(name) || name[0] == '.' {
		return fiber.ErrNotFound
	}
	b, err := fs.ReadFile(staticFS, name)
	if err != nil {
		return fiber.ErrNotFound
	}
	version := staticVersions[name]
	tag := `"` + version + `"`
	c.Set(fiber.HeaderETag, tag)
	if v := c.Query("v"); v != "" && v == version {
		// This file's own version: it never changes under this address.
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == tag {
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
