package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// The audit search offers every registered action, prints included, and
// finds them.
func TestAuditSearchOffersEveryAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	unitID := e.unitID(ownUnit)
	if err := e.store.AuditPrint(context.Background(), models.Actor{Kind: "clerk", ID: 1, Name: "列印者", UnitID: unitID},
		unitID, models.PrintRecord{Report: "enrol", IDs: []int64{7, 8}, Pages: 1}); err != nil {
		t.Fatal(err)
	}
	auditor := e.staffClient("hq.audit")

	r := auditor.get("/console/audit")
	wantStatus(t, r, http.StatusOK)
	offered := map[string]string{}
	r.doc(t).Find(`select[name="action"] option`).Each(func(_ int, s *goquery.Selection) {
		if v := s.AttrOr("value", ""); v != "" {
			offered[v] = strings.TrimSpace(s.Text())
		}
	})
	for _, a := range models.AuditActions() {
		if got, ok := offered[a.Code]; !ok || got != a.Label {
			t.Errorf("action %s: offered %v as %q, want %q", a.Code, ok, got, a.Label)
		}
	}

	r = auditor.get("/console/audit?" + url.Values{"action": {"filing.print"}}.Encode())
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "共 1 筆", "列印申報資料")
	wantNotContains(t, r, "請從清單選擇動作")
}

// A sampled decision shows its fields by name, dates in the ROC calendar
// and the wait in words, on the sample and on the event's page.
func TestSampledDecisionFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	id := e.decide(modelstest.Clock.Add(-time.Hour), "taipei.staff", "change_request.approve", e.unitID(ownUnit), "1",
		map[string]any{"status": "pending"},
		map[string]any{"status": "approved", "effective_date": "2026-12-15", "waited_seconds": 93784}, "")
	super := e.staffClient("taipei.super")
	r := super.post("/console/samples", url.Values{"size": {"1"}})
	wantStatus(t, r, http.StatusSeeOther)
	for _, path := range []string{r.Header.Get("Location"), "/console/audit/" + fmtID(id)} {
		r := super.get(path)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "審核通過基本資料變更", "生效日期", "115 年 12 月 15 日", "等候時間", "1 天 2 小時 3 分", "狀態")
		wantNotContains(t, r, "2026-12-15", "93784")
		rows := map[string]string{}
		r.doc(t).Find("table.diff tbody tr").Each(func(_ int, s *goquery.Selection) {
			rows[s.AttrOr("data-key", "")] = strings.TrimSpace(s.Find("th").Text())
		})
		if got := rows["effective_date"]; !strings.HasPrefix(got, "生效日期") {
			t.Errorf("%s: field effective_date headed %q, want 生效日期 first", path, got)
		}
	}
}
