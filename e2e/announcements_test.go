package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStaffPublishAnnouncementUnitsSeeBanner: 臺北 staff publish an
// important announcement from the console; a visitor's front door shows it
// as the 「詳見公告欄!!!」 banner, which leads to the 公告欄 listing it with
// its address as a link. Withdrawn (after confirming), it leaves both.
func TestStaffPublishAnnouncementUnitsSeeBanner(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	staff := newBrowser(t)
	acceptDialogs(staff)
	loginOK(t, staff, srv.URL, "taipei.staff")

	const title = "臺北業務組：3 月 14 日系統維護"
	step(t, staff, "main h1", "發布公告",
		chromedp.Click(`//nav//a[normalize-space()="公告欄管理"]`),
		chromedp.WaitVisible(`//main//a[normalize-space()="發布公告"]`),
		chromedp.Click(`//main//a[normalize-space()="發布公告"]`),
	)
	// A mistake first: the message is tied to its field.
	step(t, staff, "#title-error", "請輸入公告標題",
		chromedp.SendKeys(chromedp.ID("body"), "當日 20:00 至 22:00 暫停服務，詳見 https://www.nhi.gov.tw/ 。"),
		chromedp.Click(`//input[@name="important"][@value="1"]`),
		chromedp.Click(`//main//button[normalize-space()="發布"]`),
	)
	step(t, staff, "#flash", "已發布公告",
		chromedp.SendKeys(chromedp.ID("title"), title),
		chromedp.Click(`//main//button[normalize-space()="發布"]`),
	)

	unit := newBrowser(t)
	if err := chromedp.Do(unit, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, ".banner", title); err != nil {
		t.Fatalf("front door banner: %v", err)
	}
	if _, err := waitText(unit, "main", "署內人員登入"); err != nil {
		t.Fatalf("front door: %v", err)
	}
	step(t, unit, "main h1", "公告欄", chromedp.Click(`.banner a`))
	if _, err := waitText(unit, "main", title); err != nil {
		t.Fatalf("公告欄: %v", err)
	}
	href, err := chromedp.Run(unit, chromedp.AttributeValue(`//article[.//h2[contains(., "系統維護")]]//a[starts-with(@href,"https://www.nhi.gov.tw")]`, "href"))
	if err != nil || href.Value == "" {
		t.Fatalf("the address in the body is not a link: %q %v", href.Value, err)
	}

	step(t, staff, "#flash", "已撤回公告",
		chromedp.Click(`//tr[.//a[contains(., "系統維護")]]//button[normalize-space()="撤回"]`),
	)
	if err := chromedp.Do(unit, chromedp.Navigate(srv.URL+"/announcements")); err != nil {
		t.Fatal(err)
	}
	text, _, err := textOf(unit, "main")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, title) {
		t.Error("a withdrawn announcement is still on the 公告欄")
	}
}
