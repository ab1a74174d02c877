package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// reflowShots names the environment variable that makes TestReflowAt320
// save its screenshots into docs/ (for the closing note).
const reflowShots = "MULTICERT_REFLOW_SHOTS"

// checkReflow opens path at 320 px and fails when the page is wider than
// the window: whatever is wider must scroll inside its own region.
func checkReflow(t *testing.T, ctx context.Context, base, path, shot string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+path)); err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	width := evalJS[int](t, ctx, `document.documentElement.scrollWidth`)
	if width > 322 {
		wide := evalJS[[]string](t, ctx, `(() => { const w = document.documentElement.clientWidth, out = [];
			document.querySelectorAll("body *").forEach(el => { const r = el.getBoundingClientRect();
				if ((r.right > w + 2 || (el.scrollWidth > el.clientWidth + 2 && getComputedStyle(el).overflowX === "visible" && el.clientWidth > 0)) && !(el.parentElement && el.parentElement.closest('[role=region][tabindex="0"]'))) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "") + " to " + Math.round(r.right) + "/" + el.scrollWidth + ">" + el.clientWidth); });
			return out.slice(0, 12); })()`)
		t.Errorf("%s at 320 px is %d px wide; too wide: %v", path, width, wide)
	}
	if os.Getenv(reflowShots) != "" && shot != "" {
		// The results, not the search form above them.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(document.querySelector("main table") || document.querySelector("main h1")).scrollIntoView()`)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "reflow-"+shot+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReflowAt320 opens the unit search, the audit log, the portal's home
// and its filings at 320 px (1280 px at 400 %): no page scrolls sideways,
// the filings' wide table scrolls in its focusable, labelled region, and
// the menu folds behind a button that opens it from the keyboard.
func TestReflowAt320(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	staff := newBrowser(t)
	loginOK(t, staff, srv.URL, "taipei.super")
	if err := chromedp.Do(staff, chromedp.EmulateViewport(320, 640)); err != nil {
		t.Fatal(err)
	}
	checkReflow(t, staff, srv.URL, "/console/units?q=公司", "units")
	checkReflow(t, staff, srv.URL, "/console/audit", "audit")
	checkReflow(t, staff, srv.URL, "/console", "")

	// The menu: folded, a button says so; Enter on it opens the menu.
	if got := evalJS[string](t, staff, `document.querySelector(".menu-toggle").getAttribute("aria-expanded")`); got != "false" {
		t.Errorf("menu button aria-expanded=%q at 320 px, want false", got)
	}
	if evalJS[bool](t, staff, `!!document.getElementById("menu-list").offsetParent`) {
		t.Error("the menu shows at 320 px before the button is pressed")
	}
	if err := chromedp.Do(staff,
		chromedp.Focus(".menu-toggle"),
		chromedp.KeyEvent("\r"),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(t, staff, `document.querySelector(".menu-toggle").getAttribute("aria-expanded") === "true" && !!document.getElementById("menu-list").offsetParent`, 3*time.Second)
	if os.Getenv(reflowShots) != "" {
		png, err := chromedp.Run(staff, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(filepath.Join("..", "docs", "reflow-menu.png"), png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if width := evalJS[int](t, staff, `document.documentElement.scrollWidth`); width > 322 {
		t.Errorf("with the menu open the page is %d px wide", width)
	}

	unit := newBrowser(t)
	acceptDialogs(unit)
	unitLogin(t, unit, srv.URL)
	if err := chromedp.Do(unit, chromedp.EmulateViewport(320, 640)); err != nil {
		t.Fatal(err)
	}
	checkReflow(t, unit, srv.URL, "/portal", "portal")
	checkReflow(t, unit, srv.URL, "/portal/filings", "filings")
	if !evalJS[bool](t, unit, `(() => { const r = document.querySelector("#filing-results [role=region], [role=region][aria-label*='異動檢核']"); return !r || (r.tabIndex === 0 && !!r.getAttribute("aria-label")); })()`) {
		t.Error("the filings' table scrolls in a region that is not focusable or not named")
	}
}
