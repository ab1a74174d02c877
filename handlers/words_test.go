package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestErrorsInWords: an error page names the status in words and says what
// to do; the status code stays the response's, and is quoted for the
// helpdesk only.
func TestErrorsInWords(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	id := fmtID(e.unitID(0))
	c.scrapeCSRF(c.get("/console/units/" + id))
	// Reopening an open unit: someone else did it first.
	r := c.post("/console/units/"+id+"/status", url.Values{"status": {models.UnitActive}, "code": {"verified"}})
	wantStatus(t, r, http.StatusConflict)
	alert := r.doc(t).Find(".alert.error")
	if got := alert.Find("strong").Text(); got != "資料已被處理" {
		t.Errorf("409 alert heading %q, want 資料已被處理", got)
	}
	wantContains(t, r, "此單位已經是正常狀態。請重新整理頁面後再試。", "（代碼 409）")
	r = c.get("/console/nowhere")
	wantStatus(t, r, http.StatusNotFound)
	if got := r.doc(t).Find(".alert.error strong").Text(); got != "找不到資料" {
		t.Errorf("404 alert heading %q, want 找不到資料", got)
	}
}
