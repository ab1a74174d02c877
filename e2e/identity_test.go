package e2e

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// cardIDInReader reads the ID number of the NHI card in the simulated
// reader through the page's own agent client, as the page would.
func cardIDInReader(t *testing.T, ctx context.Context) string {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](
		`window.__cardID = ""; window.multicertAgent.read("").then(c => { window.__cardID = c.nhi ? c.nhi.idNo : "none"; })`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__cardID`))
		if err != nil {
			t.Fatal(err)
		}
		if id != "" {
			if id == "none" {
				t.Fatal("the card in the reader is not an NHI card")
			}
			return id
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the agent did not read the card")
	return ""
}

var mailedCode = regexp.MustCompile(`驗證碼：(\d{6})`)

// TestClerkSetsNHIPasswordWithMailedCode is 健保卡網路服務註冊 as a
// clerk who forgot the password meets it in the demo: read the card,
// get the 驗證碼 from the mail (the demo's mailbox page), set a password,
// log in with it.
func TestClerkSetsNHIPasswordWithMailedCode(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	insertSimCard(t, ctx, srv.URL, "承辦人健保卡：")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/nhi-register"), chromedp.WaitVisible(chromedp.ID("id_no"))); err != nil {
		t.Fatal(err)
	}
	id := cardIDInReader(t, ctx)
	step(t, ctx, "#status-code", "已受理",
		chromedp.SendKeys(chromedp.ID("id_no"), id),
		chromedp.Click(chromedp.CSS(`form[action="/nhi-register/code"] button[type="submit"]`)),
	)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/demo/mailbox"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	body, err := waitText(ctx, "main", "驗證碼：")
	if err != nil {
		t.Fatalf("demo mailbox: %v", err)
	}
	m := mailedCode.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no 驗證碼 in the mailbox:\n%s", body)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/nhi-register"), chromedp.WaitVisible(chromedp.ID("confirm-id"))); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "#status-confirm", "密碼已設定",
		chromedp.SendKeys(chromedp.ID("confirm-id"), id),
		chromedp.SendKeys(chromedp.ID("code"), m[1]),
		chromedp.SendKeys(chromedp.ID("password"), "Newpass-2027"),
		chromedp.SendKeys(chromedp.ID("password2"), "Newpass-2027"),
		chromedp.Click(chromedp.CSS(`form[action="/nhi-register/confirm"] button[type="submit"]`)),
	)
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.Click(chromedp.CSS(`input[name="method"][value="nhi"]`)),
		chromedp.Click(chromedp.CSS(`input[name="as_unit"]`)),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "Newpass-2027"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/portal"); err != nil {
		status, _, _ := textOf(ctx, "#card-status")
		t.Fatalf("login with the new password: %v (%s)", err, status)
	}
}
