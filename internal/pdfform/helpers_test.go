package pdfform_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/testenv"
)

// skipOrFail skips the test with msg, or fails it when MULTICERT_REQUIRE_PDFTOOLS is set.
func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	testenv.Missing(tb, testenv.PDFTools, msg+"; run scripts/fonts/install.sh as root")
}

// requireTool returns the path of a poppler-utils program.
func requireTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		skipOrFail(tb, name+" (Debian package poppler-utils) is not installed")
	}
	return p
}

var (
	sharedOnce sync.Once
	shared     *pdfform.Renderer
	sharedErr  error
)

// mustRenderer returns one Renderer with the default fonts, shared by every
// test and benchmark: loading reads up to 132 MB of font files.
func mustRenderer(tb testing.TB) *pdfform.Renderer {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = pdfform.NewRenderer() })
	if errors.Is(sharedErr, pdfform.ErrNoFont) {
		skipOrFail(tb, "no font: "+sharedErr.Error())
	}
	if sharedErr != nil {
		tb.Fatalf("NewRenderer() error: %v", sharedErr)
	}
	return shared
}

// requireFont returns path when the file exists.
func requireFont(tb testing.TB, path string) string {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		skipOrFail(tb, "font not installed: "+path)
	}
	return path
}

var (
	sungPath = pdfform.DebianFontPaths[0]
	extBPath = pdfform.DebianFontPaths[1]
	plusPath = pdfform.DebianFontPaths[2]
)

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// sampleForm is an insured person with a rare-character name (峯 and
// 堃) and two dependents, filed for enrolment.
func sampleForm() pdfform.Form {
	return pdfform.Form{
		Insured: pdfform.Person{Name: "林峯堃", IDNo: "A123456789", Birth: date(1979, 1, 1), Reason: "到職起薪", Date: date(2019, 12, 11)},
		Amount:  45800,
		Dependents: []pdfform.Person{
			{Name: "陳美玲", IDNo: "B223456789", Birth: date(1981, 5, 20), Relation: "配偶", Reason: "隨同被保險人加保", Date: date(2019, 12, 11)},
			{Name: "林犇", IDNo: "A134567890", Birth: date(2010, 11, 3), Relation: "子女", Reason: "隨同被保險人加保", Date: date(2019, 12, 12)},
		},
	}
}

// sampleDoc is the enrolment form of the forms given, sampleForm when
// none is.
func sampleDoc(forms ...pdfform.Form) pdfform.Document {
	if len(forms) == 0 {
		forms = []pdfform.Form{sampleForm()}
	}
	return pdfform.Document{
		Kind:     pdfform.Enrol,
		UnitName: "峯堃國際股份有限公司",
		UnitCode: "012345678",
		FilledOn: date(2019, 12, 24),
		FormNo:   "C",
		Forms:    forms,
	}
}

// mustRender renders doc with r and checks the PDF's structure.
func mustRender(tb testing.TB, r *pdfform.Renderer, doc pdfform.Document) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, doc); err != nil {
		tb.Fatalf("Render() error: %v", err)
	}
	checkXref(tb, buf.Bytes())
	return buf.Bytes()
}

var (
	xrefEntry = regexp.MustCompile(`(?m)^(\d{10}) 00000 n \r?$`)
	startxref = regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`)
	pageObj   = regexp.MustCompile(`/Type /Page\b[^s]`)
)

// checkXref checks that startxref and every cross-reference entry point
// where they should: a PDF reader would otherwise have to repair the file.
func checkXref(tb testing.TB, pdf []byte) {
	tb.Helper()
	m := startxref.FindSubmatch(pdf)
	if m == nil {
		tb.Fatal("PDF has no startxref")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if off >= len(pdf) || !bytes.HasPrefix(pdf[off:], []byte("xref\n")) {
		tb.Fatalf("startxref %d does not point at the xref table", off)
	}
	for i, e := range xrefEntry.FindAllSubmatch(pdf[off:], -1) {
		o, _ := strconv.Atoi(string(e[1]))
		want := strconv.Itoa(i+1) + " 0 obj\n"
		if o >= len(pdf) || !bytes.HasPrefix(pdf[o:], []byte(want)) {
			tb.Fatalf("xref entry %d: offset %d does not start %q", i+1, o, want)
		}
	}
}

// countPages counts the page objects of a PDF written by gopdf.
func countPages(pdf []byte) int { return len(pageObj.FindAll(pdf, -1)) }

// pdfText extracts the text of pages first to last (0 for all) with
// pdftotext.
func pdfText(tb testing.TB, pdf []byte, first, last int) string {
	tb.Helper()
	bin := requireTool(tb, "pdftotext")
	args := []string{"-enc", "UTF-8"}
	if first > 0 {
		args = append(args, "-f", strconv.Itoa(first), "-l", strconv.Itoa(last))
	}
	cmd := exec.Command(bin, append(args, "-", "-")...)
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		tb.Errorf("pdftotext complained: %s", stderr.String())
	}
	return string(out)
}
