package pdfform_test

import (
	"testing"

	"github.com/multicert/multicert/internal/pdfform"
)

// countWriter counts the bytes written to it.
type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}

func benchmarkRender(b *testing.B, forms []pdfform.Form) {
	r := mustRenderer(b)
	pages := 0
	for _, f := range forms {
		pages += max(1, (len(f.Dependents)+pdfform.DependentsPerPage-1)/pdfform.DependentsPerPage)
	}
	var n countWriter
	for b.Loop() {
		n = 0
		if err := r.Render(&n, forms...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(pages), "B/page")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(forms)), "ns/form")
}

// BenchmarkRenderOne renders one form as its own PDF: the font subset is
// most of the time and of the bytes.
func BenchmarkRenderOne(b *testing.B) {
	benchmarkRender(b, []pdfform.Form{sampleForm()})
}

// BenchmarkRender100 renders 100 forms into one PDF, which embeds the font
// subset once.
func BenchmarkRender100(b *testing.B) {
	forms := make([]pdfform.Form, 100)
	for i := range forms {
		forms[i] = sampleForm()
	}
	benchmarkRender(b, forms)
}

// BenchmarkNewRenderer is the cost Render avoids by keeping the parsed
// fonts: reading and parsing the default fonts.
func BenchmarkNewRenderer(b *testing.B) {
	mustRenderer(b) // skip when the fonts are missing
	for b.Loop() {
		if _, err := pdfform.NewRenderer(); err != nil {
			b.Fatal(err)
		}
	}
}
