package pdfform

import (
	"strconv"
	"strings"
)

// Wrap exposes the line breaking to the external tests; limit is in ems.
func (r *Renderer) Wrap(s string, limit float64) ([]string, error) {
	return r.wrap(s, limit*1000)
}

// FixToUnicode exposes the ToUnicode repair to the external tests.
var FixToUnicode = fixToUnicode

// Paginate lays forms out as Render does and describes each page: its rows
// as "form" (the insured's own row) or "form.dependent", "…" first when the
// page continues a form (續上頁) and last when its form continues on the
// next page (下頁續).
func Paginate(forms []Form) []string {
	var out []string
	for _, p := range paginate(forms) {
		var parts []string
		if p.contFrom {
			parts = append(parts, "…")
		}
		for _, s := range p.rows {
			if s.dep < 0 {
				parts = append(parts, strconv.Itoa(s.form))
			} else {
				parts = append(parts, strconv.Itoa(s.form)+"."+strconv.Itoa(s.dep))
			}
		}
		if p.contNext {
			parts = append(parts, "…")
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}
