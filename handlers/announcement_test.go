package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// announcementFixture publishes an announcement in the 臺北 branch's name
// (own) and one in the 北區's (other).
func announcementFixture(t *testing.T, e *env, f fixture) {
	var aid [2]int64
	for k, who := range []string{"taipei.staff", "north.staff"} {
		aid[k] = e.publish(who, models.AnnouncementInput{Title: "公告 " + who, Body: "內容", Starts: "115/03/01", Ends: "115/03/31"}).ID
	}
	f["aid"] = aid
}

func (e *env) publish(username string, in models.AnnouncementInput) *models.Announcement {
	e.t.Helper()
	a, sc := e.caseStaffActor(username)
	an, err := e.store.PublishAnnouncement(context.Background(), a, sc, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return an
}

func TestFrontDoor(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	an := e.publish("hq.staff", models.AnnouncementInput{Title: "高雄市修訂補助基準", Body: "詳見 https://www.nhi.gov.tw/ 。",
		Important: true, Starts: "115/03/02", Ends: "115/03/31"})

	r := e.anonymous().get("/")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	for sel, want := range map[string]string{
		`form[action="/login"] input[name="as_unit"][checked]`:   "",
		`a[href="/nhi-register"]`:                                "健保卡網路服務註冊",
		`a[href="/services"]`:                                    "系統服務項目",
		`a[href="/environment"]`:                                 "環境說明",
		`.banner a[href="/announcements#a` + fmtID(an.ID) + `"]`: "詳見公告欄!!!",
		`.staff-door a[href="/console/login"]`:                   "署內人員登入",
	} {
		s := doc.Find(sel)
		if s.Length() == 0 || !strings.Contains(s.Text(), want) {
			t.Errorf("front door: %s with %q not found", sel, want)
		}
	}
	if got := doc.Find(".banner").Text(); !strings.Contains(got, an.Title) {
		t.Errorf("banner %q, want the title %q", got, an.Title)
	}
	for _, b := range models.BureauBranches {
		wantContains(t, r, b.Name, b.Phone)
	}
	wantNotContains(t, r, "建置中")

	// Staff go to their console; units to the portal, through /login.
	if r := e.staffClient("taipei.staff").get("/"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console" {
		t.Errorf("staff at /: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := e.unitClient(0, models.RoleUnitOwner).get("/"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/portal" {
		t.Errorf("unit at /: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}

	r = e.anonymous().get("/services")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "單位管理者登錄作業", "單位憑證變更作業", "異動檢核後查詢", "申報資料套印表格")
}

func TestAnnouncementBoard(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	an := e.publish("taipei.staff", models.AnnouncementInput{Title: "臺北轄區說明會", Body: "<b>不是粗體</b>\n報名：https://example.gov.tw/a?x=1&y=2",
		Audience: "1", Starts: "115/03/01", Ends: "115/03/31"})

	r := e.anonymous().get("/announcements")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	body := doc.Find("#a" + fmtID(an.ID) + " .body")
	if h, _ := body.Html(); strings.Contains(h, "<b>") || !strings.Contains(h, "&lt;b&gt;") {
		t.Errorf("body not escaped: %s", h)
	}
	if a := body.Find(`a[href="https://example.gov.tw/a?x=1&y=2"]`); a.Length() != 1 || a.AttrOr("rel", "") != "noopener noreferrer" {
		t.Errorf("the address is not a link: %s", body.Text())
	}

	// A 臺北 unit sees it marked new once; a 北區 unit does not see it.
	u := e.unitClient(0, models.RoleUnitOwner)
	wantContains(t, u.get("/portal"), "則新公告")
	r = u.get("/announcements")
	if r.doc(t).Find("#a"+fmtID(an.ID)+" .badge.new").Length() != 1 {
		t.Error("first visit: not marked new")
	}
	r = u.get("/announcements")
	if r.doc(t).Find("#a"+fmtID(an.ID)+" .badge.new").Length() != 0 {
		t.Error("second visit: still marked new")
	}
	wantNotContains(t, u.get("/portal"), "則新公告")
	if r := e.unitClient(otherUnit, models.RoleUnitOwner).get("/announcements"); strings.Contains(r.body, an.Title) {
		t.Error("a 北區 unit sees a 臺北 announcement")
	}
}

func TestAnnouncementConsole(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	r := c.get("/console/announcements/new")
	wantStatus(t, r, http.StatusOK)
	c.scrapeCSRF(r)

	form := func(title, body, starts, ends string) url.Values {
		return url.Values{"title": {title}, "body": {body}, "starts": {starts}, "ends": {ends}, "important": {"1"}, "audience": {"1"}}
	}
	for _, tc := range []struct {
		name, field string
		form        url.Values
	}{
		{"ErrTitleRequired", "title", form("", "內容", "115/03/02", "115/03/31")},
		{"ErrTitleTooLong", "title", form(strings.Repeat("長", 101), "內容", "115/03/02", "115/03/31")},
		{"ErrBodyTooLong", "body", form("標題", strings.Repeat("長", 5001), "115/03/02", "115/03/31")},
		{"ErrBodyControl", "body", form("標題", "a\x01b", "115/03/02", "115/03/31")},
		{"ErrTitleBidi", "title", form("標題\u202e", "內容", "115/03/02", "115/03/31")},
		{"ErrEndsBeforeStarts", "ends", form("標題", "內容", "115/03/02", "115/03/01")},
		{"ErrStartsNotADate", "starts", form("標題", "內容", "115/02/30", "115/03/01")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/console/announcements", tc.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			in := r.doc(t).Find("#" + tc.field)
			if in.AttrOr("aria-invalid", "") != "true" || !strings.Contains(in.AttrOr("aria-describedby", ""), tc.field+"-error") {
				t.Errorf("field %s: aria-invalid %q, aria-describedby %q", tc.field, in.AttrOr("aria-invalid", ""), in.AttrOr("aria-describedby", ""))
			}
			if msg := r.doc(t).Find("#" + tc.field + "-error").Text(); msg == "" {
				t.Errorf("field %s: no message", tc.field)
			}
		})
	}

	// NUL never reaches the form: the app refuses it in any form (limitBody).
	if r := c.post("/console/announcements", form("標題\x00", "內容", "115/03/02", "115/03/31")); r.StatusCode != http.StatusBadRequest {
		t.Errorf("NUL: %d, want 400", r.StatusCode)
	}

	r = c.post("/console/announcements", form("系統維護", "3 月 7 日暫停服務。", "115/03/02", "115/03/31"))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console/announcements" {
		t.Fatalf("publish: %d %s", r.StatusCode, r.body)
	}
	as, err := models.AnnouncementsOfScope(context.Background(), e.db, models.Scope{Branch: "1"}, 10)
	if err != nil || len(as) == 0 || as[0].Title != "系統維護" {
		t.Fatalf("published: %+v (%v)", as, err)
	}
	id := fmtID(as[0].ID)
	r = c.get("/console/announcements")
	wantContains(t, r, "系統維護", "公告中")
	if f := r.doc(t).Find(`form[action="/console/announcements/` + id + `/withdraw"]`); f.AttrOr("data-confirm", "") == "" {
		t.Error("withdraw asks no confirmation")
	}

	// Another branch's staff cannot see it; its supervisor edits it.
	if r := e.staffClient("north.staff").get("/console/announcements/" + id); r.StatusCode != http.StatusNotFound {
		t.Errorf("another branch: %d, want 404", r.StatusCode)
	}
	s := e.staffClient("taipei.super")
	r = s.get("/console/announcements/" + id)
	wantStatus(t, r, http.StatusOK)
	if v := r.doc(t).Find("#starts").AttrOr("value", ""); v != "115/03/02" {
		t.Errorf("start date in the form %q, want 115/03/02", v)
	}
	f := form("系統維護（延後）", "改為 3 月 14 日。", "115/03/02", "115/03/31")
	f.Set("version", "1")
	if r := s.post("/console/announcements/"+id, f); r.StatusCode != http.StatusSeeOther {
		t.Errorf("edit by the branch's supervisor: %d %s", r.StatusCode, r.body)
	}
	f.Del("_csrf")
	if r := c.post("/console/announcements/"+id, f); r.StatusCode != http.StatusConflict {
		t.Errorf("stale edit: %d, want 409", r.StatusCode)
	}
	if r := c.post("/console/announcements/"+id+"/withdraw", nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("withdraw: %d", r.StatusCode)
	}
	if r := e.anonymous().get("/announcements"); strings.Contains(r.body, "系統維護") {
		t.Error("a withdrawn announcement is still on the board")
	}
}
