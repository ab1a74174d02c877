package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// assignDemoClerkAlso assigns the demo citizen certificate's clerk (of unit
// 0) in the demo unit i too, as a clerk who files, the way a second office
// takes on the same 記帳士; it returns the two units.
func assignDemoClerkAlso(t *testing.T, srv *server, i int) (first, second models.Unit) {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, "sqlite:"+filepath.Join(srv.DataDir, "multicert.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for k, u := range []*models.Unit{&first, &second} {
		if err := db.NewSelect().Model(u).Where("code = ?", demo.UnitCode([]int{0, i}[k])).Scan(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var h models.Clerk
	if err := db.NewSelect().Model(&h).Where("unit_id = ? AND card_type = ? AND status = 'active'", first.ID, models.CardCitizenCert).
		Order("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	h.ID, h.UnitID, h.MayFile, h.MayManage = 0, second.ID, true, false
	if _, err := db.NewInsert().Model(&h).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return first, second
}

// clerkLoginToPicker logs the demo citizen certificate's clerk in without
// a unit code, when two units assigned them: the login asks for the unit.
func clerkLoginToPicker(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	insertSimCard(t, ctx, base, "自然人憑證：")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.Click(chromedp.CSS(`input[name="as_unit"]`)),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/login/units"); err != nil {
		status, _, _ := textOf(ctx, "#card-status")
		t.Fatalf("the login did not ask for the unit: %v (%s)", err, status)
	}
}

// TestClerkOfTwoUnitsPicksAndSwitches is issue 14.3: a clerk two units
// assigned logs in once without a unit code, picks the first unit, files
// there, switches from the header to the second without logging in again
// and sees only the second unit's filings, then switches back.
func TestClerkOfTwoUnitsPicksAndSwitches(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	first, second := assignDemoClerkAlso(t, srv, 1)
	ctx := newBrowser(t)
	acceptDialogs(ctx)

	clerkLoginToPicker(t, ctx, srv.URL)
	picker, _, err := textOf(ctx, "main table")
	if err != nil || !strings.Contains(picker, first.Code) || !strings.Contains(picker, second.Code) || !strings.Contains(picker, "可申報") {
		t.Fatalf("picker %q (%v), want both units and the role", picker, err)
	}
	choose := func(u models.Unit) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(`//tr[td[normalize-space()="`+u.Code+`"]]//button`)); err != nil {
			t.Fatal(err)
		}
		if _, err := waitPath(ctx, "/portal"); err != nil {
			t.Fatal(err)
		}
		if _, err := waitText(ctx, "header .who", "目前單位："+u.Name+"（"+u.Code+"）"); err != nil {
			t.Fatalf("header after choosing %s: %v", u.Code, err)
		}
	}
	choose(first)

	file := func(name string, serial int) {
		t.Helper()
		fillFiling(t, ctx, srv.URL, map[string]string{"kind": "add", "person": "insured", "sex": "M", "reason": "A1"},
			map[string]string{"insured_id": twid.MakeNationalID('A', 1, serial), "name": name, "birth": "074/06/01", "amount": "30300", "effective_date": todayROC()})
		submitFiling(t, ctx)
		if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
			t.Fatalf("filing %s: %v", name, err)
		}
	}
	filings := func() string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/filings"), chromedp.WaitVisible(chromedp.ID("filing-results"))); err != nil {
			t.Fatal(err)
		}
		txt, _, err := textOf(ctx, "#filing-results")
		if err != nil {
			t.Fatal(err)
		}
		return txt
	}
	file("甲單位投保人", 9401)
	if got := filings(); !strings.Contains(got, "甲單位投保人") {
		t.Fatalf("the first unit's filings lack its filing:\n%s", got)
	}

	// 切換單位 from the header: no new login.
	switchTo := func(u models.Unit) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(`//header//a[normalize-space()="切換單位"]`)); err != nil {
			t.Fatal(err)
		}
		if _, err := waitPath(ctx, "/portal/units"); err != nil {
			t.Fatal(err)
		}
		choose(u)
	}
	switchTo(second)
	if got := filings(); strings.Contains(got, "甲單位投保人") {
		t.Fatalf("after the switch the second unit shows the first unit's filing:\n%s", got)
	}
	file("乙單位投保人", 9402)
	if got := filings(); !strings.Contains(got, "乙單位投保人") {
		t.Fatalf("the second unit's filings lack its filing:\n%s", got)
	}
	switchTo(first)
	if got := filings(); !strings.Contains(got, "甲單位投保人") || strings.Contains(got, "乙單位投保人") {
		t.Fatalf("back in the first unit, filings:\n%s", got)
	}
}
