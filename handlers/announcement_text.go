package handlers

import (
	"html/template"
	"regexp"
	"strings"
)

// reURL finds web addresses in an announcement's plain text. Trailing
// punctuation of the sentence around it (。，） etc.) is not part of it.
var reURL = regexp.MustCompile(`https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+`)

// linkify renders an announcement's plain text as HTML: every character
// escaped, line breaks kept, and http(s) addresses made into links that
// open without giving the target page this one (noopener). Staff cannot
// write HTML: what they type is shown as typed.
func linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range reURL.FindAllStringIndex(text, -1) {
		url := strings.TrimRight(text[m[0]:m[1]], ".,;:!?)]'")
		end := m[0] + len(url)
		b.WriteString(breaks(template.HTMLEscapeString(text[last:m[0]])))
		esc := template.HTMLEscapeString(url)
		b.WriteString(`<a href="` + esc + `" rel="noopener noreferrer" target="_blank">` + esc + `</a>`)
		last = end
	}
	b.WriteString(breaks(template.HTMLEscapeString(text[last:])))
	return template.HTML(b.String()) //nolint:gosec // every part above is escaped
}

func breaks(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "<br>\n")
}

func init() { funcs["linkify"] = linkify }
