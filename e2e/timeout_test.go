package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
)

// waitJS waits until the expression is true, for up to timeout.
func waitJS(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	// Evaluated again and again rather than with chromedp.Poll: a poll
	// fails outright when the page's execution context changes under it
	// (seen once in CI on a loaded machine), an evaluation is just retried.
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: not true after %s (last error: %v)", expr, timeout, last)
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// TestSessionWarningContinues: with a 15 s idle limit the warning comes
// 5 s before the end as an alertdialog holding focus on 「繼續使用」, and
// 「繼續使用」 gives the session its whole limit again: a page opened after
// the original limit is still the user's.
func TestSessionWarningContinues(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--session-idle", "15s")
	ctx := newBrowser(t)
	loginOK(t, ctx, srv.URL, "taipei.staff")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/console/units")); err != nil {
		t.Fatal(err)
	}
	opened := time.Now()
	waitJS(t, ctx, `document.getElementById("session-warning").open`, 14*time.Second)
	if got := time.Since(opened); got < 8*time.Second {
		t.Errorf("the warning came %s after the page, want about 10 s (5 s before the end)", got)
	}
	if role := evalJS[string](t, ctx, `document.getElementById("session-warning").getAttribute("role")`); role != "alertdialog" {
		t.Errorf("warning role %q, want alertdialog", role)
	}
	if got := evalJS[string](t, ctx, `document.activeElement.textContent.trim()`); got != "繼續使用" {
		t.Errorf("focus on %q, want the 繼續使用 button", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`//dialog[@id="session-warning"]//button[normalize-space()="繼續使用"]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("session-warning").open`, 5*time.Second)
	// Past the original limit, by 3 s.
	time.Sleep(time.Until(opened.Add(18 * time.Second)))
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/console/units?q="+demo.UnitCode(0))); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/console/units"); err != nil {
		t.Fatalf("after 繼續使用, a page past the original limit: %v", err)
	}
	if _, err := waitText(ctx, "main h1", "投保單位查詢"); err != nil {
		t.Fatal(err)
	}
}

// TestSessionExpiredFormRestored: a form sent after the session ended goes
// to the login page; logged in again, the user is back on the form with
// what they typed and 「已還原您先前輸入的內容」.
func TestSessionExpiredFormRestored(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--session-idle", "10s")
	ctx := newBrowser(t)
	loginOK(t, ctx, srv.URL, "taipei.staff")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/console/cases/new"),
		chromedp.WaitVisible(chromedp.ID("caller_name")),
		chromedp.SendKeys(chromedp.ID("caller_name"), "王小明"),
		chromedp.SendKeys(chromedp.ID("notes"), "來電詢問加保"),
	); err != nil {
		t.Fatal(err)
	}
	// The session ends; the page says so. Stay, forget what the dialog
	// kept, and send the form as someone who did not notice would.
	waitJS(t, ctx, `document.getElementById("session-expired").open`, 15*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Click(`//dialog[@id="session-expired"]//button[normalize-space()="留在本頁"]`),
		chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`),
		chromedp.Click(`form[action="/console/cases"] button[type="submit"]`),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/console/login"); err != nil {
		t.Fatal(err)
	}
	if err := login(ctx, srv.URL, "taipei.staff", demo.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/console/cases/new"); err != nil {
		t.Fatalf("after logging in again: %v", err)
	}
	if _, err := waitText(ctx, "[data-draft-restored]", "已還原您先前輸入的內容"); err != nil {
		t.Fatal(err)
	}
	name := evalJS[string](t, ctx, `document.getElementById("caller_name").value`)
	notes := evalJS[string](t, ctx, `document.getElementById("notes").value`)
	if name != "王小明" || notes != "來電詢問加保" {
		t.Errorf("restored %q and %q, want 王小明 and 來電詢問加保", name, notes)
	}
	if csrf := evalJS[string](t, ctx, `document.querySelector('form[action="/console/cases"] input[name=_csrf]').value`); csrf == "" {
		t.Error("the form's CSRF token was lost")
	}
}

// TestSessionExpiredSearch: an htmx search after the session ended leaves
// the results as they were and opens the dialog, whose 「重新登入」 comes
// back to the search.
func TestSessionExpiredSearch(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--session-idle", "10s")
	ctx := newBrowser(t)
	loginOK(t, ctx, srv.URL, "taipei.staff")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/console/units?q="+demo.UnitCode(0))); err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	before := evalJS[string](t, ctx, `document.getElementById("unit-results").innerHTML`)
	waitJS(t, ctx, `document.getElementById("session-expired").open`, 15*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Click(`//dialog[@id="session-expired"]//button[normalize-space()="留在本頁"]`),
		chromedp.Click(`//form[@role="search"]//button[normalize-space()="查詢"]`),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("session-expired").open`, 5*time.Second)
	if got := evalJS[string](t, ctx, `document.activeElement.textContent.trim()`); got != "重新登入" {
		t.Errorf("focus on %q, want 重新登入", got)
	}
	if after := evalJS[string](t, ctx, `document.getElementById("unit-results").innerHTML`); after != before {
		t.Errorf("the results changed after the refused search:\n%s", after)
	}
	if u, err := currentURL(ctx); err != nil || !strings.Contains(u, "/console/units") {
		t.Errorf("the page moved to %s (%v)", u, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`//dialog[@id="session-expired"]//a[normalize-space()="重新登入"]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/console/login"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), "taipei.staff"),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Click(`//form//button[@type="submit" and normalize-space()="登入"]`),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/console/units"); err != nil {
		t.Fatalf("after logging in again: %v", err)
	}
}

// TestSessionExpiredAddressRestored: a change request's address, chosen
// with the cascading selects, is kept when the session ends under it;
// logged in again, the unit is back on the form with 縣市, 鄉鎮市區 and 村里
// chosen again, each list reloaded for the one before, and focus not
// pulled into the lists.
func TestSessionExpiredAddressRestored(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--session-idle", "15s")
	ctx := newBrowser(t)
	unitLogin(t, ctx, srv.URL)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/portal/requests"),
		chromedp.WaitVisible(chromedp.ID("effective_date")),
		chromedp.SendKeys(chromedp.ID("effective_date"), "115/04/01"),
		chromedp.Click(chromedp.CSS(`input[name="change_reg"]`)),
	); err != nil {
		t.Fatal(err)
	}
	chooseAddress(t, ctx, "reg", "臺南市", "新化區", "𦰡拔里")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("reg_street"), "中正路100號")); err != nil {
		t.Fatal(err)
	}
	// The session ends; the dialog keeps the form. Log in again.
	waitJS(t, ctx, `document.getElementById("session-expired").open`, 25*time.Second)
	insertSimCard(t, ctx, srv.URL, "工商憑證：")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/portal/requests"); err != nil {
		t.Fatalf("after logging in again: %v", err)
	}
	if _, err := waitText(ctx, "[data-draft-restored]", "已還原您先前輸入的內容"); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.getElementById("reg_village").value === "𦰡拔里"`, 10*time.Second)
	for id, want := range map[string]string{"reg_county": "臺南市", "reg_township": "新化區", "reg_village": "𦰡拔里", "reg_street": "中正路100號", "effective_date": "115/04/01"} {
		if got := evalJS[string](t, ctx, `document.getElementById("`+id+`").value`); got != want {
			t.Errorf("#%s = %q after the restore, want %q", id, got, want)
		}
	}
	// The lists hold the options of the restored choices, not of another 縣市.
	if n := evalJS[int](t, ctx, `[...document.getElementById("reg_township").options].filter(o => o.value === "永康區").length`); n != 1 {
		t.Errorf("鄉鎮市區 does not list 臺南市's townships (永康區: %d)", n)
	}
	if got := evalJS[string](t, ctx, `document.activeElement.tagName`); got == "SELECT" {
		t.Errorf("the restore moved focus into a list (%s)", evalJS[string](t, ctx, `document.activeElement.id`))
	}
}
