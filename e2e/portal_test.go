package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
)

// acceptDialogs answers every confirm() of the page with OK, as a user who
// means it would.
func acceptDialogs(ctx context.Context) {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}) //nolint:errcheck // the page goes on either way
		}
	}()
}

// unitLogin logs the demo unit 100000001 in with its business certificate
// in the simulated reader.
func unitLogin(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	insertSimCard(t, ctx, base, "工商憑證：")
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/portal"); err != nil {
		t.Fatalf("unit login: %v", err)
	}
}

// TestUnitAssignsAndRevokesClerk is Q1: the unit reads a clerk's NHI
// card, saves them; the clerk logs in; the unit deletes them and their
// next page is refused.
func TestUnitAssignsAndRevokesClerk(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	unit := newBrowser(t)
	acceptDialogs(unit)
	unitLogin(t, unit, srv.URL)

	// Swap the card for the clerk's NHI card and read it on the form.
	insertSimCard(t, unit, srv.URL, "承辦人健保卡：")
	err := chromedp.Do(unit,
		chromedp.Navigate(srv.URL+"/portal/handlers"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="card_type"][value="nhi_card"]`)),
		chromedp.Click(chromedp.CSS(`input[name="card_type"][value="nhi_card"]`)),
		chromedp.Click(chromedp.CSS(`button[data-card-read]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "#card-read-result", "已讀取健保卡"); err != nil {
		t.Fatal(err)
	}
	name, err := chromedp.Run(unit, chromedp.Evaluate[string](`document.getElementById('name').value`))
	if err != nil || name == "" {
		t.Fatalf("the name was not filled from the card: %q %v", name, err)
	}
	step(t, unit, "#flash", "已新增承辦人「"+name+"」",
		chromedp.SendKeys(chromedp.ID("email"), "clerk@example.com"),
		chromedp.Click(chromedp.CSS(`input[name="may_file"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/portal/handlers"] button[type="submit"]`)),
	)

	// The clerk logs in with the card, for unit 100000001 (they serve two units now).
	clerk := newBrowser(t)
	err = chromedp.Do(clerk,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.Click(chromedp.CSS(`input[name="method"][value="nhi"]`)),
		chromedp.Click(chromedp.CSS(`input[name="as_unit"]`)),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.SendKeys(chromedp.ID("unit_code"), demo.UnitCode(0)),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(clerk, "/portal"); err != nil {
		status, _, _ := textOf(clerk, "#card-status")
		t.Fatalf("clerk login: %v (%s)", err, status)
	}
	if _, err := waitText(clerk, "header", demo.UnitCode(0)); err != nil {
		t.Fatal(err)
	}

	// The unit deletes them (confirming), and their next page is refused.
	step(t, unit, "#flash", "已刪除承辦人「"+name+"」",
		chromedp.Navigate(srv.URL+"/portal/handlers"),
		chromedp.Click(chromedp.CSS(`form[data-confirm*="`+name+`"] button`)),
	)
	if err := chromedp.Do(clerk, chromedp.Navigate(srv.URL+"/portal")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(clerk, "/login"); err != nil {
		t.Fatalf("the deleted clerk still reaches the portal: %v", err)
	}
}

// TestUnitRequestsAddressChange is Q9.1: a registered-address change with a
// PDF, entered with the cascading selects, shown pending.
func TestUnitRequestsAddressChange(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	unitLogin(t, ctx, srv.URL)
	pdf := proofPDF(t, "變更登記表.pdf")
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/portal/requests"),
		chromedp.WaitVisible(chromedp.ID("effective_date")),
		chromedp.SendKeys(chromedp.ID("effective_date"), "115/04/01"),
		chromedp.Click(chromedp.CSS(`input[name="change_reg"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	chooseAddress(t, ctx, "reg", "臺南市", "新化區", "𦰡拔里")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("reg_neighborhood"), "7"),
		chromedp.SendKeys(chromedp.ID("reg_street"), "中正路100號"),
		chromedp.SendKeys(chromedp.ID("contact_name"), "王大明"),
		chromedp.SendKeys(chromedp.ID("contact_phone"), "(06)590-1234"),
		chromedp.SetUploadFiles(chromedp.ID("doc1"), []string{pdf}),
		chromedp.Click(chromedp.CSS(`form[action="/portal/requests"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main h1", "審核中"); err != nil {
		t.Fatalf("after submitting: %v", err)
	}
	for _, want := range []string{"臺南市新化區𦰡拔里7鄰中正路100號", "115 年 4 月 1 日", "變更登記表.pdf", "等候本署承辦人審核"} {
		if _, err := waitText(ctx, "main", want); err != nil {
			t.Fatalf("request page: %v", err)
		}
	}
}

// chooseAddress picks county, township and village in an address's
// cascading selects (prefix reg or mail), waiting for each step's options.
func chooseAddress(t *testing.T, ctx context.Context, prefix, county, township, village string) {
	t.Helper()
	pick := func(id, value, next, want string) {
		t.Helper()
		// On a loaded machine a late swap of the list before can replace
		// the one this choice loaded: choose again, up to three times.
		for try := 1; ; try++ {
			err := chromedp.Do(ctx,
				chromedp.SetValue(chromedp.ID(id), value),
				chromedp.Evaluate[chromedp.Void](`document.getElementById('`+id+`').dispatchEvent(new Event('change', {bubbles: true}))`),
			)
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				if txt, found, _ := textOf(ctx, "#"+next); found && strings.Contains(txt, want) {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			if try == 3 {
				break
			}
		}
		if _, err := waitText(ctx, "#"+next, want); err != nil {
			t.Fatalf("%s after choosing %s: %v", next, value, err)
		}
	}
	pick(prefix+"_county", county, prefix+"_township", township)
	pick(prefix+"_township", township, prefix+"_village", village)
	// Set the village once no htmx request is in flight, and read it back: a
	// late swap of the village list would otherwise clear the choice unseen.
	js := `(() => {
		if (document.querySelector('.htmx-request')) return '';
		const s = document.getElementById('` + prefix + `_village');
		s.value = ` + strconv.Quote(village) + `;
		return s.value;
	})()`
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(100 * time.Millisecond) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err == nil && got == village {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("choosing village %s: got %q, %v", village, got, err)
		}
	}
}

// TestUnitRenewsCertificate is Q3 in the demo: the unit, logged in with its
// business certificate, reads the renewed card the simulated reader holds,
// saves it, and logs in with it at once; the old card no longer logs in.
func TestUnitRenewsCertificate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	acceptDialogs(ctx)
	unitLogin(t, ctx, srv.URL)
	insertSimCard(t, ctx, srv.URL, "工商憑證（換發的新卡）")
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/portal/certificate"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-card-read]`)),
		chromedp.Click(chromedp.CSS(`button[data-card-read]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main", "新憑證序號"); err != nil {
		t.Fatalf("the renewed card was not read: %v", err)
	}
	step(t, ctx, "#flash", "單位憑證已更新",
		chromedp.Click(chromedp.CSS(`form[data-confirm] button[type="submit"]`)),
	)
	// A new browser logs in with the renewed card (still in the reader).
	again := newBrowser(t)
	err = chromedp.Do(again,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(again, "/portal"); err != nil {
		status, _, _ := textOf(again, "#card-status")
		t.Fatalf("login with the renewed card: %v (%s)", err, status)
	}
	// The old card is refused.
	old := newBrowser(t)
	insertSimCard(t, old, srv.URL, "工商憑證：")
	err = chromedp.Do(old,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(old, "#card-status", "此憑證尚未註冊多憑證帳號"); err != nil {
		t.Fatalf("the old card: %v", err)
	}
	if p, _ := chromedp.Run(old, chromedp.Evaluate[string](`location.pathname`)); p == "/portal" {
		t.Error("the old card still logs in")
	}
}
