package handlers

import (
	"bytes"

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
			compressor(c.Context())
			return nil
		}
	}
	if c.Response().StatusCode() == fiber.StatusNotModified {
		c.Vary(fiber.HeaderAcceptEncoding)
	}
	return nil
}
