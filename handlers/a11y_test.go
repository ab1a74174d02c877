package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestEveryControlHasALabel renders every GET page as each kind of user and
// checks that each visible form control has a <label for> or an aria-label,
// and that the page is in Traditional Chinese.
func TestEveryControlHasALabel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	pages := []struct {
		who  *client
		path string
	}{
		{e.anonymous(), "/"},
		{e.anonymous(), "/console/login"},
		{e.staffClient("taipei.staff"), "/console"},
		{e.staffClient("taipei.staff"), "/console/units"},
		{e.staffClient("hq.staff"), "/console/units?q=1"},
		{e.staffClient("taipei.staff"), "/console/units/" + fmtID(e.unitID(0))},
		{e.unitClient(0, models.RoleUnitOwner), "/portal"},
	}
	for _, p := range pages {
		r := p.who.get(p.path)
		wantStatus(t, r, http.StatusOK)
		doc := r.doc(t)
		if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hant-TW" {
			t.Errorf("%s: lang=%q", p.path, lang)
		}
		doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
			if typ, _ := s.Attr("type"); typ == "hidden" || typ == "submit" {
				return
			}
			if _, ok := s.Attr("aria-label"); ok {
				return
			}
			if s.Closest("label").Length() > 0 { // wrapped in its label
				return
			}
			id, _ := s.Attr("id")
			if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
				name, _ := s.Attr("name")
				t.Errorf("%s: control %q (id %q) has no label", p.path, name, id)
			}
		})
	}
}

// TestRefusedFormsFollowTheErrorPattern submits refused forms and checks the
// GOV.UK error pattern on the answer: the title starts with 「錯誤：」, an
// error summary titled 「請修正以下問題」 comes before the form, each of its
// links goes to a field on the page, and that field is aria-invalid and
// described by a message that exists.
func TestRefusedFormsFollowTheErrorPattern(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	staff, super := e.staffClient("taipei.staff"), e.staffClient("taipei.super")
	owner := e.unitClient(0, models.RoleUnitOwner)
	for _, tc := range []struct {
		name   string
		submit func() *response
		fields []string // the fields the summary must link to
	}{
		{"case without caller", func() *response {
			return staff.post("/console/cases", caseForm("caller_name", "", "caller_phone", "abc"))
		}, []string{"caller_name", "caller_phone"}},
		{"password mismatch", func() *response {
			return staff.post("/console/password", url.Values{"current": {"wrong"}, "password": {"x"}, "password2": {"y"}})
		}, nil},
		{"sample size", func() *response {
			return super.post("/console/samples", url.Values{"size": {"abc"}})
		}, []string{"size"}},
		{"audit dates (HTMX search)", func() *response {
			return super.get("/console/audit?from=115/03/02&to=115/03/01", "HX-Request", "true")
		}, []string{"to"}},
		{"contact address without 村里", func() *response {
			return owner.post("/portal/unit/contact", url.Values{"change_mail": {"1"}, "mail_county": {"臺北市"}, "mail_township": {"中正區"},
				"mail_street": {"公園路15號"}, "phone": {"(02)2345-6789"}})
		}, []string{"mail_village"}},
		{"filings query dates (HTMX search)", func() *response {
			return owner.get("/portal/filings?from=abc&to=def", "HX-Request", "true")
		}, []string{"from"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.submit()
			if r.StatusCode < 400 {
				t.Fatalf("status %d, want a refusal; body:\n%s", r.StatusCode, r.body)
			}
			doc := r.doc(t)
			if title := doc.Find("title").Text(); doc.Find("title").Length() > 0 && !strings.HasPrefix(title, "錯誤：") {
				t.Errorf("title = %q, want it to start with 錯誤：", title)
			}
			sum := doc.Find("[data-error-summary]")
			if sum.Length() != 1 {
				t.Fatalf("%d error summaries, want 1; body:\n%s", sum.Length(), r.body)
			}
			if h := strings.TrimSpace(sum.Find("h2").Text()); h != "請修正以下問題" {
				t.Errorf("summary title = %q, want 請修正以下問題", h)
			}
			if tab, _ := sum.Attr("tabindex"); tab != "-1" {
				t.Errorf("summary tabindex = %q, want -1 (app.js focuses it)", tab)
			}
			linked := map[string]bool{}
			sum.Find(`a[href^="#"]`).Each(func(_ int, a *goquery.Selection) {
				href, _ := a.Attr("href")
				id := strings.TrimPrefix(href, "#")
				linked[id] = true
				if doc.Find("form").Length() == 0 {
					return // an HTMX answer of a search: its form stays on the page, and app.js marks the fields
				}
				field := doc.Find("#" + id)
				if field.Length() == 0 {
					t.Errorf("summary links to %s, which is not on the page", href)
					return
				}
				if inv, _ := field.Attr("aria-invalid"); inv != "true" {
					t.Errorf("%s: aria-invalid=%q, want true", href, inv)
				}
				by, _ := field.Attr("aria-describedby")
				for _, d := range strings.Fields(by) {
					if doc.Find("#"+d).Length() == 0 {
						t.Errorf("%s is described by #%s, which is not on the page", href, d)
					}
				}
			})
			for _, f := range tc.fields {
				if !linked[f] {
					t.Errorf("the summary does not link to #%s; it links to %v", f, linked)
				}
			}
		})
	}
}
