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

// drawnPDF waits until PDF.js has drawn the proof document on the page and
// returns how many pages the page reports and the share of pixels of the
// first canvas that are not white.
func drawnPDF(t *testing.T, ctx context.Context, where string) (pages string, inked float64) {
	t.Helper()
	state, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const v = document.querySelector("[data-pdf]"); return v && v.dataset.pdfState !== "loading" && v.dataset.pdfState; })()`,
		chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		status, _, _ := textOf(ctx, "[data-pdf]")
		t.Fatalf("%s: the PDF was not drawn: %v (%q)", where, err, status)
	}
	if state != "done" {
		status, _, _ := textOf(ctx, "[data-pdf]")
		t.Fatalf("%s: PDF view state %q: %s", where, state, status)
	}
	type result struct {
		Pages  string  `json:"pages"`
		Inked  float64 `json:"inked"`
		Canvas int     `json:"canvas"`
		Label  string  `json:"label"`
	}
	r, err := chromedp.Run(ctx, chromedp.Evaluate[result](`(() => {
  const v = document.querySelector("[data-pdf]");
  const c = v.querySelector("canvas");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let inked = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) { inked++; }
  }
  return {pages: v.dataset.pdfPages, inked: inked / (d.length / 4), canvas: v.querySelectorAll("canvas").length,
    label: c.getAttribute("aria-label")};
})()`))
	if err != nil {
		t.Fatalf("%s: reading the canvas: %v", where, err)
	}
	if r.Canvas != 1 || !strings.Contains(r.Label, "第 1 頁，共 1 頁") {
		t.Errorf("%s: %d canvases, first labelled %q; want 1, 第 1 頁，共 1 頁", where, r.Canvas, r.Label)
	}
	return r.Pages, r.Inked
}

// TestReviewerSeesPDFProof is item 6 of issue 10 in a browser: a unit
// uploads a real PDF, sees it drawn on its request page, and a reviewer
// sees it drawn inline (a canvas with ink, not the broken-document icon of
// a sandboxed frame), under the site's Content-Security-Policy.
func TestReviewerSeesPDFProof(t *testing.T) {
	srv := startServer(t)
	unit := newBrowser(t)
	unitWatch := watchCSP(t, unit)
	unitLogin(t, unit, srv.URL)
	pdf := proofPDF(t, "公司變更登記表.pdf")
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
		chromedp.Click(chromedp.CSS(`form[action="/portal/requests"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "main h1", "審核中"); err != nil {
		t.Fatalf("after submitting: %v", err)
	}
	if pages, inked := drawnPDF(t, unit, "the unit's request page"); pages != "1" || inked < 0.01 {
		t.Errorf("the unit's request page: %s pages, %.2f%% of the canvas inked; want 1 page, some ink", pages, inked*100)
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
	pages, inked := drawnPDF(t, staff, "the review page")
	if pages != "1" || inked < 0.01 {
		t.Errorf("the review page: %s pages, %.2f%% of the canvas inked; want 1 page, some ink", pages, inked*100)
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
