package handlers_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// markError does what the nightly check does to a filing found wrong.
func markError(t *testing.T, e *env, id int64, codes string) {
	t.Helper()
	if _, err := e.db.NewUpdate().Table("filings").Set("status = 'error', codes = ?", codes).Where("id = ?", id).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// fileAs stores a filing of unit i directly, as its unit account.
func fileAs(t *testing.T, e *env, i int, f rules.Filing) *models.Filing {
	t.Helper()
	ctx := context.Background()
	if err := e.store.EnsureReferenceData(ctx); err != nil {
		t.Fatal(err)
	}
	unitID := e.unitID(i)
	got, err := e.store.SubmitFiling(ctx, models.Filer{Actor: models.Actor{Kind: "unit", Name: "fixture", UnitID: unitID}, UnitID: unitID, Source: "web"}, f)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ruleInsured(serial int) rules.Filing {
	return rules.Filing{Kind: rules.KindAdd, Person: rules.PersonInsured, Operation: "health", Category: "1", InsuredID: twid.MakeNationalID('A', 1, serial),
		Name: "陳志明", Sex: "M", Birth: modelstest.Clock.AddDate(-40, 0, 0).Truncate(24 * 3600e9), Reason: "A1", Amount: 30300,
		EffectiveDate: modelstest.Clock.Truncate(24 * 3600e9)}
}

// filingFixture makes, in each unit, a filing with code 5 for the
// correction and withdrawal routes (:fid).
func filingFixture(t *testing.T, e *env, f fixture) {
	var ids [2]int64
	for k, i := range []int{ownUnit, otherUnit} {
		x := fileAs(t, e, i, ruleInsured(7100001+k))
		markError(t, e, x.ID, "5")
		ids[k] = x.ID
	}
	f["fid"] = ids
}

// TestFilingCorrection: a code-5 filing is corrected from 異動檢核後查詢
// (the form pre-filled, the original marked 已補正 with a link), a second
// submit answers 409, another is withdrawn with a confirmed reason, and
// another unit's filing is 404.
func TestFilingCorrection(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	orig := fileAs(t, e, ownUnit, ruleInsured(7200001))
	markError(t, e, orig.ID, "5")
	other := fileAs(t, e, otherUnit, ruleInsured(7200002))
	markError(t, e, other.ID, "5")
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	id := fmtID(orig.ID)

	list := c.get("/portal/filings?status=error")
	wantStatus(t, list, http.StatusOK)
	doc := list.doc(t)
	if doc.Find(`a[href="/portal/filings/`+id+`/correct"]`).Length() != 1 {
		t.Errorf("no 補正 link for filing %s", id)
	}
	form := doc.Find(`form[action="/portal/filings/` + id + `/withdraw"]`)
	if confirm, _ := form.Attr("data-confirm"); !strings.Contains(confirm, "確定要撤回") {
		t.Errorf("withdraw form asks %q, want a confirmation", confirm)
	}
	// A clerk who may not file sees neither.
	if r := e.unitClient(ownUnit, models.RoleClerk).get("/portal/filings?status=error"); strings.Contains(r.body, "/correct") {
		t.Error("a clerk who may not file is offered 補正")
	}

	page := c.get("/portal/filings/" + id + "/correct")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "補正申報資料", `action="/portal/filings/`+id+`/correct"`, `value="`+orig.InsuredID+`"`, "錯誤代碼 5", `value="30300"`)

	// Refused as a new filing would be: nothing changes.
	fix := insuredForm(7200001)
	fix.Set("amount", "30000")
	r := c.post("/portal/filings/"+id+"/correct", fix)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "錯誤代碼 5", "補正申報資料")
	fix.Set("amount", "31800")
	wantStatus(t, c.post("/portal/filings/"+id+"/correct", fix), http.StatusSeeOther)
	// The double submit.
	r = c.post("/portal/filings/"+id+"/correct", fix)
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, "已經補正過了")
	if n, _ := e.db.NewSelect().Table("filings").Where("corrects_id = ?", orig.ID).Count(context.Background()); n != 1 {
		t.Errorf("%d corrections, want 1", n)
	}
	list = c.get("/portal/filings")
	wantContains(t, list, "已補正", "補正後的申報 #", "補正 #"+id+"<")

	// Withdraw: a reason is required, then done.
	w := fileAs(t, e, ownUnit, ruleInsured(7200003))
	markError(t, e, w.ID, "5")
	r = c.post("/portal/filings/"+fmtID(w.ID)+"/withdraw", url.Values{"reason": {""}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "請填寫撤回的原因", `action="/portal/filings/`+fmtID(w.ID)+`/withdraw"`, `aria-invalid="true"`)
	wantStatus(t, c.post("/portal/filings/"+fmtID(w.ID)+"/withdraw", url.Values{"reason": {"員工未到職"}}), http.StatusSeeOther)
	wantContains(t, c.get("/portal/filings"), "已撤回", "員工未到職")

	// Another unit's filing.
	wantStatus(t, c.get("/portal/filings/"+fmtID(other.ID)+"/correct"), http.StatusNotFound)
	wantStatus(t, c.post("/portal/filings/"+fmtID(other.ID)+"/withdraw", url.Values{"reason": {"x"}}), http.StatusNotFound)

	// Code s now links to the roster and to the correction.
	r = c.post("/portal/filings", fix)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "錯誤代碼 s", `href="/portal/roster?q=`+orig.InsuredID+`"`, "補正或撤回")
	// And so does the code table.
	codes := c.get("/portal/error-codes").doc(t)
	for _, code := range []string{"5", "s", "t"} {
		if codes.Find(`#code-`+code+` a[href="/portal/filings?status=error"]`).Length() != 1 {
			t.Errorf("code %s in the code table does not link to 異動檢核後查詢", code)
		}
	}
}

// TestRosterPage: the roster lists the unit's insured as of a day, with
// the CSV's rows equal to the page's total; the console shows a unit of
// the staff member's branch only.
func TestRosterPage(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	for i := range 3 {
		fileAs(t, e, ownUnit, ruleInsured(7300001+i))
	}
	fileAs(t, e, otherUnit, ruleInsured(7300009))
	c := e.unitClient(ownUnit, models.RoleClerk)
	r := c.get("/portal/roster")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "投保名單", "共 3 人", twid.MakeNationalID('A', 1, 7300001), "30300")
	wantNotContains(t, r, twid.MakeNationalID('A', 1, 7300009))
	if r := c.get("/portal/roster?on=115/03/01"); !strings.Contains(r.body, "共 0 人") {
		t.Errorf("the day before: %s", r.body)
	}
	wantStatus(t, c.get("/portal/roster?on=abc"), http.StatusUnprocessableEntity)
	wantContains(t, c.get("/portal/roster?q="+twid.MakeNationalID('A', 1, 7300002)), "共 1 人")

	for _, q := range []string{"", "?q=" + twid.MakeNationalID('A', 1, 7300002)} {
		x := c.get("/portal/roster/export" + q)
		wantStatus(t, x, http.StatusOK)
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(x.body, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		page := c.get("/portal/roster" + q)
		total := page.doc(t).Find("#roster-total").Text()
		if want := "共 " + fmtID(int64(len(recs)-1)) + " 人"; total != want {
			t.Errorf("export%s: %d rows, page says %q", q, len(recs)-1, total)
		}
	}

	staff := e.staffClient("taipei.staff")
	r = staff.get("/console/units/" + fmtID(e.unitID(ownUnit)) + "/roster")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "共 3 人")
	wantContains(t, staff.get("/console/units/"+fmtID(e.unitID(ownUnit))), "/roster", "今天 3 人投保")
	wantStatus(t, staff.get("/console/units/"+fmtID(e.unitID(otherUnit))+"/roster"), http.StatusNotFound)
}
