package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// wantLabelled checks that every visible form control of a page has a
// <label for>, a wrapping label or an aria-label, as TestEveryControlHasALabel does.
func wantLabelled(t *testing.T, r *response) {
	t.Helper()
	doc := r.doc(t)
	if lang, _ := doc.Find("html").Attr("lang"); lang != "" && lang != "zh-Hant-TW" {
		t.Errorf("%s: lang=%q", r.Request.URL, lang)
	}
	n := 0
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "hidden" || typ == "submit" {
			return
		}
		n++
		if _, ok := s.Attr("aria-label"); ok || s.Closest("label").Length() > 0 {
			return
		}
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
			name, _ := s.Attr("name")
			t.Errorf("%s: control %q (id %q) has no label", r.Request.URL, name, id)
		}
	})
	if n == 0 {
		t.Errorf("%s: no form controls to check", r.Request.URL)
	}
}

func casePath(id int64) string { return fmt.Sprintf("/console/cases/%d", id) }

// caseForm is a valid form of the new-case page.
func caseForm(kv ...string) url.Values {
	f := url.Values{"caller_name": {"王小姐"}, "caller_phone": {"(02)2345-6789"}, "topic": {"q5"}, "notes": {"登入時出現洽詢承辦人"}, "assign_me": {"1"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestCasePagesRender(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	withUnit := e.openCase("taipei.staff", models.CaseInput{UnitID: e.unitID(ownUnit), Topic: "q10"})
	anonymous := e.openCase("taipei.staff", models.CaseInput{CallerRef: "永泰科技", Topic: "other"})
	staff, hq := e.staffClient("taipei.staff"), e.staffClient("hq.staff")
	for _, p := range []struct {
		who  *client
		path string
	}{
		{staff, "/console/cases"},
		{staff, "/console/cases?status=all&topic=q10&assigned=me&q=%E6%B0%B8"},
		{staff, "/console/cases/new"},
		{staff, "/console/cases/new?unit=" + fmtID(e.unitID(ownUnit))},
		{staff, casePath(withUnit.ID)},
		{staff, casePath(anonymous.ID)},
		{hq, "/console/cases"},
		{hq, "/console/cases/new"},
		{hq, casePath(withUnit.ID)},
	} {
		r := p.who.get(p.path)
		wantStatus(t, r, http.StatusOK)
		wantLabelled(t, r)
		wantContains(t, r, `aria-current="page">電話服務案件</a>`)
	}

	page := staff.get(casePath(withUnit.ID))
	wantContains(t, page, "Q10 申報後收到錯誤代碼", "異動檢核後查詢", "投保金額級距尚未建檔", "建議答覆（Q&amp;A Q10）",
		"最近沒有檢核錯誤的申報", fmt.Sprintf(`href="/console/units/%d"`, e.unitID(ownUnit)), "有效承辦人", "處理中",
		`name="_csrf"`, `name="version" value="1"`, `data-confirm="確定要結案嗎？`)
	if page.doc(t).Find(`form[action$="/notes"][data-confirm]`).Length() != 0 {
		t.Error("adding a note asks for confirmation")
	}
	if page.doc(t).Find(`form[method="post"]`).Not(`:has(input[name="_csrf"])`).Length() != 0 {
		t.Error("a form posts without the CSRF token")
	}
	wantContains(t, staff.get(casePath(anonymous.ID)), "尚未辨識投保單位", "永泰科技", "/console/units?q=%e6%b0%b8%e6%b3%b0%e7%a7%91%e6%8a%80")

	// Auditors look but do not touch; admins too.
	for _, who := range []string{"taipei.audit", "hq.admin"} {
		r := e.staffClient(who).get(casePath(withUnit.ID))
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "您的角色只能查看案件")
		wantNotContains(t, r, "新增備註</button>", "開立新案件")
	}
	wantNotContains(t, e.staffClient("taipei.audit").get("/console/cases"), "開立新案件")
	// Head office picks a branch; branch staff do not.
	wantContains(t, hq.get("/console/cases/new"), `<select id="branch" name="branch"`)
	wantNotContains(t, hq.get("/console/cases/new"), `name="assign_me"`)
	wantNotContains(t, staff.get("/console/cases/new"), `name="branch"`)
}

func TestCaseFormValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	before := auditCount(t, e.db, "case.open")
	for _, tc := range []struct {
		name, field, value, want string
	}{
		{"no caller name", "caller_name", "", "請輸入來電者姓名"},
		{"no caller phone", "caller_phone", "", "請輸入來電者電話"},
		{"a bad phone", "caller_phone", "abc", "來電者電話格式不正確"},
		{"no topic", "topic", "", "請選擇問題類別"},
		{"an unknown topic", "topic", "q12", "請選擇問題類別"},
		{"a long caller reference", "caller_ref", strings.Repeat("字", 101), "最多 100 個字"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/console/cases", caseForm(tc.field, tc.value))
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, tc.want, "案件資料有誤", `aria-invalid="true"`, `id="`+tc.field+`-error"`)
			wantLabelled(t, r)
			// What was typed is kept.
			wantContains(t, r, "登入時出現洽詢承辦人")
		})
	}
	r := c.post("/console/cases", url.Values{})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "請輸入來電者姓名", "請輸入來電者電話", "請選擇問題類別")
	// Head office must pick the branch of a caller it cannot identify.
	hq := e.staffClient("hq.staff")
	r = hq.post("/console/cases", caseForm("assign_me", "", "caller_ref", "某公司"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "請選擇此案件所屬的業務組", `<select id="branch" name="branch" aria-describedby="branch-help branch-error" aria-invalid="true"`)
	wantStatus(t, hq.post("/console/cases", caseForm("assign_me", "", "caller_ref", "某公司", "branch", "6")), http.StatusSeeOther)
	// Without the CSRF token nothing happens.
	wantStatus(t, c.post("/console/cases", caseForm("_csrf", "")), http.StatusForbidden)
	if got := auditCount(t, e.db, "case.open"); got != before+1 {
		t.Errorf("%d case.open events, want %d", got, before+1)
	}
}

func TestOpenCaseFromUnit(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		unitID := e.unitID(ownUnit)
		// The unit is temporarily closed and has a change request waiting.
		if _, err := db.NewUpdate().Table("units").Set("status = 'closed', status_reason = ?", "營業地址查無此單位").
			Where("id = ?", unitID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.SubmitChangeRequest(ctx, models.Actor{Kind: "unit", Name: "u", UnitID: unitID}, unitID, models.ChangeRequestInput{
			ChangeName: true, NewName: "來電測試有限公司", EffectiveDate: modelstest.Clock, ContactName: "王大明", ContactPhone: "(02)2345-6789",
			Documents: []models.Upload{{FileName: "a.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 x")}}}); err != nil {
			t.Fatal(err)
		}
		var u models.Unit
		if err := db.NewSelect().Model(&u).Where("id = ?", unitID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		c := e.staffClient("taipei.staff")
		form := c.get("/console/cases/new?unit=" + fmtID(unitID))
		wantStatus(t, form, http.StatusOK)
		wantContains(t, form, u.Name, u.Code, fmt.Sprintf(`name="unit_id" value="%d"`, unitID), "暫時關閉")
		wantNotContains(t, form, `name="caller_ref"`)

		r := c.post("/console/cases", caseForm("unit_id", fmtID(unitID)))
		wantStatus(t, r, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		if !strings.HasPrefix(loc, "/console/cases/") {
			t.Fatalf("redirect to %q", loc)
		}
		page := c.get(loc)
		wantStatus(t, page, http.StatusOK)
		hs, _ := models.ClerksOfUnit(ctx, db, models.ScopeAll, unitID)
		wantContains(t, page, "已開立案件", u.Name, u.Code, fmt.Sprintf(`href="/console/units/%d"`, unitID),
			"Q5 登入出現「洽詢承辦人」", "確認為暫時關閉後會將單位開啟", "暫時關閉", "原因：營業地址查無此單位",
			"審核中的基本資料變更申請", "註冊（", fmt.Sprintf("共 %d 位", len(hs)), "最近沒有檢核錯誤的申報", "王小姐", "(02)2345-6789", "王專員")
		for _, h := range hs {
			wantNotContains(t, page, h.IDNo) // masked
		}

		// Another branch's unit is not there for a 臺北 officer.
		other := fmtID(e.unitID(otherUnit))
		wantStatus(t, c.get("/console/cases/new?unit="+other), http.StatusNotFound)
		wantStatus(t, c.post("/console/cases", caseForm("unit_id", other)), http.StatusNotFound)
		wantStatus(t, c.get("/console/cases/new?unit=abc"), http.StatusNotFound)
		// Typing the unit code links the unit too.
		r = c.post("/console/cases", caseForm("caller_ref", u.Code, "topic", "q8"))
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, c.get(r.Header.Get("Location")), "Q8 補登勞保證號", fmt.Sprintf(`href="/console/units/%d"`, unitID))
	})
}

func TestCaseQueue(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		old := e.openCase("taipei.staff", models.CaseInput{UnitID: e.unitID(ownUnit), CallerName: "最早來電", AssignToMe: true})
		e.clock.Advance(30 * time.Hour)
		nobody := e.openCase("taipei.super", models.CaseInput{CallerName: "陳先生", Topic: "q10"})
		e.clock.Advance(2 * time.Hour)
		mine := e.openCase("taipei.staff", models.CaseInput{CallerName: "林小姐", Topic: "q2", AssignToMe: true})
		north := e.openCase("north.staff", models.CaseInput{CallerName: "北區來電者"})
		e.clock.Advance(time.Hour)
		c := e.staffClient("taipei.staff")

		full := c.get("/console/cases")
		wantStatus(t, full, http.StatusOK)
		wantContains(t, full, "<html", `id="case-results"`, "共 3 件", "33 小時", "3 小時", "1 小時", "尚未指派")
		wantNotContains(t, full, "北區來電者")
		if v := full.Header.Get("Vary"); !strings.Contains(v, "HX-Request") {
			t.Errorf("Vary = %q", v)
		}
		var order []string
		full.doc(t).Find("#case-results tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) {
			order = append(order, s.Text())
		})
		if want := []string{fmtID(old.ID), fmtID(nobody.ID), fmtID(mine.ID)}; strings.Join(order, ",") != strings.Join(want, ",") {
			t.Errorf("order %v, want oldest first %v", order, want)
		}

		partial := func(query string) *response {
			t.Helper()
			r := c.get("/console/cases?"+query, "HX-Request", "true", "HX-Target", "case-results")
			wantStatus(t, r, http.StatusOK)
			wantNotContains(t, r, "<html", `id="case-q"`)
			return r
		}
		wantContains(t, partial("topic=q10"), "共 1 件", "陳先生")
		wantContains(t, partial("assigned=nobody"), "共 1 件", "陳先生")
		r := partial("assigned=me")
		wantContains(t, r, "共 2 件", "最早來電", "林小姐")
		wantContains(t, partial("q=%E6%9E%97%E5%B0%8F"), "共 1 件", "林小姐")
		wantContains(t, partial("q="+demo.UnitCode(ownUnit)), "共 1 件", "最早來電")
		wantContains(t, partial("status=resolved"), "共 0 件", "沒有符合條件的案件")

		// Resolving takes a case out of the default queue.
		a, sc := e.caseStaffActor("taipei.staff")
		if err := e.store.SetCaseStatus(context.Background(), a, sc, old.ID, 1, models.CaseResolved, "已處理"); err != nil {
			t.Fatal(err)
		}
		wantContains(t, partial(""), "共 2 件")
		wantContains(t, partial("status=resolved"), "共 1 件", "最早來電", "已結案")
		wantContains(t, partial("status=all"), "共 3 件")
		// Bad filter values are ignored, not errors.
		wantContains(t, partial("status=x&topic=%3Cb%3E&assigned=x&page=-3"), "共 2 件")

		// Head office sees every branch and may narrow down to one.
		hq := e.staffClient("hq.staff")
		wantContains(t, hq.get("/console/cases"), "共 3 件", "北區來電者", `<select id="case-branch" name="branch">`, "北區業務組")
		wantContains(t, hq.get("/console/cases?branch=2", "HX-Request", "true", "HX-Target", "case-results"), "共 1 件", "北區來電者")
		// A 北區 officer sees only 北區 and cannot open a 臺北 case.
		n := e.staffClient("north.staff")
		wantContains(t, n.get("/console/cases"), "共 1 件", "北區來電者")
		wantStatus(t, n.get(casePath(mine.ID)), http.StatusNotFound)
		wantStatus(t, n.get(casePath(north.ID)), http.StatusOK)

		// Two days later the ages are in days.
		e.clock.Advance(48 * time.Hour)
		c = e.staffClient("taipei.staff") // the old session has timed out
		wantContains(t, partial("assigned=nobody"), "2 天")

		// Paging.
		for i := 0; i < 20; i++ { // twenty calls, not one recorded twenty times (a repeat within minutes is one case)
			e.openCase("taipei.staff", models.CaseInput{CallerName: "來電者" + strconv.Itoa(i)})
		}
		p1 := c.get("/console/cases")
		wantContains(t, p1, "共 22 件", "第 1 / 2 頁", `rel="next"`)
		p2 := partial("page=2")
		wantContains(t, p2, "第 2 / 2 頁", `rel="prev"`)
		if n := p2.doc(t).Find("tbody tr").Length(); n != 2 {
			t.Errorf("%d rows on page 2, want 2", n)
		}
	})
}

func TestCaseActions(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		cs := e.openCase("taipei.staff", models.CaseInput{UnitID: e.unitID(ownUnit)})
		path := casePath(cs.ID)
		c := e.staffClient("taipei.staff")

		// Notes.
		r := c.post(path+"/notes", url.Values{"text": {"  "}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "請輸入備註", `id="note-error"`)
		wantStatus(t, c.post(path+"/notes", url.Values{"text": {"已請單位明天再登入\n第二行 <b>粗</b>"}}), http.StatusSeeOther)
		page := c.get(path)
		wantContains(t, page, "已新增備註", "已請單位明天再登入<br>第二行 &lt;b&gt;粗&lt;/b&gt;", "王專員")

		// Waiting for the unit, and back.
		wantStatus(t, c.post(path+"/status", url.Values{"status": {"waiting"}, "version": {"1"}}), http.StatusSeeOther)
		wantContains(t, c.get(path), "等候單位回覆", "恢復為處理中")
		// A second officer with the old page: 409, told, and shown the case as it is.
		stale := e.staffClient("taipei.super").post(path+"/status", url.Values{"status": {"resolved"}, "version": {"1"}, "resolution": {"已處理"}})
		wantStatus(t, stale, http.StatusConflict)
		wantContains(t, stale, "此案件剛被其他同仁更新", `name="version" value="2"`, "已處理")

		// Assignment within the branch only.
		n := e.staffClient("north.staff")
		a, _ := e.caseStaffActor("north.staff")
		r = c.post(path+"/assign", url.Values{"assignee": {fmtID(a.ID)}, "version": {"2"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "只能指派給臺北業務組的業務承辦人或主管", `id="assignee-error"`)
		sup, _ := e.caseStaffActor("taipei.super")
		// Through htmx: 204 with HX-Redirect.
		r = c.post(path+"/assign", url.Values{"assignee": {fmtID(sup.ID)}, "version": {"2"}}, "HX-Request", "true")
		if r.StatusCode != http.StatusNoContent || r.Header.Get("HX-Redirect") != path {
			t.Errorf("htmx assign: %d, HX-Redirect %q", r.StatusCode, r.Header.Get("HX-Redirect"))
		}
		page = c.get(path)
		if sel := page.doc(t).Find(`#assignee option[selected]`).Text(); !strings.Contains(sel, "林科長") {
			t.Errorf("selected assignee %q, want 林科長", sel)
		}

		// Resolving needs a resolution, and is final.
		r = c.post(path+"/status", url.Values{"status": {"resolved"}, "version": {"3"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "請輸入處理結果", `id="resolution-error"`)
		wantStatus(t, c.post(path+"/status", url.Values{"status": {"resolved"}, "version": {"3"}, "resolution": {"已開啟單位"}}), http.StatusSeeOther)
		page = c.get(path)
		wantContains(t, page, "已結案", "處理結果：已開啟單位")
		wantNotContains(t, page, `action="`+path+`/notes"`, `action="`+path+`/status"`, `action="`+path+`/assign"`)
		wantStatus(t, c.post(path+"/status", url.Values{"status": {"open"}, "version": {"4"}}), http.StatusConflict)
		wantStatus(t, c.post(path+"/notes", url.Values{"text": {"結案後"}}), http.StatusConflict)

		// Others: a 北區 officer gets 404, an auditor 403.
		for _, p := range []string{"/notes", "/status", "/assign"} {
			wantStatus(t, n.post(path+p, url.Values{"text": {"x"}, "status": {"open"}, "version": {"4"}}), http.StatusNotFound)
			wantStatus(t, e.staffClient("taipei.audit").post(path+p, url.Values{"text": {"x"}}), http.StatusForbidden)
		}
		for action, want := range map[string]int{"case.open": 1, "case.note": 1, "case.status": 1, "case.assign": 1, "case.resolve": 1} {
			if got := auditCount(t, db, action); got != want {
				t.Errorf("%d %s events, want %d", got, action, want)
			}
		}
		// The unit page lists the case's events in Chinese.
		wantContains(t, c.get(fmt.Sprintf("/console/units/%d", e.unitID(ownUnit))), "開立電話服務案件", "電話服務案件結案")
	})
}
