package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
)

// openDemoUnit opens the console page of demo unit 100000001 (臺北).
func openDemoUnit(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/units?q="+demo.UnitCode(0)),
		chromedp.Click(`//div[@id="unit-results"]//a[normalize-space()="`+demo.UnitCode(0)+`"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main", "投保單位代號"); err != nil {
		t.Fatal(err)
	}
}

// businessCardLogin opens a browser, inserts the demo unit's business
// certificate, tries to log in and waits until the card status says want.
func businessCardLogin(t *testing.T, base, want string) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	insertSimCard(t, ctx, base, "工商憑證：")
	tryUnitLogin(t, ctx, base)
	if _, err := waitText(ctx, "#card-status", want); err != nil {
		t.Fatalf("unit login: %v", err)
	}
	return ctx
}

// tryUnitLogin signs in with the card in the simulated reader and returns
// the login page's status text ("" when it reached the portal).
func tryUnitLogin(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// TestStaffReopensUnitAndUnitLogsInAtOnce is Q5 without "tomorrow": staff
// close the unit, its login says 請洽詢承辦人 with the branch's phone; staff
// reopen it and the unit logs in the same minute.
func TestStaffReopensUnitAndUnitLogsInAtOnce(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	staff := newBrowser(t)
	acceptDialogs(staff)
	loginOK(t, staff, srv.URL, "taipei.staff")
	openDemoUnit(t, staff, srv.URL)
	step(t, staff, "#flash", "單位已暫時關閉",
		chromedp.SetValue(chromedp.ID("close-code"), "data_check"),
		chromedp.SendKeys(chromedp.ID("close-comment"), "電話查核中"),
		chromedp.Click(`//form[contains(@action,"/status")]//button[normalize-space()="暫時關閉"]`),
	)

	unit := businessCardLogin(t, srv.URL, "請洽詢承辦人")
	if _, err := waitText(unit, "#card-status", "(02)2523-2388"); err != nil {
		t.Fatalf("closed unit's login does not give the branch's phone: %v", err)
	}

	step(t, staff, "#flash", "單位現在就可以登入",
		chromedp.SetValue(chromedp.ID("reopen-code"), "verified"),
		chromedp.Click(`//form[contains(@action,"/status")]//button[normalize-space()="開啟單位"]`),
	)
	tryUnitLogin(t, unit, srv.URL)
	if _, err := waitPath(unit, "/portal"); err != nil {
		t.Fatalf("the reopened unit could not log in at once: %v", err)
	}
	if _, err := waitText(unit, "main", "貴單位已恢復正常"); err != nil {
		t.Fatalf("no notice of the reopening on the portal: %v", err)
	}
}

// TestDeregistrationApprovedThenUnitRegistersAgain is Q4: staff ask, a
// supervisor approves, the unit registers again with its business
// certificate.
func TestDeregistrationApprovedThenUnitRegistersAgain(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	staff := newBrowser(t)
	acceptDialogs(staff)
	loginOK(t, staff, srv.URL, "taipei.staff")
	openDemoUnit(t, staff, srv.URL)
	step(t, staff, "#flash", "待另一位主管核准",
		chromedp.SendKeys(chromedp.ID("dereg-reason"), "單位來電，改以工商憑證重新註冊"),
		chromedp.Click(`//form[contains(@action,"/deregistrations")]//button`),
	)

	super := newBrowser(t)
	acceptDialogs(super)
	loginOK(t, super, srv.URL, "taipei.super")
	step(t, super, "#flash", "已核准註銷",
		chromedp.Navigate(srv.URL+"/console/approvals"),
		chromedp.Click(`//form[contains(@action,"/decision")]//button[normalize-space()="核准"]`),
	)

	unit := businessCardLogin(t, srv.URL, "尚未註冊")
	err := chromedp.Do(unit,
		chromedp.Navigate(srv.URL+"/register"),
		chromedp.WaitVisible(chromedp.ID("unit_code")),
		chromedp.SendKeys(chromedp.ID("unit_code"), demo.UnitCode(0)),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(unit, "/portal"); err != nil {
		status, _, _ := textOf(unit, "#card-status")
		t.Fatalf("registering again: %v (%s)", err, status)
	}
	if _, err := waitText(unit, "main", "註冊完成"); err != nil {
		t.Fatal(err)
	}
}

// TestStaffApprovesAddressChange is Q9.1 from both sides: the unit asks,
// staff approve, the unit sees its new registered address.
func TestStaffApprovesAddressChange(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	unit := newBrowser(t)
	unitLogin(t, unit, srv.URL)
	pdf := proofPDF(t, "proof.pdf")
	err := chromedp.Do(unit,
		chromedp.Navigate(srv.URL+"/portal/requests"),
		chromedp.WaitVisible(chromedp.ID("effective_date")),
		chromedp.SendKeys(chromedp.ID("effective_date"), "100/01/01"),
		chromedp.Click(chromedp.CSS(`input[name="change_name"]`)),
		chromedp.SendKeys(chromedp.ID("new_name"), "新聯實業股份有限公司"),
		chromedp.SendKeys(chromedp.ID("contact_name"), "王大明"),
		chromedp.SendKeys(chromedp.ID("contact_phone"), "(02)2345-6789"),
		chromedp.SetUploadFiles(chromedp.ID("doc1"), []string{pdf}),
		chromedp.Click(chromedp.CSS(`form[action="/portal/requests"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// 100/01/01 is long past: the form refuses it, in plain words.
	if _, err := waitText(unit, "main", "生效日期不可早於一年前"); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(unit,
		chromedp.SetValue(chromedp.ID("effective_date"), "115/01/01"),
		chromedp.Click(chromedp.CSS(`input[name="change_reg"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	chooseAddress(t, unit, "reg", "臺南市", "新化區", "𦰡拔里")
	err = chromedp.Do(unit,
		chromedp.SendKeys(chromedp.ID("reg_street"), "中正路100號"),
		chromedp.SetUploadFiles(chromedp.ID("doc1"), []string{pdf}),
		chromedp.Click(chromedp.CSS(`form[action="/portal/requests"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "main h1", "審核中"); err != nil {
		t.Fatal(err)
	}

	staff := newBrowser(t)
	acceptDialogs(staff)
	loginOK(t, staff, srv.URL, "taipei.staff")
	err = chromedp.Do(staff,
		chromedp.Navigate(srv.URL+"/console/reviews"),
		chromedp.Click(`//table//a[starts-with(@href,"/console/reviews/")]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(staff, "main", "新聯實業股份有限公司"); err != nil {
		t.Fatal(err)
	}
	step(t, staff, "#flash", "已審核通過", chromedp.Click(`//form[contains(@action,"/decision")]//button[normalize-space()="審核通過"]`))
	if err := chromedp.Do(unit, chromedp.Navigate(srv.URL+"/portal/unit")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "main", "新聯實業股份有限公司"); err != nil {
		t.Fatalf("the unit does not see its new name: %v", err)
	}
	if _, err := waitText(unit, "main", "臺南市新化區𦰡拔里中正路100號"); err != nil {
		t.Fatalf("the unit does not see its new registered address: %v", err)
	}
}
