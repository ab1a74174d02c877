// Package static embeds the files served under /static: the stylesheet,
// htmx (vendored from the npm package htmx.org) and PDF.js (from
// pdfjs-dist; see README.md here) and the page-side scripts.
package static

import "embed"

// FS holds the static files.
//
//go:embed *.css *.js *.mjs *.txt *.svg
var FS embed.FS
