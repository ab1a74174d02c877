// Package views embeds the html/template files rendered by the handlers:
// layouts (the top and bottom of each kind of page), pages and partials.
// Fiber's engine puts every file in one template set, so every
// {{define}} name is unique across the directory.
package views

import "embed"

// FS holds the templates.
//
//go:embed layouts pages partials
var FS embed.FS
