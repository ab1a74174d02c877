package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/twid"
)

// focused describes document.activeElement: "body" when focus is lost,
// else tag#id.class and its first words.
func focused(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const el = document.activeElement;
		if (!el || el === document.body || el === document.documentElement) { return "body"; }
		return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ").join(".") : "") +
			" " + (el.innerText || el.value || "").trim().slice(0, 40);
	})()`))
}

// wantFocus waits until the focused element matches the CSS selector sel,
// after a swap has had time to move it; it fails when focus is on <body>.
func wantFocus(t *testing.T, ctx context.Context, after, sel string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.activeElement; return !!el && el !== document.body && el.matches(%q); })()`, sel)
	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
	}
	got, _ = focused(ctx)
	t.Errorf("after %s: focus is on %q, want %s", after, got, sel)
}

// attr reads an attribute of the first element matching sel.
func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => "(none)"}).getAttribute(%q) || ""`, sel, name)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// title reads the document's title.
func title(t *testing.T, ctx context.Context) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFocusAfterSwapsStaff performs the console's swaps one after another and
// checks where focus goes after each: a refused login (error summary,
// 錯誤： title, fields invalid), the live unit search (focus kept in the
// box, the count announced), a sort header (focus kept on it), the pager
// (focus on the result count), a refused audit search (error summary,
// the date field invalid) and a refused form sent without htmx.
func TestFocusAfterSwapsStaff(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)

	if err := login(ctx, srv.URL, "taipei.staff", "not-the-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#login-error", "帳號或密碼錯誤"); err != nil {
		t.Fatal(err)
	}
	wantFocus(t, ctx, "a refused login", "[data-error-summary]")
	if got := title(t, ctx); !strings.HasPrefix(got, "錯誤：") {
		t.Errorf("title after a refused login = %q, want it to start with 錯誤：", got)
	}
	if got, _, _ := textOf(ctx, "[data-error-summary] h2"); got != "請修正以下問題" {
		t.Errorf("summary title = %q", got)
	}
	if got := attr(t, ctx, "[data-error-summary] a", "href"); got != "#username" {
		t.Errorf("summary link = %q, want #username", got)
	}
	if got := attr(t, ctx, "#username", "aria-invalid"); got != "true" {
		t.Errorf("#username aria-invalid = %q, want true", got)
	}

	loginOK(t, ctx, srv.URL, "taipei.staff")
	liveSearch(t, ctx, srv.URL, demo.UnitCode(0), "共 1 筆")
	wantFocus(t, ctx, "the live search", "#q")
	if _, err := waitText(ctx, "#page-status", "找到"); err != nil {
		t.Errorf("the page's status region after the live search: %v", err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("main [aria-live], #unit-results[role=status]").length`)); err != nil || n != 0 {
		t.Errorf("%d live regions inside main, want none (%v): the results are not read out whole", n, err)
	}

	step(t, ctx, "#unit-results th[aria-sort=ascending]", "單位名稱", chromedp.Click(chromedp.ID("sort-name")))
	wantFocus(t, ctx, "sorting by 單位名稱", "#sort-name")

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/console/units?status=active")); err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "#result-count", "第 2 /", chromedp.Click(`//nav[@class="pager"]//a[@rel="next"]`))
	wantFocus(t, ctx, "下一頁", "#result-count")

	// A refused audit search: its summary is swapped into the results.
	logout(t, ctx)
	loginOK(t, ctx, srv.URL, "taipei.super")
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/console/audit"),
		chromedp.WaitVisible(chromedp.ID("from")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "#audit-results", "請修正以下問題",
		chromedp.SendKeys(chromedp.ID("from"), "115/03/02"),
		chromedp.SendKeys(chromedp.ID("to"), "115/03/01"),
		chromedp.Click(`//form[@id="audit-search"]//button[@type="submit"]`),
	)
	wantFocus(t, ctx, "a refused audit search", "[data-error-summary]")
	if got := attr(t, ctx, "#to", "aria-invalid"); got != "true" {
		t.Errorf("#to aria-invalid after a refused search = %q, want true", got)
	}
	if by := attr(t, ctx, "#to", "aria-describedby"); by == "" {
		t.Errorf("#to is not described by its message")
	} else if txt, _, _ := textOf(ctx, "#"+strings.Fields(by)[len(strings.Fields(by))-1]); !strings.Contains(txt, "日期") {
		t.Errorf("#to is described by %q, whose text is %q", by, txt)
	}
	if got := title(t, ctx); !strings.HasPrefix(got, "錯誤：") {
		t.Errorf("title after a refused search = %q", got)
	}
	// Corrected, the marks and the 錯誤： go away and focus goes to the count.
	step(t, ctx, "#audit-results", "共 ",
		clearInput("to"),
		chromedp.SendKeys(chromedp.ID("to"), "115/03/03"),
		chromedp.Click(`//form[@id="audit-search"]//button[@type="submit"]`),
	)
	if got := attr(t, ctx, "#to", "aria-invalid"); got != "" {
		t.Errorf("#to aria-invalid after a corrected search = %q, want none", got)
	}
	if got := title(t, ctx); strings.HasPrefix(got, "錯誤：") {
		t.Errorf("title after a corrected search = %q", got)
	}
	wantFocus(t, ctx, "a corrected audit search", "#audit-search button, #result-count")

	// A refused form sent without htmx: the summary has focus on load.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/console/cases/new"),
		chromedp.WaitVisible(chromedp.ID("caller_name")),
		chromedp.Click(`//form[@action="/console/cases"]//button[@type="submit"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "[data-error-summary]", "請輸入來電者姓名"); err != nil {
		t.Fatal(err)
	}
	wantFocus(t, ctx, "a refused case form", "[data-error-summary]")
	if got := title(t, ctx); !strings.HasPrefix(got, "錯誤：") {
		t.Errorf("title of the refused case form = %q", got)
	}
	// The summary's link moves to its field.
	if err := chromedp.Do(ctx, chromedp.Click(`//div[@data-error-summary]//a[@href="#caller_name"]`)); err != nil {
		t.Fatal(err)
	}
	wantFocus(t, ctx, "the summary's link", "#caller_name")
}

// TestFocusAfterSwapsUnit: the 環境說明 card buttons keep focus in the
// panel; a wrong PIN is shown next to the login form with focus and the
// PIN field invalid; the filing form's live check marks its field invalid
// and announces the message once the field is left.
func TestFocusAfterSwapsUnit(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)

	insertSimCard(t, ctx, srv.URL, "工商憑證：")
	wantFocus(t, ctx, "inserting a card", "#sim-panel button.secondary")
	if _, err := waitText(ctx, "#page-status", "目前插入"); err != nil {
		t.Errorf("status after inserting a card: %v", err)
	}
	step(t, ctx, "#sim-panel", "讀卡機是空的", chromedp.Click(chromedp.CSS(`#sim-panel button.secondary`)))
	wantFocus(t, ctx, "taking the card out", "#sim-panel select")
	insertSimCard(t, ctx, srv.URL, "工商憑證：")

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "999999"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#card-status", "PIN 碼錯誤，尚可再試 2 次"); err != nil {
		t.Fatal(err)
	}
	wantFocus(t, ctx, "a wrong PIN", "#card-status .alert")
	if got := attr(t, ctx, "#pin", "aria-invalid"); got != "true" {
		t.Errorf("#pin aria-invalid after a wrong PIN = %q, want true", got)
	}
	if by := attr(t, ctx, "#pin", "aria-describedby"); !strings.Contains(by, "card-status") {
		t.Errorf("#pin aria-describedby = %q, want it to name #card-status", by)
	}

	clerkLogin(t, ctx, srv.URL)
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/portal/filings/new"),
		chromedp.WaitVisible(chromedp.ID("insured_id")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("insured_id"), "A12345")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond) // longer than the old keyup delay: nothing is checked while typing
	if got := attr(t, ctx, "#insured_id", "aria-invalid"); got != "" {
		t.Errorf("#insured_id aria-invalid while typing = %q, want none", got)
	}
	if txt, _, _ := textOf(ctx, "#insured_id-msg"); txt != "" {
		t.Errorf("#insured_id-msg while typing = %q, want nothing yet", txt)
	}
	step(t, ctx, "#insured_id-msg", "身分證", chromedp.Click(chromedp.ID("name")))
	if got := attr(t, ctx, "#insured_id", "aria-invalid"); got != "true" {
		t.Errorf("#insured_id aria-invalid after leaving it = %q, want true", got)
	}
	if _, err := waitText(ctx, "#page-status", "身分證"); err != nil {
		t.Errorf("the check's message is not announced: %v", err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("form [aria-live], form [role=alert]").length`)); err != nil || n != 0 {
		t.Errorf("%d live regions or alerts in the filing form, want none (%v)", n, err)
	}
	wantFocus(t, ctx, "the live check", "#name")

	// 媒體上傳: the preview's and then the report's heading take focus and
	// their summaries are announced; a send without a file shows the error
	// summary.
	csv := filepath.Join(t.TempDir(), "filings.csv")
	rows := "異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期\r\n" +
		"加保,本人,健保專用," + twid.MakeNationalID('C', 1, 2) + ",,張二,男,0741301,,A1,30300,1150302\r\n"
	if err := os.WriteFile(csv, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/portal/filings/upload"),
		chromedp.WaitVisible(chromedp.ID("file")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "#upload-page", "請修正以下問題", chromedp.Click(`//form[@action="/portal/filings/upload"]//button[@type="submit"]`))
	wantFocus(t, ctx, "an upload without a file", "[data-error-summary]")
	step(t, ctx, "#upload-preview", "第 2 行",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}),
		chromedp.Click(`//form[@action="/portal/filings/upload"]//button[@type="submit"]`),
	)
	wantFocus(t, ctx, "the upload preview", "#h-preview")
	if _, err := waitText(ctx, "#page-status", "1 筆有誤"); err != nil {
		t.Errorf("the upload preview is not announced: %v", err)
	}
	step(t, ctx, "#upload-report", "第 2 行",
		chromedp.Click(`//form[@action="/portal/filings/upload/confirm"]//button[@type="submit"]`),
	)
	wantFocus(t, ctx, "the upload report", "#h-report")
	if _, err := waitText(ctx, "#page-status", "1 筆有誤"); err != nil {
		t.Errorf("the upload report is not announced: %v", err)
	}
}
