package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/internal/testenv"
)

// requirePDFInfo skips (or fails, when the PDF tools are required) without
// poppler-utils.
func requirePDFInfo(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pdfinfo", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, testenv.PDFTools, tool+" missing: run scripts/fonts/install.sh")
		}
	}
}

// watchPrints records the MIME type of every answer to POST /portal/print,
// in order: the browser reports it for a download too.
func watchPrints(t *testing.T, ctx context.Context, base string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var types []string
	posts := map[network.RequestID]bool{} // only touched on the listener's goroutine
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request != nil && ev.Request.Method == "POST" && ev.Request.URL == base+"/portal/print" {
				posts[ev.RequestID] = true
			}
		case *network.EventResponseReceived:
			if posts[ev.RequestID] && ev.Response != nil {
				mu.Lock()
				types = append(types, ev.Response.MimeType)
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(types)
	}
}

// printedPDF is a downloaded form: its file name and each page's text.
type printedPDF struct {
	name  string
	pages []string
}

// downloadPDF runs actions that start a download and waits for one
// complete PDF (pdfinfo reads it), then reads each page with pdftotext.
func downloadPDF(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) printedPDF {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	var path string
	var info []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && path == ""; time.Sleep(200 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
		if len(files) == 1 {
			if o, err := exec.Command("pdfinfo", files[0]).Output(); err == nil {
				path, info = files[0], o
			}
		}
	}
	if path == "" {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("no PDF downloaded (%v)", entries)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo:\n%s", info)
	}
	n, _ := strconv.Atoi(string(m[1]))
	p := printedPDF{name: filepath.Base(path)}
	for i := 1; i <= n; i++ {
		out, err := exec.Command("pdftotext", "-f", strconv.Itoa(i), "-l", strconv.Itoa(i), "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		p.pages = append(p.pages, string(out))
	}
	return p
}

// want checks that the PDF has pages pages and that the text of all of
// them holds each of has.
func (p printedPDF) want(t *testing.T, pages int, has ...string) {
	t.Helper()
	if len(p.pages) != pages {
		t.Errorf("%s: %d pages, want %d", p.name, len(p.pages), pages)
	}
	all := strings.Join(p.pages, "\f")
	for _, s := range has {
		if !strings.Contains(all, s) {
			t.Errorf("%s lacks %q:\n%s", p.name, s, all)
		}
	}
}

// tick is a click on a filing's box in 申報資料套印表格's list.
func tick(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(`#print-form input[name="filing"][aria-label="選取 ` + name + `"]`))
}

// printButton is the list's 列印.
const printButton = `//form[@id="print-form"]//button[normalize-space()="列印"]`
