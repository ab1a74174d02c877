package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/twid"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
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

// TestPortalHistoryOwnOnly: the unit's 最近異動 never shows a phone case's
// note or a staff member's user name; a staff decision is the bureau's.
func TestPortalHistoryOwnOnly(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	var st models.Staff
	if err := e.db.NewSelect().Model(&st).Where("username = ?", "taipei.staff").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	staff := models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role, Branch: "1"}
	id := e.unitID(0)
	c, err := e.store.OpenCase(ctx, staff, models.ScopeAll, models.CaseInput{UnitID: id, CallerName: "王小姐", CallerPhone: "02-2700-0000",
		Topic: models.TopicOther, Notes: "來電語氣不佳", AssignToMe: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddCaseNote(ctx, staff, models.ScopeAll, c.ID, "疑似冒用，勿告知單位"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetUnitStatus(ctx, staff, models.ScopeAll, id, models.UnitClosed, "other", "內部查核中"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetUnitStatus(ctx, staff, models.ScopeAll, id, models.UnitActive, "verified", ""); err != nil {
		t.Fatal(err)
	}
	r := e.unitClient(0, models.RoleUnitOwner).get("/portal")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "暫時關閉單位", "健保署承辦人")
	wantNotContains(t, r, "taipei.staff", "電話服務案件", "來電語氣不佳", "疑似冒用")
}

// TestClerkCreatorInWords: 新增者 is 投保單位 or the clerk's name, never "unit".
func TestClerkCreatorInWords(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	r := e.unitClient(0, models.RoleUnitOwner).get("/portal/handlers")
	wantStatus(t, r, http.StatusOK)
	cells := r.doc(t).Find("table.data tbody td:nth-child(6) .muted")
	if cells.Length() == 0 {
		t.Fatal("no clerks listed")
	}
	cells.Each(func(_ int, s *goquery.Selection) {
		if s.Text() != "投保單位" {
			t.Errorf("新增者 %q, want 投保單位", s.Text())
		}
	})
}

// TestClerkNameWithMadeCharacter: a name read with a 造字 (U+FFFD) is
// refused with a field error and the 「此姓名含造字，請確認」 hint next to
// the name; the right name, with a CNS 11643 character outside Big5, is
// saved as typed.
func TestClerkNameWithMadeCharacter(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.unitClient(ownUnit, models.RoleUnitOwner)
		id := twid.MakeNationalID('H', 2, 7654322)
		f := url.Values{"card_type": {"nhi_card"}, "card_no": {"000012345679"}, "card_id_no": {id}, "id_no": {id},
			"name": {"陳\uFFFD玲"}, "name_needs_check": {"1"}, "email": {"chen@example.com.tw"}}
		r := c.post("/portal/handlers", f)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		doc := r.doc(t)
		if got := doc.Find("#name-error").Text(); got != models.ErrNameUnreadable {
			t.Errorf("name error %q, want %q", got, models.ErrNameUnreadable)
		}
		hint := doc.Find("#name-check")
		if _, hidden := hint.Attr("hidden"); hidden || !strings.Contains(hint.Text(), "此姓名含造字，請確認") {
			t.Errorf("hint %q (hidden %v), want 此姓名含造字，請確認 shown", hint.Text(), hidden)
		}
		if v, _ := doc.Find(`input[name="name_needs_check"]`).Attr("value"); v != "1" {
			t.Errorf("name_needs_check kept as %q, want 1", v)
		}
		f.Set("name", "陳𥕢玲")
		wantStatus(t, c.post("/portal/handlers", f), http.StatusSeeOther)
		var h models.Clerk
		if err := db.NewSelect().Model(&h).Where("id_no = ?", id).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if h.Name != "陳𥕢玲" {
			t.Errorf("stored name %q, want 陳𥕢玲", h.Name)
		}
		wantContains(t, c.get("/portal/handlers"), "陳𥕢玲")
	})
}

// TestCardLoginNext: the card login goes back to the local page it was
// sent from (?next=), and refuses to send anyone to another site.
func TestCardLoginNext(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	var u models.Unit
	if err := e.db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(6)).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	acct, _ := models.ActiveAccount(ctx, e.db, models.ScopeAll, u.ID)
	page := e.anonymous().get("/login?next=" + url.QueryEscape("/portal/handlers"))
	if v, _ := page.doc(t).Find(`form[data-card-flow] input[name="next"]`).Attr("value"); v != "/portal/handlers" {
		t.Errorf("login page next = %q, want /portal/handlers", v)
	}
	for next, want := range map[string]string{
		"/portal/handlers":           "/portal/handlers",
		"":                           "/portal",
		"//evil.example/portal":      "/portal",
		"https://evil.example/":      "/portal",
		`/\evil.example`:             "/portal",
		"/%2F%2Fevil.example":        "/%2F%2Fevil.example", // a path on this site
		"/portal\r\nLocation: //x":   "/portal",
		"javascript:alert(1)":        "/portal",
		"/login?next=//evil.example": "/portal",
	} {
		t.Run(next, func(t *testing.T) {
			if p := e.anonymous().get("/login?next=" + url.QueryEscape(next)); next != "/portal/handlers" && next != "/%2F%2Fevil.example" &&
				p.doc(t).Find(`input[name="next"]`).Length() != 0 {
				t.Errorf("login page keeps next %q", next)
			}
			c := e.cardClient()
			form := url.Values{"card_no": {*acct.NHICardNo}, "card_id_no": {*acct.NHIIDNo}, "card_name": {u.OwnerName},
				"password": {demo.Password}, "unit_code": {u.Code}, "as_unit": {"1"}, "next": {next}}
			if code, res := c.jsonPost("/login/nhi", form); code != http.StatusOK || res["redirect"] != want {
				t.Errorf("login with next %q: %d %v, want redirect %s", next, code, res, want)
			}
		})
	}
}

// TestDeregisteredNHILoginThroughHTTP: the right card and password of a
// deregistered account are told to register again; a wrong password is not.
func TestDeregisteredNHILoginThroughHTTP(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	var u models.Unit
	if err := e.db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(6)).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	acct, _ := models.ActiveAccount(ctx, e.db, models.ScopeAll, u.ID)
	if _, err := e.db.NewUpdate().Model(acct).Set("status = ?, deregistered_at = ?", models.AccountDeregistered, modelstest.Clock).
		WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"card_no": {*acct.NHICardNo}, "card_id_no": {*acct.NHIIDNo}, "card_name": {u.OwnerName},
		"password": {"Wrong-1234"}, "unit_code": {u.Code}, "as_unit": {"1"}}
	if code, res := e.cardClient().jsonPost("/login/nhi", form); code != http.StatusUnauthorized || strings.Contains(fmt.Sprint(res["error"]), "註銷") {
		t.Errorf("wrong password: %d %v, want 401 without a word of the deregistration", code, res)
	}
	form.Set("password", demo.Password)
	if code, res := e.cardClient().jsonPost("/login/nhi", form); code != http.StatusUnauthorized || !strings.Contains(fmt.Sprint(res["error"]), "已註銷，") ||
		!strings.Contains(fmt.Sprint(res["error"]), "重新註冊") {
		t.Errorf("right password: %d %v, want 401 telling to register again", code, res)
	}
}

// TestDeregistrationPendingOnce: while a deregistration waits, the unit page
// says so (who asked, when) instead of the form, and a request sent from an
// older page is answered with the same words and the way back, not a bare 409.
func TestDeregistrationPendingOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.staffClient("taipei.staff")
		id := fmtID(e.unitID(0))
		page := c.get("/console/units/" + id)
		c.scrapeCSRF(page)
		if page.doc(t).Find(`form[action="/console/units/`+id+`/deregistrations"]`).Length() != 1 {
			t.Fatal("no deregistration form before any request")
		}
		wantStatus(t, c.post("/console/units/"+id+"/deregistrations", url.Values{"reason": {"單位來電，改以工商憑證註冊"}}), http.StatusSeeOther)
		page = c.get("/console/units/" + id)
		wantContains(t, page, "已有待核准的註銷申請（申請人：")
		if page.doc(t).Find(`form[action="/console/units/`+id+`/deregistrations"]`).Length() != 0 {
			t.Error("the deregistration form is still shown while a request waits")
		}
		r := c.post("/console/units/"+id+"/deregistrations", url.Values{"reason": {"再送一次"}})
		wantStatus(t, r, http.StatusConflict)
		doc := r.doc(t)
		alert := doc.Find(`#h-dereg ~ .alert.error`)
		if !strings.Contains(alert.Text(), "已有待核准的註銷申請（申請人：") {
			t.Errorf("second request alert %q, want who asked and when", alert.Text())
		}
		if href, _ := alert.Find("a").Attr("href"); href != "/console/units/"+id {
			t.Errorf("link back %q, want /console/units/%s", href, id)
		}
	})
}

// TestWorkWaiting: the 工作台 shows staff their open cases and reviews and
// supervisors their approvals and samples, in a fragment that refreshes
// itself every minute without keeping an idle session alive.
func TestWorkWaiting(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	count := func(r *response, what string) string {
		t.Helper()
		return r.doc(t).Find(`[data-count="` + what + `"]`).Text()
	}
	staff := e.staffClient("taipei.staff")
	home := staff.get("/console")
	wantStatus(t, home, http.StatusOK)
	sec := home.doc(t).Find("#work-waiting")
	if v, _ := sec.Attr("hx-trigger"); v != "every 60s" {
		t.Errorf("work section hx-trigger %q, want every 60s", v)
	}
	if _, live := sec.Attr("aria-live"); live {
		t.Error("the work section is a live region; it should announce nothing")
	}
	before := count(home, "cases")
	if before == "" || count(home, "reviews") == "" || count(home, "approvals") != "" {
		t.Errorf("staff counts: cases %q reviews %q approvals %q; want cases and reviews only", before, count(home, "reviews"), count(home, "approvals"))
	}
	var st models.Staff
	if err := e.db.NewSelect().Model(&st).Where("username = ?", "taipei.staff").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.OpenCase(ctx, models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role, Branch: "1"},
		models.Scope{Branch: "1"}, models.CaseInput{UnitID: e.unitID(0), CallerName: "王小姐", CallerPhone: "02-2700-0000",
			Topic: models.TopicOther, Notes: "詢問", AssignToMe: true}); err != nil {
		t.Fatal(err)
	}
	// The poll a minute and more later: one more case, and no activity recorded.
	var seen time.Time
	if err := e.db.NewSelect().Table("sessions").Column("last_seen_at").Where("id IS NOT NULL").Order("last_seen_at DESC").Limit(1).Scan(ctx, &seen); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	frag := staff.get("/console/work", "HX-Request", "true")
	wantStatus(t, frag, http.StatusOK)
	wantNotContains(t, frag, "<html")
	if got := count(frag, "cases"); got == before || got == "" {
		t.Errorf("cases after opening one: %q, was %q", got, before)
	}
	var after time.Time
	if err := e.db.NewSelect().Table("sessions").Column("last_seen_at").Order("last_seen_at DESC").Limit(1).Scan(ctx, &after); err != nil {
		t.Fatal(err)
	}
	if !after.Equal(seen) {
		t.Errorf("the poll recorded activity: last seen %v, was %v", after, seen)
	}
	if r := staff.get("/console/work"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the fragment as a page: %d, want 303 to the 工作台", r.StatusCode)
	}

	super := e.staffClient("taipei.super").get("/console")
	if count(super, "approvals") == "" || count(super, "samples") == "" {
		t.Error("a supervisor's 工作台 lacks approvals or samples")
	}
	if e.staffClient("hq.audit").get("/console").doc(t).Find("#work-waiting").Length() != 0 {
		t.Error("an auditor's 工作台 shows work to do")
	}
}

// syncJobs runs the nightly re-validation at once, as the worker would.
type syncJobs struct{ store *models.Store }

func (j syncJobs) RunNightlyNow(ctx context.Context, on time.Time) error {
	_, err := j.store.NightlyValidate(ctx, on)
	return err
}

// TestNightlyRunShowsResult: 「立即重新檢核」 leads to the grades page with
// the progress of today's re-validation, polled while it is queued, and
// then its result: how many filings were checked and how many changed. A
// second click says the day is done instead of queuing nothing.
func TestNightlyRunShowsResult(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	admin := e.staffClient("hq.admin")
	waiting := admin.get("/console/nightly?wait=1", "HX-Request", "true")
	wantStatus(t, waiting, http.StatusOK)
	wantContains(t, waiting, "等候開始", `hx-trigger="every 3s"`)

	app, _, err := handlers.New(handlers.Deps{Store: e.store, Enforcer: policy.MustNew(), Version: "test", Downloads: t.TempDir(),
		Cards: testCards(t), Jobs: syncJobs{e.store}})
	if err != nil {
		t.Fatal(err)
	}
	e.app = app
	page := admin.get("/console/grades")
	admin.scrapeCSRF(page)
	if page.doc(t).Find("#nightly-status").Text() != "" && strings.Contains(page.body, "已完成") {
		t.Fatal("a result before any run")
	}
	r := admin.post("/console/nightly", nil)
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/console/grades?wait=1" {
		t.Fatalf("after the run: Location %q", loc)
	}
	done := admin.get("/console/grades?wait=1")
	doc := done.doc(t)
	st := doc.Find("#nightly-status")
	if !strings.Contains(st.Text(), "今日的重新檢核已完成") || st.Find(`[data-nightly="validated"]`).Text() == "" ||
		st.Find(`[data-nightly="changed"]`).Text() == "" {
		t.Errorf("status after the run: %q, want the counts checked and changed", st.Text())
	}
	if _, polls := st.Attr("hx-get"); polls {
		t.Error("a finished run still polls")
	}
	admin.scrapeCSRF(done)
	wantStatus(t, admin.post("/console/nightly", nil), http.StatusSeeOther)
	wantContains(t, admin.get("/console/grades"), "不會重複執行")
}
