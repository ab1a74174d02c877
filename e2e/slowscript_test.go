package e2e

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestCardLoginWhileScriptLoads is a person on a slow network who presses
// 登入 as soon as the form shows, while the card script is still on its
// way (held here for two seconds). The form must not be sent without it:
// a deferred script once left the form drawn and clickable before its
// listener existed, and 登入 then posted the form itself (refused as
// 「頁面已逾時」). With the script in <head> the form shows only once the
// listener is there, and the login goes through.
func TestCardLoginWhileScriptLoads(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	insertSimCard(t, ctx, srv.URL, "工商憑證：")

	holdScripts(t, ctx, "*/static/cardagent.js*")
	var (
		mu    sync.Mutex
		posts []string
	)
	sent := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range sent {
			if err != nil {
				return
			}
			if ev.Request.Method == "POST" {
				mu.Lock()
				posts = append(posts, ev.Request.URL)
				mu.Unlock()
			}
		}
	}()

	// Page.navigate answers when the page starts to arrive, not when it
	// has loaded: the clicks below come as soon as the PIN field shows.
	if _, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: srv.URL + "/login"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	t.Logf("clicked 登入 %v after the navigation began", time.Since(start).Round(time.Millisecond))
	_, err := waitPath(ctx, "/portal")
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		txt, _, _ := textOf(ctx, "main")
		t.Fatalf("login while the card script loaded: %v; POSTs %q; the page says:\n%s", err, posts, txt)
	}
	for _, p := range posts {
		if strings.HasSuffix(p, "/login") {
			t.Errorf("the form was posted itself (POST %s) before the card script ran", p)
		}
	}
}

// holdScripts makes the browser of ctx wait two seconds for every script
// whose address matches one of the patterns (Fetch.enable's wildcards), with
// its cache off, as a slow network would.
func holdScripts(t *testing.T, ctx context.Context, patterns ...string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatal(err)
	}
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			go func(id fetch.RequestID) {
				time.Sleep(2 * time.Second)
				chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}) //nolint:errcheck // the page fails the test if it never comes
			}(ev.RequestID)
		}
	}()
	var ps []*fetch.RequestPattern
	for _, p := range patterns {
		ps = append(ps, &fetch.RequestPattern{URLPattern: p})
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: ps}); err != nil {
		t.Fatal(err)
	}
}

// TestConfirmBeforeScriptsLoad is staff on a slow network who press
// 暫時關閉 on a unit's page before the page's deferred scripts (app.js,
// htmx) have arrived: the question 「確定要暫時關閉此單位嗎？」 must still
// come, and a 取消 must leave the unit open.
func TestConfirmBeforeScriptsLoad(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	loginOK(t, ctx, srv.URL, "taipei.staff")
	openDemoUnit(t, ctx, srv.URL)
	unitPage, err := currentURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int32
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if strings.Contains(ev.Message, "暫時關閉") {
				asked.Add(1)
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}) //nolint:errcheck // 取消
		}
	}()
	holdScripts(t, ctx, "*/static/app.js*", "*/static/htmx-*")
	if _, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: unitPage}); err != nil {
		t.Fatal(err)
	}
	close := `//form[contains(@action,"/status")]//button[normalize-space()="暫時關閉"]`
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(close),
		chromedp.SetValue(chromedp.ID("close-code"), "data_check"),
		chromedp.Click(close),
	); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the scripts have come; a form sent unasked has been answered
	if asked.Load() == 0 {
		t.Error("暫時關閉 pressed before the scripts loaded was not asked about")
	}
	if txt, _, _ := textOf(ctx, "main"); strings.Contains(txt, "單位已暫時關閉") || !strings.Contains(txt, "暫時關閉單位") {
		t.Errorf("after 取消 the unit's page says:\n%s", txt)
	}
}
