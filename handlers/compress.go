package handlers

import (
	"bytes"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// compressor is what Fiber's compress middleware runs after the handler:
// brotli or gzip as the client accepts, fast levels (pages are made per
// request), bodies under 200 bytes left alone, Vary: Accept-Encoding added.
var compressor = fasthttp.CompressHandlerBrotliLevel(func(*fasthttp.RequestCtx) {},
	fasthttp.CompressBrotliBestSpeed, fasthttp.CompressBestSpeed)

// compressedTypes are the content types worth compressing: pages, styles,
// scripts. Fiber's middleware would compress any application/* type,
// including PDFs and downloads that are compressed already or streamed.
var compressedTypes = [][]byte{
	[]byte("text/html"),
	[]byte("text/css"),
	[]byte("text/javascript"),
	[]byte("application/javascript"),
}

// compress compresses HTML, CSS and JavaScript answers. It sits outside
// catchErrors, so error pages are compressed too.
func compress(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return err
	}
	ct := c.Response().Header.ContentType()
	for _, t := range compressedTypes {
		if bytes.HasPrefix(ct, t) {
			// The answer depends on Accept-Encoding even when this one
			// is too small to compress: caches must know.
			c.Vary(fiber.HeaderAcceptEncoding)
			if strings.HasPrefix(c.Path(), "/static/") && c.Response().StatusCode() == fiber.StatusOK {
				compressStatic(c)
				return nil
			}
			compressor(c.Context())
			return nil
		}
	}
	if c.Response().StatusCode() == fiber.StatusNotModified {
		c.Vary(fiber.HeaderAcceptEncoding)
	}
	return nil
}

// staticCompressed keeps the static files compressed, by ETag (a hash of
// the content) and encoding: they are few and do not change, and PDF.js's
// worker (1.3 MB) takes about 10 ms of CPU to compress.
var staticCompressed sync.Map // ETag + " " + encoding → compressed body

// compressStatic compresses a static file once per encoding.
func compressStatic(c *fiber.Ctx) {
	etag := c.Response().Header.Peek(fiber.HeaderETag)
	enc := ""
	switch {
	case len(etag) == 0:
	case c.Request().Header.HasAcceptEncoding("br"): // the choice the compressor makes
		enc = "br"
	case c.Request().Header.HasAcceptEncoding("gzip"):
		enc = "gzip"
	}
	if enc == "" {
		compressor(c.Context())
		return
	}
	key := string(etag) + " " + enc // a copy: the header's bytes are reused
	if b, ok := staticCompressed.Load(key); ok {
		c.Response().SetBodyRaw(b.([]byte))
		c.Response().Header.SetContentEncoding(enc)
		return
	}
	compressor(c.Context())
	if string(c.Response().Header.ContentEncoding()) == enc {
		staticCompressed.Store(key, bytes.Clone(c.Response().Body()))
	}
}
