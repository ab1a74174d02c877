package e2e

import (
	"strings"
	"sync"
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
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/static/cardagent.js*"}}}); err != nil {
		t.Fatal(err)
	}
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
