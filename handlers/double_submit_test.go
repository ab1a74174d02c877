package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// countRows counts the rows of table matching where.
func countRows(t *testing.T, db bun.IDB, table, where string, args ...any) int {
	t.Helper()
	n, err := db.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// wantRepeatAnswer checks the answer to the second copy of a form: sent
// on to the first one's result (no dead end, no refusal), which says in
// words that the copy was not taken.
func wantRepeatAnswer(t *testing.T, c *client, r *response, wantLocation string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != wantLocation {
		t.Errorf("the second submit goes to %q, want %q", loc, wantLocation)
	}
	page := c.get(r.Header.Get("Location"))
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "已送出，請勿重複送出")
}

// TestDoubleSubmit sends the same form twice, as a double click or a
// second Enter does: nothing is stored twice, and the second answer leads
// to the first one's result with 「此…已送出，請勿重複送出」. Past
// RepeatWindow the same form is a new submission again, refused by the
// rules it breaks.
func TestDoubleSubmit(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		if err := e.store.EnsureReferenceData(context.Background()); err != nil {
			t.Fatal(err)
		}
		unitID := e.unitID(ownUnit)

		t.Run("adding a clerk", func(t *testing.T) {
			c := e.unitClient(ownUnit, models.RoleUnitOwner)
			id := twid.MakeNationalID('H', 2, 7650001)
			f := url.Values{"card_type": {"nhi_card"}, "card_no": {"000012340001"}, "card_id_no": {id}, "id_no": {id},
				"name": {"林重送"}, "email": {"twice@example.com.tw"}, "may_file": {"1"}}
			wantStatus(t, c.post("/portal/handlers", f), http.StatusSeeOther)
			wantRepeatAnswer(t, c, c.post("/portal/handlers", f), "/portal/handlers")
			if n := countRows(t, db, "clerks", "unit_id = ? AND id_no = ?", unitID, id); n != 1 {
				t.Errorf("%d clerks after a double submit, want 1", n)
			}
			e.clock.Advance(models.RepeatWindow + time.Second)
			r := c.post("/portal/handlers", f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "已指派")
		})

		t.Run("a change request", func(t *testing.T) {
			c := e.unitClient(ownUnit, models.RoleUnitOwner)
			fields := map[string]string{"effective_date": "115/03/20", "change_name": "1", "new_name": "重送測試股份有限公司",
				"contact_name": "王大明", "contact_phone": "(02)2345-6789"}
			pdf := map[string][2]string{"doc1": {"p.pdf", "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"}}
			first := c.multipartPost("/portal/requests", fields, pdf)
			wantStatus(t, first, http.StatusSeeOther)
			wantRepeatAnswer(t, c, c.multipartPost("/portal/requests", fields, pdf), first.Header.Get("Location"))
			if n := countRows(t, db, "change_requests", "unit_id = ?", unitID); n != 1 {
				t.Errorf("%d change requests after a double submit, want 1", n)
			}
			// Another request while that one waits is refused, in words.
			fields["new_name"] = "另一個名稱股份有限公司"
			r := c.multipartPost("/portal/requests", fields, pdf)
			wantStatus(t, r, http.StatusConflict)
			wantContains(t, r, "已有一件審核中的申請", `href="/portal/requests/`)
		})

		t.Run("a filing", func(t *testing.T) {
			c := e.unitClient(ownUnit, models.RoleClerkFiler)
			f := insuredForm(7650002)
			first := c.post("/portal/filings", f)
			wantStatus(t, first, http.StatusSeeOther)
			wantRepeatAnswer(t, c, c.post("/portal/filings", f), first.Header.Get("Location"))
			if n := countRows(t, db, "filings", "unit_id = ? AND insured_id = ?", unitID, f.Get("insured_id")); n != 1 {
				t.Errorf("%d filings after a double submit, want 1", n)
			}
			// An amount change sent twice at the same moment (two
			// requests in flight): one filing.
			adj := insuredForm(7650002)
			adj.Set("kind", "adjust")
			adj.Set("amount", "31800")
			adj.Set("reason", "M1")
			other := *c
			other.others = map[string]string{}
			for k, v := range c.others {
				other.others[k] = v
			}
			var wg sync.WaitGroup
			rs := make([]*response, 2)
			for i, cl := range []*client{c, &other} {
				wg.Add(1)
				form := url.Values{} // post adds the CSRF token to its form: one each
				for k, v := range adj {
					form[k] = v
				}
				go func() { defer wg.Done(); rs[i] = cl.post("/portal/filings", form) }()
			}
			wg.Wait()
			for i, r := range rs {
				if r.StatusCode != http.StatusSeeOther {
					t.Errorf("copy %d answered %d, want 303:\n%s", i+1, r.StatusCode, r.body)
				}
			}
			if n := countRows(t, db, "filings", "unit_id = ? AND insured_id = ? AND kind = 'adjust'", unitID, f.Get("insured_id")); n != 1 {
				t.Errorf("%d amount changes after two at once, want 1", n)
			}
			// Later, the same 加保 is a new submission: a duplicate enrollment.
			e.clock.Advance(models.RepeatWindow + time.Second)
			r := c.post("/portal/filings", f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
		})

		t.Run("a phone case and its note", func(t *testing.T) {
			c := e.staffClient("taipei.staff")
			f := caseForm("notes", "重送測試：同一通電話")
			first := c.post("/console/cases", f)
			wantStatus(t, first, http.StatusSeeOther)
			wantRepeatAnswer(t, c, c.post("/console/cases", f), first.Header.Get("Location"))
			if n := countRows(t, db, "cases", "notes = ?", "重送測試：同一通電話"); n != 1 {
				t.Errorf("%d cases after a double submit, want 1", n)
			}
			note := url.Values{"text": {"已回電說明"}}
			wantStatus(t, c.post(first.Header.Get("Location")+"/notes", note), http.StatusSeeOther)
			wantRepeatAnswer(t, c, c.post(first.Header.Get("Location")+"/notes", note), first.Header.Get("Location"))
			if n := countRows(t, db, "case_notes", "text = ?", "已回電說明"); n != 1 {
				t.Errorf("%d notes after a double submit, want 1", n)
			}
		})

		t.Run("an announcement", func(t *testing.T) {
			c := e.staffClient("taipei.staff")
			f := url.Values{"title": {"重送測試公告"}, "body": {"3 月 7 日暫停服務。"}, "starts": {"115/03/02"}, "ends": {"115/03/31"}, "important": {"1"}, "audience": {"1"}}
			wantStatus(t, c.post("/console/announcements", f), http.StatusSeeOther)
			wantRepeatAnswer(t, c, c.post("/console/announcements", f), "/console/announcements")
			if n := countRows(t, db, "announcements", "title = ?", "重送測試公告"); n != 1 {
				t.Errorf("%d announcements after a double submit, want 1", n)
			}
		})

		t.Run("a deregistration request", func(t *testing.T) {
			c := e.staffClient("taipei.staff")
			id := fmtID(unitID)
			c.scrapeCSRF(c.get("/console/units/" + id))
			f := url.Values{"reason": {"單位來電，改以工商憑證註冊"}}
			wantStatus(t, c.post("/console/units/"+id+"/deregistrations", f), http.StatusSeeOther)
			wantRepeatAnswer(t, c, c.post("/console/units/"+id+"/deregistrations", f), "/console/units/"+id)
			if n := countRows(t, db, "deregistrations", "unit_id = ?", unitID); n != 1 {
				t.Errorf("%d deregistration requests after a double submit, want 1", n)
			}
		})
	})
}
