package pdfform

// Wrap exposes the line breaking to the external tests; limit is in ems.
func (r *Renderer) Wrap(s string, limit float64) ([]string, error) {
	return r.wrap(s, limit*1000)
}

// FixToUnicode exposes the ToUnicode repair to the external tests.
var FixToUnicode = fixToUnicode
