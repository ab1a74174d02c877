package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
)

// resultRow is one row of the unit search results as the browser shows it.
type resultRow struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Href string `json:"href"`
}

// resultRows reads the rows of #unit-results.
func resultRows(ctx context.Context) ([]resultRow, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]resultRow](`[...document.querySelectorAll("#unit-results tbody tr")].map(tr => ({
		code: tr.cells[0].innerText.trim(),
		name: tr.cells[1].innerText.trim(),
		href: (tr.querySelector("a") || {getAttribute: () => ""}).getAttribute("href"),
	}))`))
}

// loginOK logs in and waits for the 工作台 page.
func loginOK(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	if err := login(ctx, base, user, demo.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/console"); err != nil {
		t.Fatalf("after logging in as %s: %v", user, err)
	}
	if _, err := waitText(ctx, "main h1", "工作台"); err != nil {
		t.Fatalf("after logging in as %s: %v", user, err)
	}
}

// liveSearch opens the unit search, types q into #q without pressing Enter
// and waits until #result-count shows wantCount (e.g. "共 1 筆"). It checks
// that the results changed in place: no page load, the typed text kept.
func liveSearch(t *testing.T, ctx context.Context, base, q, wantCount string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/console/units"), chromedp.WaitVisible(chromedp.ID("q"))); err != nil {
		t.Fatalf("open the unit search: %v", err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main h1", "投保單位查詢"); err != nil {
		t.Fatal(err)
	}
	before, err := waitText(ctx, "#result-count", "共 ")
	if err != nil {
		t.Fatalf("the unit search shows no count before searching: %v", err)
	}
	if strings.Contains(before, wantCount) {
		t.Fatalf("#result-count already shows %q before typing; the test could not tell that the live search worked", before)
	}
	if err := setPageMarker(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("q"), q)); err != nil {
		t.Fatalf("type %q into #q: %v", q, err)
	}
	got, err := waitText(ctx, "#result-count", wantCount)
	if err != nil {
		t.Fatalf("live search for %q (no Enter pressed): %v (before typing it showed %q)", q, err, before)
	}
	if !strings.Contains(got, q) {
		t.Errorf("#result-count = %q, want it to name the query %q", got, q)
	}
	kept, err := pageMarkerKept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !kept {
		t.Errorf("the live search reloaded the page; want the results swapped into #unit-results in place")
	}
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("q"))); err != nil {
		t.Fatal(err)
	} else if v != q {
		t.Errorf("#q = %q after the search, want %q", v, q)
	}
}

// logout presses 登出 in the console header and checks the login page with
// its flash message.
func logout(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(`//header//form[@action="/console/logout"]//button[normalize-space()="登出"]`)); err != nil {
		t.Fatalf("press 登出: %v", err)
	}
	if _, err := waitPath(ctx, "/console/login"); err != nil {
		t.Fatalf("after 登出: %v", err)
	}
	if _, err := waitText(ctx, "#flash", "您已登出。"); err != nil {
		t.Fatalf("after 登出: %v", err)
	}
	if _, err := waitText(ctx, "main h1", "署內人員登入"); err != nil {
		t.Fatalf("after 登出: %v", err)
	}
}

var unitPath = regexp.MustCompile(`^/console/units/[0-9]+$`)

// TestStaffSearchesAndOpensUnit: taipei.staff logs in, finds a 臺北 unit by
// its code with the live search, opens it and logs out.
func TestStaffSearchesAndOpensUnit(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	code := demo.UnitCode(0) // 100000001, 臺北業務組
	if !strings.HasPrefix(code, "1") {
		t.Fatalf("demo.UnitCode(0) = %s, want a 臺北 (branch 1) unit", code)
	}

	loginOK(t, ctx, srv.URL, "taipei.staff")
	if _, err := waitText(ctx, "main", "臺北業務組"); err != nil {
		t.Errorf("工作台 of taipei.staff: %v", err)
	}

	liveSearch(t, ctx, srv.URL, code, "共 1 筆")
	if loc, err := currentURL(ctx); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(loc, "q="+code) {
		t.Errorf("URL after the live search = %s, want it to carry q=%s (hx-push-url)", loc, code)
	}
	rows, err := resultRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Code != code || rows[0].Name == "" || !unitPath.MatchString(rows[0].Href) {
		t.Fatalf("result rows = %+v, want one row for unit %s with a name and a /console/units/{id} link", rows, code)
	}
	row := rows[0]

	if err := chromedp.Do(ctx, chromedp.Click(`//div[@id="unit-results"]//a[normalize-space()="`+code+`"]`)); err != nil {
		t.Fatalf("click the result %s: %v", code, err)
	}
	if _, err := waitPath(ctx, row.Href); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main h1", row.Name); err != nil {
		t.Errorf("unit page heading: %v", err)
	}
	basic, err := waitText(ctx, `section[aria-labelledby="h-basic"]`, code)
	if err != nil {
		t.Fatalf("unit page 基本資料: %v", err)
	}
	if !strings.Contains(basic, "基本資料") || !strings.Contains(basic, "投保單位代號") {
		t.Errorf("基本資料 section = %q, want the heading 基本資料 and the field 投保單位代號", basic)
	}

	logout(t, ctx)
	// The session is gone: the console sends the browser back to the login page.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/console")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/console/login"); err != nil {
		t.Errorf("opening /console after 登出: %v", err)
	}
}

// TestStaffCannotFindOtherBranchUnit: a 北區 unit is invisible to
// taipei.staff in the search but found by north.staff.
func TestStaffCannotFindOtherBranchUnit(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	code := demo.UnitCode(3) // 200000004, 北區業務組
	if !strings.HasPrefix(code, "2") {
		t.Fatalf("demo.UnitCode(3) = %s, want a 北區 (branch 2) unit", code)
	}

	loginOK(t, ctx, srv.URL, "taipei.staff")
	liveSearch(t, ctx, srv.URL, code, "共 0 筆")
	if rows, err := resultRows(ctx); err != nil {
		t.Fatal(err)
	} else if len(rows) != 0 {
		t.Errorf("taipei.staff sees rows %+v for the 北區 unit %s, want none", rows, code)
	}
	if _, err := waitText(ctx, "#unit-results", "查無符合條件的投保單位"); err != nil {
		t.Errorf("no-result message: %v", err)
	}
	logout(t, ctx)

	// The unit exists: its own branch finds it.
	loginOK(t, ctx, srv.URL, "north.staff")
	liveSearch(t, ctx, srv.URL, code, "共 1 筆")
	if rows, err := resultRows(ctx); err != nil {
		t.Fatal(err)
	} else if len(rows) != 1 || rows[0].Code != code {
		t.Errorf("north.staff sees rows %+v, want the one unit %s", rows, code)
	}
}

// TestStaffLoginWrongPassword: a wrong password shows the error on the login
// page without a page load; the right one then gets in.
func TestStaffLoginWrongPassword(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/console/login")); err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	if err := setPageMarker(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), "taipei.staff"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.Click(`//form//button[@type="submit" and normalize-space()="登入"]`),
	); err != nil {
		t.Fatal(err)
	}
	msg, err := waitText(ctx, "#login-error", "帳號或密碼錯誤")
	if err != nil {
		t.Fatalf("wrong password: %v", err)
	}
	t.Logf("error shown: %q", msg)
	kept, err := pageMarkerKept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !kept {
		t.Errorf("the wrong password reloaded the page; want the error swapped in by htmx")
	}
	if u, err := waitPath(ctx, "/console/login"); err != nil {
		t.Error(err)
	} else if u.RawQuery != "" {
		t.Errorf("URL after the failed login = %s, want the plain login page", u)
	}
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("username"))); err != nil {
		t.Fatal(err)
	} else if v != "taipei.staff" {
		t.Errorf("#username after the failed login = %q, want it kept as taipei.staff", v)
	}
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("password"))); err != nil {
		t.Fatal(err)
	} else if v != "" {
		t.Errorf("#password after the failed login = %q, want it emptied", v)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#login-box").length`)); err != nil {
		t.Fatal(err)
	} else if n != 1 {
		t.Errorf("%d #login-box elements after the swap, want 1", n)
	}

	loginOK(t, ctx, srv.URL, "taipei.staff")
}
