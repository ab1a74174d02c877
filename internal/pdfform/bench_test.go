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

func benchmarkRender(b *testing.B, doc pdfform.Document) {
	r := mustRenderer(b)
	pages := doc.Pages()
	var n countWriter
	for b.Loop() {
		n = 0
		if err := r.Render(&n, doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(pages), "B/page")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(pages), "ns/page")
}

// BenchmarkRenderOne renders one page as its own PDF: the font subset is
// most of the time and of the bytes.
func BenchmarkRenderOne(b *testing.B) {
	benchmarkRender(b, sampleDoc())
}

// BenchmarkRender100 renders 100 pages into one PDF (100 insured persons
// with two dependents each, one to a page), which embeds the font subset
// once.
func BenchmarkRender100(b *testing.B) {
	forms := make([]pdfform.Form, 100)
	for i := range forms {
		forms[i] = sampleForm()
	}
	benchmarkRender(b, sampleDoc(forms...))
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
