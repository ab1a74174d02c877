package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// cspWatch records, for one tab, the Content-Security-Policy violations
// that the page reports (securitypolicyviolation, in every document it
// opens) and the console lines that speak of a refusal or of PDF.js giving
// up its worker.
type cspWatch struct {
	mu    sync.Mutex
	lines []string
}

func watchCSP(t *testing.T, ctx context.Context) *cspWatch {
	t.Helper()
	w := &cspWatch{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if s := m.String(); strings.Contains(s, "Content Security Policy") || strings.Contains(s, "Refused to") ||
				strings.Contains(s, "fake worker") {
				w.mu.Lock()
				w.lines = append(w.lines, s)
				w.mu.Unlock()
			}
		}
	}()
	const script = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});`
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// check fails the test if the open page or the console reported a
// violation.
func (w *cspWatch) check(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations || []`))
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	got = append(got, w.lines...)
	w.mu.Unlock()
	if len(got) > 0 {
		t.Errorf("%s: Content-Security-Policy violations or a refused worker:\n  %s", where, strings.Join(got, "\n  "))
	}
}

// drawnPDF waits until PDF.js has drawn the i-th PDF proof document of the
// page, scrolls its view to the end (later pages are drawn as they come
// into view), and returns how many pages the page reports and, for each
// canvas, the share of its pixels that are not white. It fails the test
// unless there is one canvas per page, labelled with its number.
func drawnPDF(t *testing.T, ctx context.Context, where string, i int) (pages string, inked []float64) {
	t.Helper()
	view := fmt.Sprintf(`document.querySelectorAll("[data-pdf]")[%d]`, i)
	state, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const v = `+view+`; return v && v.dataset.pdfState !== "loading" && v.dataset.pdfState; })()`,
		chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		t.Fatalf("%s, PDF %d: not drawn: %v", where, i+1, err)
	}
	if state != "done" {
		status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](view+`.textContent`))
		t.Fatalf("%s, PDF %d: view state %q: %s", where, i+1, state, status)
	}
	type result struct {
		Pages  string    `json:"pages"`
		Inked  []float64 `json:"inked"`
		Labels []string  `json:"labels"`
	}
	measure := `(() => {
  const v = ` + view + `;
  v.scrollTop = v.scrollHeight;
  const canvases = [...v.querySelectorAll("canvas")];
  const inked = canvases.map((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) { n++; }
    }
    return n / (d.length / 4);
  });
  return {pages: v.dataset.pdfPages, inked, labels: canvases.map((c) => c.getAttribute("aria-label"))};
})()`
	// Poll until every canvas has ink, then read the result once more to
	// report it either way.
	chromedp.Run(ctx, chromedp.Poll[bool](measure+`.inked.every((x) => x > 0.01)`, //nolint:errcheck // checked below
		chromedp.WithPollingTimeout(waitTimeout)))
	r, err := chromedp.Run(ctx, chromedp.Evaluate[result](measure))
	if err != nil {
		t.Fatalf("%s, PDF %d: reading the canvases: %v", where, i+1, err)
	}
	if fmt.Sprint(len(r.Labels)) != r.Pages {
		t.Errorf("%s, PDF %d: %d canvases for %s pages", where, i+1, len(r.Labels), r.Pages)
	}
	for n, l := range r.Labels {
		if want := fmt.Sprintf("第 %d 頁，共 %s 頁", n+1, r.Pages); !strings.Contains(l, want) {
			t.Errorf("%s, PDF %d: canvas %d labelled %q, want %q", where, i+1, n+1, l, want)
		}
	}
	return r.Pages, r.Inked
}

// wantInked checks that every page of a PDF view has ink.
func wantInked(t *testing.T, where string, i int, pages string, wantPages string, inked []float64) {
	t.Helper()
	if pages != wantPages {
		t.Errorf("%s, PDF %d: %s pages, want %s", where, i+1, pages, wantPages)
	}
	for n, x := range inked {
		if x < 0.01 {
			t.Errorf("%s, PDF %d, page %d: %.2f%% of the canvas inked, want some ink", where, i+1, n+1, x*100)
		}
	}
}

// TestReviewerSeesPDFProof is item 6 of issue 10 in a browser: a unit
// uploads two real PDFs (one drawn, one like a black-and-white scan), sees
// them drawn on its request page, and a reviewer sees them drawn inline
// (canvases with ink, not the broken-document icon of a sandboxed frame),
// under the site's Content-Security-Policy.
func TestReviewerSeesPDFProof(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	unit := newBrowser(t)
	unitWatch := watchCSP(t, unit)
	unitLogin(t, unit, srv.URL)
	pdf, scan := proofPDF(t, "公司變更登記表.pdf"), scannedPDF(t, "掃描.pdf")
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	err := chromedp.Do(unit,
		chromedp.Navigate(srv.URL+"/portal/requests"),
		chromedp.WaitVisible(chromedp.ID("effective_date")),
		chromedp.SendKeys(chromedp.ID("effective_date"), fmt.Sprintf("%d/%02d/%02d", now.Year()-1911, now.Month(), now.Day())),
		chromedp.Click(chromedp.CSS(`input[name="change_name"]`)),
		chromedp.SendKeys(chromedp.ID("new_name"), "證明文件實業股份有限公司"),
		chromedp.SendKeys(chromedp.ID("contact_name"), "王大明"),
		chromedp.SendKeys(chromedp.ID("contact_phone"), "(02)2345-6789"),
		chromedp.SetUploadFiles(chromedp.ID("doc1"), []string{pdf}),
		chromedp.SetUploadFiles(chromedp.ID("doc2"), []string{scan}),
		chromedp.Click(chromedp.CSS(`form[action="/portal/requests"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "main h1", "審核中"); err != nil {
		t.Fatalf("after submitting: %v", err)
	}
	for i, want := range []string{"1", "2"} {
		pages, inked := drawnPDF(t, unit, "the unit's request page", i)
		wantInked(t, "the unit's request page", i, pages, want, inked)
	}
	unitWatch.check(t, unit, "the unit's request page")

	staff := newBrowser(t)
	staffWatch := watchCSP(t, staff)
	loginOK(t, staff, srv.URL, "taipei.staff")
	err = chromedp.Do(staff,
		chromedp.Navigate(srv.URL+"/console/reviews"),
		chromedp.Click(`//table//a[starts-with(@href,"/console/reviews/")]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(staff, "main", "證明文件實業股份有限公司"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"1", "2"} {
		pages, inked := drawnPDF(t, staff, "the review page", i)
		wantInked(t, "the review page", i, pages, want, inked)
	}
	// The text alternative: the file name and the page count, and a link
	// that downloads the file instead of rendering it.
	if _, err := waitText(staff, "[data-pdf] [data-pdf-status]", "證明文件一：公司變更登記表.pdf，共 1 頁"); err != nil {
		t.Error(err)
	}
	link, err := chromedp.Run(staff, chromedp.Evaluate[string](`(() => {
  const a = [...document.querySelectorAll("figcaption a")].find((a) => a.textContent.includes("下載原檔"));
  return a ? a.getAttribute("href") + " " + a.hasAttribute("download") : "";
})()`))
	if err != nil || !strings.HasPrefix(link, "/console/documents/") || !strings.HasSuffix(link, " true") {
		t.Errorf("download link %q, %v; want /console/documents/… with download", link, err)
	}
	staffWatch.check(t, staff, "the review page")
}

// scannedPDF writes a PDF like a black-and-white scan: two pages, each
// holding a CCITT group 4 image (a black box, 64×32 pixels), which PDF.js
// decodes with its JavaScript decoder (jbig2_nowasm_fallback.js), loaded by
// the worker.
func scannedPDF(t *testing.T, name string) string {
	t.Helper()
	const width, height = 64, 32
	// Group 4 (T.6): the first row against an imaginary white row is a
	// horizontal mode of white 0 and black 64; every further row is the
	// same as the one above, two vertical-0 codes.
	bits := "001" + "00110101" + "0000001111" + "0000110111"
	for range height - 1 {
		bits += "11"
	}
	bits += "000000000001000000000001" // end of facsimile block
	data := make([]byte, (len(bits)+7)/8)
	for i, c := range bits {
		if c == '1' {
			data[i/8] |= 0x80 >> (i % 8)
		}
	}
	content := "q 400 0 0 200 97 500 cm /Im1 Do Q"
	return pdfFile(t, name,
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
		pdfStream("", content),
		pdfStream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 "+
			"/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %d /Rows %d >>", width, height, width, height), string(data)),
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
	)
}
