package handlers_test

// Tests of the supervisors' and auditors' screens: the audit log search,
// one event with its before/after, the CSV export, decision statistics and
// sampling.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// auditActor is a demo staff member as an audit actor.
func (e *env) auditActor(username string) models.Actor {
	e.t.Helper()
	var st models.Staff
	if err := e.db.NewSelect().Model(&st).Where("username = ?", username).Scan(context.Background()); err != nil {
		e.t.Fatalf("staff %s: %v", username, err)
	}
	a := models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role, IP: "192.0.2.10"}
	if st.BranchCode != nil {
		a.Branch = *st.BranchCode
	}
	return a
}

// decide records a decision of a demo staff member at the moment at.
// No store action makes decisions in this area's files, so it appends the
// event through the store; the tests check the chain with models.VerifyAudit.
func (e *env) decide(at time.Time, username, action string, unitID int64, branch string, before, after any, reason string) int64 {
	e.t.Helper()
	a := e.auditActor(username)
	ev := models.AuditEvent{At: at, ActorKind: a.Kind, ActorID: &a.ID, ActorName: a.Name, Role: a.Role, Action: action,
		ObjectType: "unit", Reason: reason, ClientIP: a.IP}
	if unitID != 0 {
		ev.UnitID = &unitID
		ev.ObjectID = strconv.FormatInt(unitID, 10)
	}
	if branch != "" {
		ev.BranchCode = &branch
	}
	for _, x := range []struct {
		v   any
		out *string
	}{{before, &ev.BeforeJSON}, {after, &ev.AfterJSON}} {
		switch v := x.v.(type) {
		case nil:
		case string: // raw, possibly not JSON at all
			*x.out = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				e.t.Fatal(err)
			}
			*x.out = string(b)
		}
	}
	return e.appendEvent(ev)
}

// appendEvent appends ev to the audit chain, keyed as models' audit
// does, and returns its id.
func (e *env) appendEvent(ev models.AuditEvent) int64 {
	e.t.Helper()
	if err := e.store.AppendAuditEvent(context.Background(), &ev); err != nil {
		e.t.Fatal(err)
	}
	return ev.ID
}

func (e *env) verifyAudit() {
	e.t.Helper()
	if _, err := models.VerifyAudit(context.Background(), e.db, modelstest.AuditKeys, nil); err != nil {
		e.t.Errorf("audit chain: %v", err)
	}
}

// auditEvents returns the events of an action, newest first.
func (e *env) auditEvents(action string) []models.AuditEvent {
	e.t.Helper()
	var evs []models.AuditEvent
	if err := e.db.NewSelect().Model(&evs).Where("action = ?", action).Order("seq DESC").Scan(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// wantControlsLabelled checks that every visible form control of a page
// has a label.
func wantControlsLabelled(t *testing.T, r *response) {
	t.Helper()
	doc := r.doc(t)
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "hidden" || typ == "submit" {
			return
		}
		if _, ok := s.Attr("aria-label"); ok || s.Closest("label").Length() > 0 {
			return
		}
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
			name, _ := s.Attr("name")
			t.Errorf("%s: control %q (id %q) has no label", r.Request.URL, name, id)
		}
	})
}

func TestAuditSearchPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	hour := modelstest.Clock.Add(-time.Hour)
	e.decide(hour, "taipei.staff", "unit.close", e.unitID(ownUnit), "1", nil, map[string]any{"status": "closed"}, "臺北的關閉理由")
	e.decide(hour, "north.staff", "unit.close", e.unitID(otherUnit), "2", nil, map[string]any{"status": "closed"}, "北區的關閉理由")
	super := e.staffClient("taipei.super")

	t.Run("a branch sees its own", func(t *testing.T) {
		r := super.get("/console/audit")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "稽核紀錄", "臺北的關閉理由", "共 ", `action="/console/audit/export"`)
		wantNotContains(t, r, "北區的關閉理由")
		wantControlsLabelled(t, r)
		if n := r.doc(t).Find(`#audit-results tbody tr`).Length(); n == 0 {
			t.Errorf("no rows")
		}
	})
	t.Run("head office sees all", func(t *testing.T) {
		r := e.staffClient("hq.audit").get("/console/audit?action=unit.close")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "臺北的關閉理由", "北區的關閉理由", "共 2 筆")
	})
	t.Run("HTMX gets the results only", func(t *testing.T) {
		r := super.get("/console/audit?action=unit.close&unit="+demo.UnitCode(ownUnit), "HX-Request", "true", "HX-Target", "audit-results")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "共 1 筆", "臺北的關閉理由", `name="action" value="unit.close"`)
		wantNotContains(t, r, "<html", `id="audit-search"`)
		if v := r.Header.Get("Vary"); !strings.Contains(v, "HX-Request") {
			t.Errorf("Vary %q", v)
		}
	})
	t.Run("filters", func(t *testing.T) {
		for q, want := range map[string]string{
			"reason=" + url.QueryEscape("關閉理由"):    "共 1 筆",
			"actor=TAIPEI.STAFF&action=unit.close": "共 1 筆",
			"actor_kind=unit":                      "共 0 筆",
			"from=115/03/02&to=" + url.QueryEscape("115 年 3 月 2 日") + "&action=unit.close": "共 1 筆",
			"to=115/03/01&action=unit.close": "共 0 筆",
		} {
			r := super.get("/console/audit?"+q, "HX-Request", "true", "HX-Target", "audit-results")
			wantStatus(t, r, http.StatusOK)
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: want %q\n%s", q, want, r.body)
			}
		}
	})
	t.Run("paging", func(t *testing.T) {
		for i := 0; i < 55; i++ {
			e.decide(hour, "taipei.staff", "unit.reopen", e.unitID(ownUnit), "1", nil, nil, "")
		}
		r := super.get("/console/audit?action=unit.reopen")
		wantContains(t, r, "共 55 筆", "第 1 / 2 頁", "page=2")
		r = super.get("/console/audit?action=unit.reopen&page=2")
		if n := r.doc(t).Find(`#audit-results tbody tr`).Length(); n != 5 {
			t.Errorf("page 2 has %d rows, want 5", n)
		}
	})
	t.Run("wrong filters", func(t *testing.T) {
		r := super.get("/console/audit?from=2026/03/01&unit=12ab&action=nope")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "投保單位代號為 9 位數字", "請從清單選擇動作", `aria-invalid="true"`)
		r = super.get("/console/audit?from=115/03/02&to=115/03/01", "HX-Request", "true", "HX-Target", "audit-results")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "結束日期不可早於開始日期", `role="alert"`)
	})
	t.Run("admin reads but does not export", func(t *testing.T) {
		r := e.staffClient("hq.admin").get("/console/audit")
		wantStatus(t, r, http.StatusOK)
		wantNotContains(t, r, `action="/console/audit/export"`)
	})
	t.Run("staff may not", func(t *testing.T) {
		wantStatus(t, e.staffClient("taipei.staff").get("/console/audit"), http.StatusForbidden)
	})
	e.verifyAudit()
}

func TestAuditEventPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	hour := modelstest.Clock.Add(-time.Hour)
	id := e.decide(hour, "taipei.staff", "unit.close", e.unitID(ownUnit), "1",
		map[string]any{"status": "active", "name": "<b>甲</b>公司", "n": 1},
		map[string]any{"status": "closed", "name": "<b>甲</b>公司", "n": 1.0, "code": "C1"}, "查無此單位")
	raw := e.decide(hour, "taipei.staff", "unit.close", e.unitID(ownUnit), "1", "[1,2]", "<script>x</script>", "")
	super := e.staffClient("taipei.super")

	r := super.get("/console/audit/" + fmtID(id))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	changed := map[string]bool{}
	doc.Find("table.diff tbody tr").Each(func(_ int, s *goquery.Selection) {
		changed[s.AttrOr("data-key", "")] = s.HasClass("changed")
	})
	want := map[string]bool{"status": true, "code": true, "name": false, "n": false}
	for k, v := range want {
		if got, ok := changed[k]; !ok || got != v {
			t.Errorf("key %s: changed %v (shown %v), want %v", k, got, ok, v)
		}
	}
	if n := doc.Find("table.diff tr.changed mark").Length(); n != 3 { // status before and after, code after
		t.Errorf("%d marked values, want 3", n)
	}
	wantContains(t, r, "&lt;b&gt;甲&lt;/b&gt;公司", "新增", "已變更", "查無此單位", "前一筆雜湊值", demo.UnitCode(ownUnit))
	wantNotContains(t, r, "<b>甲</b>")
	var ev models.AuditEvent
	if err := e.db.NewSelect().Model(&ev).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantContains(t, r, ev.Hash, ev.PrevHash)

	t.Run("not JSON objects: raw, escaped", func(t *testing.T) {
		r := super.get("/console/audit/" + fmtID(raw))
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "以原文顯示", "[1,2]", "&lt;script&gt;x&lt;/script&gt;")
		wantNotContains(t, r, "<script>x")
	})
	t.Run("scope", func(t *testing.T) {
		wantStatus(t, e.staffClient("north.super").get("/console/audit/"+fmtID(id)), http.StatusNotFound)
		wantStatus(t, e.staffClient("hq.audit").get("/console/audit/"+fmtID(id)), http.StatusOK)
		wantStatus(t, e.staffClient("hq.admin").get("/console/audit/"+fmtID(id)), http.StatusOK)
		// An event of no branch and no unit: head office only.
		if _, _, err := e.store.StaffLogin(context.Background(), "", "hq.staff", demo.Password, "192.0.2.1", ""); err != nil {
			t.Fatal(err)
		}
		hq := e.auditEvents("staff.login")[0].ID
		wantStatus(t, super.get("/console/audit/"+fmtID(hq)), http.StatusNotFound)
		wantStatus(t, e.staffClient("hq.super").get("/console/audit/"+fmtID(hq)), http.StatusOK)
		wantStatus(t, super.get("/console/audit/999999"), http.StatusNotFound)
		wantStatus(t, super.get("/console/audit/abc"), http.StatusNotFound)
	})
	e.verifyAudit()
}

// readCSV checks the byte order mark and parses the rest.
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	if !strings.HasPrefix(body, "\xEF\xBB\xBF") {
		t.Fatalf("no UTF-8 byte order mark: %q", body[:min(len(body), 20)])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\xEF\xBB\xBF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestAuditExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	hour := modelstest.Clock.Add(-time.Hour)
	e.decide(hour, "taipei.staff", "unit.close", e.unitID(ownUnit), "1", nil, map[string]any{"status": "closed"}, "=cmd|' /C calc'!A0")
	e.decide(hour, "taipei.staff", "unit.close", e.unitID(ownUnit), "1", nil, nil, "@SUM(1+1)")
	e.decide(hour, "taipei.staff", "unit.close", e.unitID(ownUnit), "1", nil, nil, "-2+3")
	e.decide(hour, "taipei.staff", "unit.close", e.unitID(ownUnit), "1", nil, nil, "+886 電話")
	e.decide(hour, "north.staff", "unit.close", e.unitID(otherUnit), "2", nil, nil, "北區的關閉理由")
	super := e.staffClient("taipei.super")

	r := super.post("/console/audit/export", url.Values{"action": {"unit.close"}})
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	// 稽核紀錄-1150302.csv: the fixed clock is 2026-03-02 in Taipei.
	cd := r.Header.Get("Content-Disposition")
	for _, want := range []string{`attachment;`, `filename="audit-log-1150302.csv"`,
		`filename*=UTF-8''` + url.PathEscape("稽核紀錄-1150302.csv")} {
		if !strings.Contains(cd, want) {
			t.Errorf("Content-Disposition %q lacks %q", cd, want)
		}
	}
	recs := readCSV(t, r.body)
	if len(recs) != 5 || recs[0][0] != "序號" || recs[0][12] != "原因" || len(recs[0]) != 18 {
		t.Fatalf("header %v and %d records; want 4 events of 臺北 after the header", recs[0], len(recs)-1)
	}
	reasons := map[string]bool{}
	for _, rec := range recs[1:] {
		reasons[rec[12]] = true
		if rec[5] != "臺北業務組" || rec[6] != demo.UnitCode(ownUnit) || rec[8] != "暫時關閉單位" && rec[8] != "unit.close" {
			t.Errorf("record %v", rec)
		}
		if !strings.HasPrefix(rec[1], "115/03/02 08:00") {
			t.Errorf("time %q, want ROC date and Taipei time", rec[1])
		}
	}
	for _, want := range []string{"'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3", "'+886 電話"} {
		if !reasons[want] {
			t.Errorf("no reason cell %q in %v", want, reasons)
		}
	}
	if reasons["北區的關閉理由"] {
		t.Errorf("another branch's event exported")
	}
	if !strings.Contains(r.body, "\r\n") {
		t.Errorf("records not ended with CRLF")
	}

	t.Run("audited", func(t *testing.T) {
		evs := e.auditEvents("audit.export")
		if len(evs) != 1 {
			t.Fatalf("%d audit.export events, want 1", len(evs))
		}
		ev := evs[0]
		var after struct {
			Filters map[string]string `json:"filters"`
			Rows    int               `json:"rows"`
		}
		if err := json.Unmarshal([]byte(ev.AfterJSON), &after); err != nil {
			t.Fatal(err)
		}
		if ev.ActorName != "taipei.super" || after.Rows != 4 || after.Filters["action"] != "unit.close" {
			t.Errorf("export event by %s: %s", ev.ActorName, ev.AfterJSON)
		}
	})
	t.Run("an auditor exports", func(t *testing.T) {
		r := e.staffClient("hq.audit").post("/console/audit/export", url.Values{"reason": {"關閉理由"}})
		wantStatus(t, r, http.StatusOK)
		if recs := readCSV(t, r.body); len(recs) != 2 || recs[1][12] != "北區的關閉理由" {
			t.Errorf("records %v", recs)
		}
	})
	t.Run("refused", func(t *testing.T) {
		wantStatus(t, e.staffClient("hq.admin").post("/console/audit/export", nil), http.StatusForbidden)
		wantStatus(t, e.staffClient("taipei.staff").post("/console/audit/export", nil), http.StatusForbidden)
		wantStatus(t, super.post("/console/audit/export", url.Values{"_csrf": {"wrong"}}), http.StatusForbidden)
		// A GET changes nothing: there is no GET export.
		wantStatus(t, super.get("/console/audit/export"), http.StatusNotFound)
		r := super.post("/console/audit/export", url.Values{"from": {"3/2"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, `id="from-error"`)
		if n := len(e.auditEvents("audit.export")); n != 2 {
			t.Errorf("%d exports recorded, want the 2 that happened", n)
		}
	})
	e.verifyAudit()
}

func TestStatsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	now := modelstest.Clock
	wait := func(s int) map[string]any { return map[string]any{"waited_seconds": s} }
	e.decide(now.Add(-2*24*time.Hour), "taipei.staff", "change_request.approve", e.unitID(ownUnit), "1", nil, wait(3600), "")
	e.decide(now.Add(-24*time.Hour), "taipei.staff", "change_request.reject", e.unitID(ownUnit), "1", nil, wait(7200), "")
	e.decide(now.Add(-time.Hour), "north.staff", "unit.close", e.unitID(otherUnit), "2", nil, nil, "")
	e.decide(now.AddDate(0, 0, -45), "taipei.staff", "unit.close", e.unitID(ownUnit), "1", nil, nil, "")

	r := e.staffClient("taipei.super").get("/console/stats")
	wantStatus(t, r, http.StatusOK)
	wantControlsLabelled(t, r)
	wantContains(t, r, `value="115/02/01"`, `value="115/03/02"`, "共 <strong>2</strong> 件決定", "王專員", "taipei.staff", "臺北業務組")
	wantNotContains(t, r, "張專員")
	var staffRow []string
	r.doc(t).Find("section[aria-labelledby=h-staff] tbody tr").Each(func(_ int, s *goquery.Selection) {
		s.Find("td").Each(func(_ int, td *goquery.Selection) { staffRow = append(staffRow, strings.TrimSpace(td.Text())) })
	})
	// Counts per decision action, the total, then mean, median and 90th
	// percentile in hours: waits of 1 and 2 hours.
	n := len(models.DecisionActions)
	if len(staffRow) != n+4 || staffRow[n] != "2" || staffRow[n+1] != "1.5" || staffRow[n+2] != "1.5" || !strings.HasPrefix(staffRow[n+3], "1.9") {
		t.Errorf("staff row %v; want total 2, mean 1.5, median 1.5, p90 1.9 hours", staffRow)
	}

	t.Run("head office, a range", func(t *testing.T) {
		r := e.staffClient("hq.audit").get("/console/stats?from=" + url.QueryEscape("115/01/01") + "&to=1150302")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "共 <strong>4</strong> 件決定", "張專員", "北區業務組")
	})
	t.Run("wrong dates", func(t *testing.T) {
		r := e.staffClient("taipei.super").get("/console/stats?from=115/13/01")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, `id="from-error"`)
		r = e.staffClient("taipei.super").get("/console/stats?from=115/03/02&to=115/03/01")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "結束日期不可早於開始日期")
	})
	t.Run("refused", func(t *testing.T) {
		wantStatus(t, e.staffClient("taipei.staff").get("/console/stats"), http.StatusForbidden)
		wantStatus(t, e.staffClient("hq.admin").get("/console/stats"), http.StatusForbidden)
	})
}

func TestSamplesPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	for i := 0; i < 3; i++ {
		e.decide(modelstest.Clock.Add(-time.Duration(i+1)*time.Hour), "taipei.staff", "unit.close", e.unitID(ownUnit), "1",
			map[string]any{"status": "active"}, map[string]any{"status": "closed"}, "第"+strconv.Itoa(i)+"件")
	}
	super, auditor := e.staffClient("taipei.super"), e.staffClient("taipei.audit")

	t.Run("an auditor cannot draw", func(t *testing.T) {
		r := auditor.get("/console/samples")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "抽樣覆核", "不能抽樣或覆核")
		wantNotContains(t, r, `name="size"`)
		wantStatus(t, auditor.post("/console/samples", url.Values{"size": {"1"}}), http.StatusForbidden)
	})
	t.Run("wrong size", func(t *testing.T) {
		for _, size := range []string{"", "abc", "0", "51"} {
			r := super.post("/console/samples", url.Values{"size": {size}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "請輸入 1 到 50 之間的整數", `aria-invalid="true"`)
		}
	})

	r := super.get("/console/samples")
	wantStatus(t, r, http.StatusOK)
	wantControlsLabelled(t, r)
	r = super.post("/console/samples", url.Values{"size": {"2"}})
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/console/samples/") {
		t.Fatalf("Location %q", loc)
	}
	r = super.get(loc)
	wantStatus(t, r, http.StatusOK)
	wantControlsLabelled(t, r)
	wantContains(t, r, "已抽出 2 筆決定紀錄", "已覆核 0 / 2 筆", "unit.close", "已變更")
	doc := r.doc(t)
	forms := doc.Find("article form")
	if forms.Length() != 2 {
		t.Fatalf("%d verdict forms, want 2", forms.Length())
	}
	first, _ := forms.First().Attr("action")
	second, _ := forms.Last().Attr("action")

	t.Run("an auditor reads but cannot judge", func(t *testing.T) {
		r := auditor.get(loc)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "尚未覆核")
		wantNotContains(t, r, "<textarea")
		wantStatus(t, auditor.post(first, url.Values{"verdict": {"ok"}}), http.StatusForbidden)
	})
	t.Run("another branch cannot see it", func(t *testing.T) {
		wantStatus(t, e.staffClient("north.super").get(loc), http.StatusNotFound)
		wantStatus(t, e.staffClient("north.super").post(first, url.Values{"verdict": {"ok"}}), http.StatusNotFound)
		wantStatus(t, e.staffClient("hq.audit").get(loc), http.StatusOK)
	})
	t.Run("concern needs a note", func(t *testing.T) {
		r := super.post(first, url.Values{"verdict": {"concern"}, "note": {" "}}, "HX-Request", "true")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "請說明疑義所在", `value="concern" checked`)
		// The swapped item carries its error summary, which app.js focuses.
		wantContains(t, r, "data-error-summary", "請修正以下問題", `<a href="#note-`)
		wantNotContains(t, r, "<html")
	})

	r = super.post(first, url.Values{"verdict": {"concern"}, "note": {"<script>alert(1)</script> 未附佐證"}})
	wantStatus(t, r, http.StatusSeeOther)
	r = super.post(second, url.Values{"verdict": {"ok"}}, "HX-Request", "true")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "已記錄覆核結果", "適當", "林科長", "data-focus-after-swap", `data-status="已記錄覆核結果`)
	wantNotContains(t, r, "<textarea")

	t.Run("a verdict is final", func(t *testing.T) {
		r := super.post(first, url.Values{"verdict": {"ok"}}, "HX-Request", "true")
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r, "不可變更", "有疑義", "林科長")
		r = e.staffClient("hq.super").post(second, url.Values{"verdict": {"concern"}, "note": {"改判"}})
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r, "不可變更", "<html")
	})

	r = super.get(loc)
	wantContains(t, r, "已覆核 2 / 2 筆", "1 筆有疑義", "&lt;script&gt;alert(1)&lt;/script&gt; 未附佐證")
	wantNotContains(t, r, "<script>alert(1)")
	r = super.get("/console/samples")
	wantContains(t, r, "2 / 2", "完成")

	t.Run("audited", func(t *testing.T) {
		if n := len(e.auditEvents("sample.draw")); n != 1 {
			t.Errorf("%d sample.draw events, want 1", n)
		}
		v := e.auditEvents("sample.verdict")
		if len(v) != 2 || v[1].Reason == "" || !bytes.Contains([]byte(v[1].AfterJSON), []byte(`"verdict":"concern"`)) {
			t.Errorf("sample.verdict events %+v", v)
		}
	})
	t.Run("nothing left to draw", func(t *testing.T) {
		wantStatus(t, super.post("/console/samples", url.Values{"size": {"5"}}), http.StatusSeeOther) // the third
		r := super.post("/console/samples", url.Values{"size": {"5"}})
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r, "沒有尚未抽樣的決定紀錄")
	})
	e.verifyAudit()
}
