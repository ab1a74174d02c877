package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/testenv"
	"github.com/multicert/multicert/internal/twid"
)

// clerkLogin logs in as the demo clerk with the citizen certificate,
// who may file (允許使用所有加退保業務功能).
func clerkLogin(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	insertSimCard(t, ctx, base, "自然人憑證：")
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.Click(chromedp.CSS(`input[name="as_unit"]`)),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/portal"); err != nil {
		status, _, _ := textOf(ctx, "#card-status")
		t.Fatalf("clerk login: %v (%s)", err, status)
	}
}

// fillFiling fills the entry form; fields maps input ids to values.
func fillFiling(t *testing.T, ctx context.Context, base string, selects, fields map[string]string) {
	t.Helper()
	actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(base + "/portal/filings/new"), chromedp.WaitVisible(chromedp.ID("insured_id"))}
	for id, v := range selects {
		actions = append(actions, chromedp.SetValue(chromedp.ID(id), v))
	}
	for id, v := range fields {
		actions = append(actions, chromedp.SendKeys(chromedp.ID(id), v))
	}
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// submitFiling presses 申報 from the keyboard, as a clerk tabbing through
// the form does. Leaving the last field sends its check (change), and a
// mouse click on the button can race that check's answer on a busy machine.
func submitFiling(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SendKeys(`//form[@action="/portal/filings"]//button[normalize-space()="申報"]`, kb.Enter)); err != nil {
		t.Fatal(err)
	}
}

// TestClerkFilesDependentFixesCode2 is Q10 without waiting a day: the
// clerk files the insured, then a child with a birth date 10 years after
// the insured's, sees code 2 explained at once (a warning), fixes it, and
// finds both 審核正確 in 異動檢核後查詢.
func TestClerkFilesDependentFixesCode2(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	clerkLogin(t, ctx, srv.URL)

	insuredID, childID := twid.MakeNationalID('A', 1, 5), twid.MakeNationalID('B', 2, 15)
	insured := map[string]string{"insured_id": insuredID, "name": "陳志明", "birth": "074/06/01", "amount": "30300", "effective_date": todayROC()}
	fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "insured", "sex": "M", "reason": "A1"}, insured)
	// The amount is checked once the clerk leaves the field (not while
	// typing: issue 15), and the field is marked invalid.
	if err := chromedp.Do(ctx, clearInput("amount"), chromedp.SendKeys(chromedp.ID("amount"), "30000"), chromedp.Click(chromedp.ID("effective_date"))); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#amount-msg", "30300"); err != nil {
		t.Fatalf("the amount was not checked on leaving the field: %v", err)
	}
	if inv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("amount").getAttribute("aria-invalid") || ""`)); err != nil || inv != "true" {
		t.Errorf("#amount aria-invalid = %q (%v), want true after the check refused it", inv, err)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("amount"), "30300")); err != nil {
		t.Fatal(err)
	}
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatalf("insured: %v", err)
	}

	child := map[string]string{"insured_id": insuredID, "dependent_id": childID, "name": "陳小美", "birth": "084/01/01", "effective_date": todayROC()}
	fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "dependent", "sex": "F", "relation": "3", "reason": "D1"}, child)
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#age-warning", "錯誤代碼 2"); err != nil {
		t.Fatalf("code 2 not shown at once: %v", err)
	}
	if _, err := waitText(ctx, "#age-warning", "14 年"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("birth"), "104/01/01")); err != nil {
		t.Fatal(err)
	}
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatalf("after fixing the birth date: %v", err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/filings")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"陳小美", "陳志明", "審核正確"} { // the demo has filings of its own
		if _, err := waitText(ctx, "#filing-results", want); err != nil {
			t.Fatalf("異動檢核後查詢: %v", err)
		}
	}
}

// TestClerkConfirmsCode2WithReason: code 2 is a warning. From the
// keyboard, the clerk chooses 其他, is told the note is required, writes
// it, confirms, and finds the filing with its reason in 異動檢核後查詢.
func TestClerkConfirmsCode2WithReason(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	clerkLogin(t, ctx, srv.URL)

	insuredID, childID := twid.MakeNationalID('A', 1, 6), twid.MakeNationalID('B', 2, 16)
	fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "insured", "sex": "M", "reason": "A1"},
		map[string]string{"insured_id": insuredID, "name": "陳志明", "birth": "074/06/01", "amount": "30300", "effective_date": todayROC()})
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatalf("insured: %v", err)
	}
	fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "dependent", "sex": "F", "relation": "3", "reason": "D1"},
		map[string]string{"insured_id": insuredID, "dependent_id": childID, "name": "陳小安", "birth": "084/01/01", "effective_date": todayROC()})
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#age-warning", "錯誤代碼 2"); err != nil {
		t.Fatalf("code 2 not shown as a warning: %v", err)
	}
	confirm := `//fieldset[@id="age-confirm"]//button[normalize-space()="確認無誤並申報"]`
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#age-confirm input[name="age_confirm"][value="other"]`), " "),
		chromedp.SendKeys(confirm, kb.Enter),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#age_confirm_note-msg", "請說明原因"); err != nil {
		t.Fatalf("其他 without a note: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("age_confirm_note"), "戶籍登記為子女"),
		chromedp.SendKeys(confirm, kb.Enter),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatalf("after confirming: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/filings")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#filing-results", "錯誤代碼 2 已確認：其他（戶籍登記為子女）"); err != nil {
		t.Fatalf("異動檢核後查詢: %v", err)
	}
}

// TestClerkPrintsTwoFilingsAsOnePDF is Q11: select two filings, print,
// download one PDF with two pages.
func TestClerkPrintsTwoFilingsAsOnePDF(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdfinfo"); err != nil {
		testenv.Missing(t, testenv.PDFTools, "pdfinfo missing: run scripts/fonts/install.sh")
	}
	srv := startServer(t)
	ctx := newBrowser(t)
	clerkLogin(t, ctx, srv.URL)
	for i, id := range []string{twid.MakeNationalID('A', 1, 5), twid.MakeNationalID('B', 1, 13)} {
		fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "insured", "sex": "M", "reason": "A1"},
			map[string]string{"insured_id": id, "name": []string{"林峯堃", "王大明"}[i], "birth": "074/06/01", "amount": "30300", "effective_date": todayROC()})
		submitFiling(t, ctx)
		if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
			t.Fatalf("filing %d: %v", i, err)
		}
	}
	dir := t.TempDir()
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/portal/print?search=1"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="filing"]`)),
		// Only the two just filed: the demo unit has filings of its own.
		chromedp.Evaluate[chromedp.Void](`['林峯堃', '王大明'].forEach(n => document.querySelector('input[name="filing"][aria-label="選取 ' + n + '"]').checked = true)`),
		chromedp.Click(`//form[@id="print-form"]//button[normalize-space()="列印"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the download to finish: one .pdf file whose pdfinfo answers.
	var pdf string
	var out []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && pdf == ""; time.Sleep(200 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
		if len(files) == 1 {
			if o, err := exec.Command("pdfinfo", files[0]).Output(); err == nil {
				pdf, out = files[0], o
			}
		}
	}
	if pdf == "" {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("no PDF downloaded (%v)", entries)
	}
	if !strings.Contains(filepath.Base(pdf), "2筆") {
		t.Errorf("file name %q does not say what it holds", filepath.Base(pdf))
	}
	if !regexp.MustCompile(`(?m)^Pages:\s+2$`).Match(out) {
		t.Errorf("pdfinfo:\n%s", out)
	}
}

// todayROC is today in Taipei as 115/03/02.
func todayROC() string {
	return rocdate.FormatSlash(time.Now().In(time.FixedZone("CST", 8*3600)))
}
