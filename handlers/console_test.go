package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestReviewPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	unitID := e.unitID(ownUnit)
	req, err := e.store.SubmitChangeRequest(ctx, models.Actor{Kind: "unit", Name: "u", UnitID: unitID}, unitID, models.ChangeRequestInput{
		ChangeName: true, NewName: "審核測試有限公司", EffectiveDate: modelstest.Clock, ContactName: "王大明", ContactPhone: "(02)2345-6789",
		Documents: []models.Upload{{FileName: "證明.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 x")},
			{FileName: "photo.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nxx")}}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := e.staffClient("taipei.staff"), e.staffClient("taipei.super")
	queue := a.get("/console/reviews")
	wantContains(t, queue, fmt.Sprintf(`href="/console/reviews/%d"`, req.ID), "單位名稱")
	page := a.get(fmt.Sprintf("/console/reviews/%d", req.ID))
	wantContains(t, page, "變更前後對照", "審核測試有限公司", fmt.Sprintf(`data-pdf="/console/documents/%d"`, req.Documents[0].ID),
		`<img class="doc"`, `name="version" value="1"`)
	wantNotContains(t, page, "<iframe")
	doc := a.get(fmt.Sprintf("/console/documents/%d", req.Documents[0].ID))
	if doc.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(doc.Header.Get("Content-Disposition"), "attachment;") ||
		doc.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(doc.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("document headers: %v", doc.Header)
	}
	// Two reviewers on the same version: the second is told who decided.
	path := fmt.Sprintf("/console/reviews/%d/decision", req.ID)
	wantStatus(t, b.post(path, url.Values{"version": {"1"}, "decision": {"approve"}}), http.StatusSeeOther)
	late := a.post(path, url.Values{"version": {"1"}, "decision": {"reject"}, "reason": {"文件不清楚"}})
	wantStatus(t, late, http.StatusConflict)
	wantContains(t, late, "已由林科長", "審核通過", "您的決定未儲存")
	// The unit sees the decision and its new name (effective today).
	home := e.unitClient(ownUnit, models.RoleUnitOwner).get("/portal")
	wantContains(t, home, "審核測試有限公司", "基本資料已變更")
	// A 北區 officer cannot open it.
	if r := e.staffClient("north.staff").get(fmt.Sprintf("/console/reviews/%d", req.ID)); r.StatusCode != http.StatusNotFound {
		t.Errorf("another branch: %d", r.StatusCode)
	}
}

func TestUnitStatusForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	path := fmt.Sprintf("/console/units/%d", e.unitID(ownUnit))
	page := c.get(path)
	wantContains(t, page, "暫時關閉單位", `data-confirm="確定要暫時關閉此單位嗎？`, "申請註銷")
	r := c.post(path+"/status", url.Values{"status": {"closed"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "請選擇原因")
	wantStatus(t, c.post(path+"/status", url.Values{"status": {"closed"}, "code": {"suspended"}}), http.StatusSeeOther)
	wantContains(t, c.get(path), "暫時關閉", "單位申請停業", "開啟單位")
	// An auditor sees the unit but not the forms.
	au := e.staffClient("taipei.audit").get(path)
	wantStatus(t, au, http.StatusOK)
	wantNotContains(t, au, "開啟單位</button>", "申請註銷")
}
