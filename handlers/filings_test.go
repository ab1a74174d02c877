package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func insuredForm(serial int) url.Values {
	return url.Values{"kind": {"add"}, "person": {"insured"}, "operation": {"health"}, "category": {"1"},
		"insured_id": {twid.MakeNationalID('A', 1, serial)}, "name": {"陳志明"}, "sex": {"M"}, "birth": {"074/06/01"},
		"reason": {"A1"}, "amount": {"30,300"}, "effective_date": {"115/03/02"}}
}

func TestFilingEntryAndQuery(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	if err := e.store.EnsureReferenceData(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	page := c.get("/portal/filings/new")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "加保、退保、投保金額調整", `hx-post="/portal/filings/check"`, "員工（被保險人）身分證號")

	// Field checks as typed.
	f := insuredForm(1111111)
	f.Set("field", "insured_id")
	f.Set("insured_id", "A123456788")
	wantContains(t, c.post("/portal/filings/check", f), "檢查碼")
	f = insuredForm(1111111)
	f.Set("field", "amount")
	f.Set("amount", "30000")
	wantContains(t, c.post("/portal/filings/check", f), "30300")
	f.Set("amount", "30300")
	if r := c.post("/portal/filings/check", f); strings.Contains(r.body, "field-error") {
		t.Errorf("a good amount got a message: %s", r.body)
	}

	// The insured, then a dependent born 10 years after them: code 2 at once.
	wantStatus(t, c.post("/portal/filings", insuredForm(1111111)), http.StatusSeeOther)
	dep := url.Values{"kind": {"add"}, "person": {"dependent"}, "operation": {"health"}, "insured_id": {twid.MakeNationalID('A', 1, 1111111)},
		"dependent_id": {twid.MakeNationalID('B', 2, 2222222)}, "name": {"陳小美"}, "sex": {"F"}, "birth": {"084/01/01"},
		"relation": {"3"}, "reason": {"D1"}, "effective_date": {"115/03/02"}}
	r := c.post("/portal/filings", dep)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "這筆資料未送出", `href="/portal/error-codes#code-2"`, "錯誤代碼 2", "14 年", `value="084/01/01"`)
	dep.Set("birth", "104/01/01")
	wantStatus(t, c.post("/portal/filings", dep), http.StatusSeeOther)

	// 異動檢核後查詢: both, 審核正確, in the default range (the past two months).
	q := c.get("/portal/filings")
	wantStatus(t, q, http.StatusOK)
	wantContains(t, q, "共 2 筆", "審核正確", "網路申報", "健保專用", "陳小美", "115/03/02")
	wide := c.get("/portal/filings?from=114/10/01&to=115/03/02")
	wantStatus(t, wide, http.StatusUnprocessableEntity)
	wantContains(t, wide, "只提供過去 2 個月內的檢核查詢")
	csv := c.get("/portal/filings/export")
	wantStatus(t, csv, http.StatusOK)
	if !strings.HasPrefix(csv.body, "\ufeff備註,錯誤代碼,資料來源") || !strings.Contains(csv.body, "陳小美") {
		t.Errorf("CSV: %q", csv.body[:min(len(csv.body), 200)])
	}
	codes := c.get("/portal/error-codes")
	wantContains(t, codes, `id="code-2"`, `id="code-5"`, "投保金額")

	// Another unit sees none of it; the unit account may look but not file.
	wantContains(t, e.unitClient(otherUnit, models.RoleClerkFiler).get("/portal/filings"), "共 0 筆")
	owner := e.unitClient(ownUnit, models.RoleUnitOwner)
	wantContains(t, owner.get("/portal/filings"), "共 2 筆")
	if r := owner.post("/portal/filings", insuredForm(3333333)); r.StatusCode != http.StatusForbidden {
		t.Errorf("the unit account filing: %d, want 403", r.StatusCode)
	}
}
