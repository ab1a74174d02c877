package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
)

// insertSimCard opens 環境說明 and inserts the demo card whose label starts
// with prefix into the simulated reader, as a demo user would.
func insertSimCard(t *testing.T, ctx context.Context, base, prefix string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/environment"),
		chromedp.WaitVisible(chromedp.CSS(`#sim-panel select, #sim-panel button.secondary`)),
	)
	if err != nil {
		t.Fatalf("environment page: %v", err)
	}
	// A card already in the reader goes back to the wallet first.
	if txt, found, _ := textOf(ctx, "#sim-panel"); found && strings.Contains(txt, "目前插入") {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#sim-panel button.secondary`))); err != nil {
			t.Fatal(err)
		}
		if _, err := waitText(ctx, "#sim-panel", "讀卡機是空的"); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#sim-panel select`))); err != nil {
		t.Fatal(err)
	}
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const s = document.querySelector('#sim-panel select');
			const o = [...s.options].find(o => o.textContent.startsWith(`+"`"+prefix+"`"+`));
			if (!o) { return ""; } s.value = o.value; return o.value; })()`))
	if err != nil || label == "" {
		t.Fatalf("no demo card %q in the wallet: %v", prefix, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#sim-panel button:not(.secondary)`))); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#sim-panel", "目前插入："+label); err != nil {
		t.Fatalf("after inserting %s: %v", label, err)
	}
}

// TestUnitLogsInWithBusinessCertificate: the unit's 工商憑證 in the
// simulated reader, its PIN typed on the login page, the portal home.
func TestUnitLogsInWithBusinessCertificate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	insertSimCard(t, ctx, srv.URL, "工商憑證：")

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "000000"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#card-status", "尚可再試 2 次"); err != nil {
		t.Fatalf("wrong PIN: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/portal"); err != nil {
		t.Fatalf("after signing in: %v", err)
	}
	if _, err := waitText(ctx, "main", demo.UnitCode(0)); err != nil {
		t.Fatalf("portal home: %v", err)
	}
	if _, err := waitText(ctx, "main", "工商憑證"); err != nil {
		t.Fatalf("portal home: %v", err)
	}
}

// TestUnitsOfOtherKindsLogIn: the demo's agency, school and hospital log
// in with their 政府憑證, 組織及團體憑證 and 醫事憑證 from the simulated
// reader, and their portal names the kind of card.
func TestUnitsOfOtherKindsLogIn(t *testing.T) {
	srv := startServer(t)
	for _, k := range []struct{ prefix, code string }{
		{"政府憑證：", demo.UnitCode(11)}, {"組織及團體憑證：", demo.UnitCode(12)}, {"醫事憑證：", demo.UnitCode(13)},
	} {
		t.Run(k.prefix, func(t *testing.T) {
			ctx := newBrowser(t)
			insertSimCard(t, ctx, srv.URL, k.prefix)
			err := chromedp.Do(ctx,
				chromedp.Navigate(srv.URL+"/login"),
				chromedp.WaitVisible(chromedp.ID("pin")),
				chromedp.SendKeys(chromedp.ID("pin"), "123456"),
				chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := waitPath(ctx, "/portal"); err != nil {
				status, _, _ := textOf(ctx, "#card-status")
				t.Fatalf("after signing in: %v (%s)", err, status)
			}
			if _, err := waitText(ctx, "main", k.code); err != nil {
				t.Fatalf("portal home: %v", err)
			}
			if _, err := waitText(ctx, "main", strings.TrimSuffix(k.prefix, "：")); err != nil {
				t.Fatalf("portal home: %v", err)
			}
		})
	}
}

// TestClerkLogsInWithNHICard: a clerk's 健保卡 and the password of its
// 健保卡網路服務註冊.
func TestClerkLogsInWithNHICard(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	insertSimCard(t, ctx, srv.URL, "承辦人健保卡：")
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.Click(chromedp.CSS(`input[name="method"][value="nhi"]`)),
		chromedp.Click(chromedp.CSS(`input[name="as_unit"]`)),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/portal"); err != nil {
		t.Fatalf("after logging in: %v", err)
	}
	if _, err := waitText(ctx, "header", "單位承辦人"); err != nil {
		t.Fatalf("portal header: %v", err)
	}
}

// TestOldAgentGetsError3003: a server that wants a newer card agent than
// the one running shows error 3003 with the way to 環境說明.
func TestOldAgentGetsError3003(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--agent-min-version", "9.0.0")
	ctx := newBrowser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#card-status", "3003"); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#card-status", "憑證元件需更新"); err != nil {
		t.Fatal(err)
	}
	wantFocus(t, ctx, "error 3003", "#card-status .alert") // read at once, next to the form
	if got := attr(t, ctx, "#pin", "aria-invalid"); got != "" {
		t.Errorf("#pin aria-invalid = %q after 3003, want none: the PIN was not the problem", got)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#card-status a`), "href"))
	if err != nil || href.Value != "/environment" {
		t.Fatalf("link to 環境說明: %q %v", href.Value, err)
	}
}
