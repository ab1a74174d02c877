package handlers_test

import (
	"net/http"
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
