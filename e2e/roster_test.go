package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rocdate"
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

// TestClerkCorrectsAndWithdrawsThenSeesRoster is issue 13.2, 13.3 and
// 13.5: the nightly check found code 5 in two enrollments. The clerk
// corrects the first from 異動檢核後查詢 (the form comes pre-filled),
// withdraws the second with a reason after confirming, and finds the
// roster right: the first at the corrected amount, the second gone. Then
// the clerk prints both kinds of form: the corrected enrolment with a third
// that still has code 5 (a warning first, answered from the keyboard) on
// one 投保(轉入)申報表, and the first person's 退保 on a 退保(轉出)申報表.
func TestClerkCorrectsAndWithdrawsThenSeesRoster(t *testing.T) {
	t.Parallel()
	requirePDFInfo(t)
	srv := startServer(t)
	ctx := newBrowser(t)
	acceptDialogs(ctx)
	prints := watchPrints(t, ctx, srv.URL)
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

	// Printing. A third enrolment, in which the night finds code 5 too,
	// and the first person's 退保 in three days.
	third := twid.MakeNationalID('A', 1, 8103)
	fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "insured", "sex": "M", "reason": "A1"},
		map[string]string{"insured_id": third, "name": "王待補", "birth": "080/02/02", "amount": "30300", "effective_date": todayROC()})
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatalf("filing %s: %v", third, err)
	}
	nightlyFindsCode5(t, srv, third)
	leaves := rocdate.FormatSlash(time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 3))
	fillFiling(t, ctx, srv.URL, map[string]string{"kind": "withdraw", "person": "insured", "sex": "M", "reason": "W1"},
		map[string]string{"insured_id": first, "name": "張補正", "birth": "074/06/01", "effective_date": leaves})
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatalf("the 退保: %v", err)
	}

	// 投保(轉入): the corrected enrolment and 王待補's, which has code 5.
	step(t, ctx, "#print-count", "第一~三類保險對象投保申請表",
		chromedp.Navigate(srv.URL+"/portal/print?search=1&form_type=health&report=enrol"))
	if _, err := waitText(ctx, "#print-flagged", "錯誤代碼"); err != nil {
		t.Fatalf("the list does not say a filing has codes: %v", err)
	}
	step(t, ctx, "#print-warning", "王待補",
		tick("張補正"), tick("王待補"), chromedp.Click(printButton))
	if _, err := waitText(ctx, "#print-warning", "錯誤代碼 5"); err != nil {
		t.Fatal(err)
	}
	if text, _, _ := textOf(ctx, "#print-warning-list"); strings.Contains(text, "張補正") {
		t.Errorf("the warning names the corrected filing, which has no codes: %q", text)
	}
	enrol := downloadPDF(t, ctx, chromedp.SendKeys(`//form[@id="print-confirm-form"]//button[normalize-space()="仍要列印"]`, kb.Enter))
	enrol.want(t, 1, "全民健康保險保險對象投保(轉入)申報表", "張補正", first, "31800", "王待補", third, "到職起薪")
	if !strings.Contains(enrol.name, "投保申報表") || !strings.Contains(enrol.name, "2筆") {
		t.Errorf("file name %q does not say what it holds", enrol.name)
	}

	// 退保(轉出): no codes, no warning.
	step(t, ctx, "#print-count", "第一~三類保險對象退保申請表",
		chromedp.Navigate(srv.URL+"/portal/print"),
		chromedp.WaitVisible(chromedp.ID("report")),
		chromedp.SetValue(chromedp.ID("report"), "withdraw"),
		chromedp.Click(`//button[normalize-space()="申報證明文件查詢"]`))
	out := downloadPDF(t, ctx, tick("張補正"), chromedp.Click(printButton))
	out.want(t, 1, "全民健康保險保險對象退保(轉出)申報表", "張補正", first, "離職", rocForm(leaves))
	if strings.Contains(strings.Join(out.pages, ""), "王待補") {
		t.Error("the 退保 form prints an enrolment")
	}
	if !strings.Contains(out.name, "退保申報表") {
		t.Errorf("file name %q does not name the 退保 form", out.name)
	}

	// What the browser was answered: the warning page, then two PDFs.
	deadline := time.Now().Add(5 * time.Second)
	for len(prints()) < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got, want := prints(), []string{"text/html", "application/pdf", "application/pdf"}; !slices.Equal(got, want) {
		t.Errorf("POST /portal/print answered %q, want %q", got, want)
	}
}

// rocForm turns a ROC date as typed (115/03/05) into the form's
// 115年03月05日.
func rocForm(slash string) string {
	parts := strings.Split(slash, "/")
	if len(parts) != 3 {
		return slash
	}
	return parts[0] + "年" + parts[1] + "月" + parts[2] + "日"
}
