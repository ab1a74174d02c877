package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// nightlyFindsCode5 does to the server's database what the nightly check
// does when it finds the insured amounts of these people no grade.
func nightlyFindsCode5(t *testing.T, srv *server, ids ...string) {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, "sqlite:"+filepath.Join(srv.DataDir, "multicert.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.NewUpdate().Table("filings").Set("status = 'error', codes = '5'").Where("insured_id IN (?) AND voided = ''", bun.List(ids)).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); int(n) != len(ids) {
		t.Fatalf("marked %d filings, want %d", n, len(ids))
	}
}

// TestClerkCorrectsAndWithdrawsThenSeesRoster is issue 13.2 and 13.3: the
// nightly check found code 5 in two enrollments. The clerk corrects the
// first from 異動檢核後查詢 (the form comes pre-filled), withdraws the
// second with a reason after confirming, and finds the roster right: the
// first at the corrected amount, the second gone.
func TestClerkCorrectsAndWithdrawsThenSeesRoster(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	acceptDialogs(ctx)
	clerkLogin(t, ctx, srv.URL)

	first, second := twid.MakeNationalID('A', 1, 8101), twid.MakeNationalID('A', 1, 8102)
	for i, id := range []string{first, second} {
		fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "insured", "sex": "M", "reason": "A1"},
			map[string]string{"insured_id": id, "name": []string{"張補正", "李撤回"}[i], "birth": "074/06/01", "amount": "30300", "effective_date": todayROC()})
		submitFiling(t, ctx)
		if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
			t.Fatalf("filing %s: %v", id, err)
		}
	}
	nightlyFindsCode5(t, srv, first, second)

	// 補正 from 異動檢核後查詢.
	row := func(name string) string { return `//tr[td[normalize-space()="` + name + `"]]` }
	step(t, ctx, "#filing-results", "張補正",
		chromedp.Navigate(srv.URL+"/portal/filings?status=error"))
	if err := chromedp.Do(ctx, chromedp.Click(row("張補正")+`//a[normalize-space()="補正"]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#correcting", "錯誤代碼 5"); err != nil {
		t.Fatalf("the correction form: %v", err)
	}
	prefilled, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('insured_id').value`))
	if err != nil || prefilled != first {
		t.Fatalf("insured_id pre-filled %q (%v), want %s", prefilled, err, first)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("amount"), "31800"),
		chromedp.SendKeys(`//form//button[normalize-space()="送出補正"]`, kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#flash", "已補正"); err != nil {
		t.Fatalf("after the correction: %v", err)
	}

	// 撤回 with a reason, after the confirmation.
	step(t, ctx, "#filing-results", "已補正",
		chromedp.Navigate(srv.URL+"/portal/filings"))
	err = chromedp.Do(ctx,
		chromedp.Click(row("李撤回")+`//summary`),
		chromedp.SendKeys(row("李撤回")+`//input[@name="reason"]`, "員工未到職"),
		chromedp.Click(row("李撤回")+`//button[normalize-space()="確定撤回"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#flash", "已撤回"); err != nil {
		t.Fatalf("after the withdrawal: %v", err)
	}

	// The roster.
	step(t, ctx, "#roster-results", "31800",
		chromedp.Navigate(srv.URL+"/portal/roster?q="+first))
	if _, err := waitText(ctx, "#roster-total", "共 1 人"); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "#roster-total", "共 0 人",
		chromedp.Navigate(srv.URL+"/portal/roster"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), second+kb.Enter))
}
