package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// twoUnitClerk assigns one person (one NHI card) as a filer in two demo
// units and returns their assignment in the first.
func (e *env) twoUnitClerk(first, second int) models.Clerk {
	e.t.Helper()
	ctx := context.Background()
	idNo := twid.MakeNationalID('M', 2, 7654321)
	var out models.Clerk
	for k, i := range []int{first, second} {
		h := models.Clerk{UnitID: e.unitID(i), CardType: models.CardNHI, CardSerial: "000077778888", IDNo: idNo,
			Name: "記帳士林小姐", Email: "lin@example.com", MayFile: true, Status: models.ClerkActive, CreatedAt: modelstest.Clock, Version: 1}
		if _, err := e.db.NewInsert().Model(&h).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			e.t.Fatal(err)
		}
		if h.ID == 0 {
			if err := e.db.NewSelect().Model(&h).Where("unit_id = ? AND id_no = ? AND status = 'active'", h.UnitID, idNo).Scan(ctx); err != nil {
				e.t.Fatal(err)
			}
		}
		if k == 0 {
			out = h
		}
	}
	return out
}

// clerkOfTwoUnits logs in the person of twoUnitClerk, acting for first.
func (e *env) clerkOfTwoUnits(first, second int) *client {
	e.t.Helper()
	h := e.twoUnitClerk(first, second)
	tok, sess, err := e.store.NewSession(context.Background(), e.db, models.Session{Kind: models.SessionClerk, Role: models.RoleClerkFiler,
		UnitID: &h.UnitID, AccountID: e.accountID(first), ClerkID: &h.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, cookie: tok, csrf: sess.CSRFToken}
}

// choosingClient is the browser of that person right after a login that
// matched both units: an anonymous session that carries the proof.
func (e *env) choosingClient(first, second int) *client {
	e.t.Helper()
	h := e.twoUnitClerk(first, second)
	tok, sess, err := e.store.NewSession(context.Background(), e.db, models.Session{Kind: models.SessionAnonymous, ChoosingClerkID: &h.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, cookie: tok, csrf: sess.CSRFToken}
}

func (e *env) accountID(i int) *int64 {
	e.t.Helper()
	acct, err := models.ActiveAccount(context.Background(), e.db, models.ScopeAll, e.unitID(i))
	if err != nil || acct == nil {
		e.t.Fatalf("unit %d has no account: %v", i, err)
	}
	return &acct.ID
}

// unitName is the name of the i-th demo unit.
func (e *env) unitName(i int) string {
	e.t.Helper()
	u, err := models.UnitByID(context.Background(), e.db, models.ScopeAll, e.unitID(i))
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Name
}

func TestClerkChoosesUnit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	const first, second, foreign = 1, 2, 5

	t.Run("PickerAfterLogin", func(t *testing.T) {
		c := e.choosingClient(first, second)
		r := c.get("/login/units")
		wantStatus(t, r, http.StatusOK)
		doc := r.doc(t)
		rows := doc.Find("table tbody tr")
		if rows.Length() != 2 {
			t.Fatalf("got %d units, want 2:\n%s", rows.Length(), r.body)
		}
		wantContains(t, r, e.unitName(first), demo.UnitCode(first), e.unitName(second), demo.UnitCode(second), "可申報", "選擇投保單位")
		if n := doc.Find(`form[action="/login/units"] input[name="unit_id"]`).Length(); n != 2 {
			t.Errorf("%d choice forms, want 2", n)
		}
		before := c.cookie
		r = c.post("/login/units", url.Values{"unit_id": {fmtID(e.unitID(second))}})
		wantStatus(t, r, http.StatusSeeOther)
		if c.cookie == before {
			t.Error("the choice kept the session token")
		}
		home := c.get("/portal")
		wantStatus(t, home, http.StatusOK)
		head := home.doc(t).Find("header .who").Text()
		if !strings.Contains(head, e.unitName(second)) || !strings.Contains(head, demo.UnitCode(second)) {
			t.Errorf("header %q, want the chosen unit's name and code", head)
		}
	})
	t.Run("NextKeptThroughTheChoice", func(t *testing.T) {
		c := e.choosingClient(first, second)
		r := c.get("/login/units?next=" + url.QueryEscape("/portal/filings?status=error"))
		if v, _ := r.doc(t).Find(`form[action="/login/units"] input[name="next"]`).First().Attr("value"); v != "/portal/filings?status=error" {
			t.Fatalf("next in the choice form %q", v)
		}
		r = c.post("/login/units", url.Values{"unit_id": {fmtID(e.unitID(first))}, "next": {"/portal/filings?status=error"}})
		if loc := r.Header.Get("Location"); loc != "/portal/filings?status=error" {
			t.Errorf("after the choice to %q, want the next page", loc)
		}
	})
	t.Run("NoProofNoPicker", func(t *testing.T) {
		r := e.anonymous().get("/login/units")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Errorf("status %d to %q, want the login page", r.StatusCode, r.Header.Get("Location"))
		}
	})
	t.Run("HeaderSwitcher", func(t *testing.T) {
		c := e.clerkOfTwoUnits(first, second)
		home := c.get("/portal")
		wantStatus(t, home, http.StatusOK)
		link := home.doc(t).Find(`header a[href="/portal/units"]`)
		if strings.TrimSpace(link.Text()) != "切換單位" {
			t.Fatalf("no 切換單位 in the header:\n%s", home.body)
		}
		if !strings.Contains(home.doc(t).Find("header .who").Text(), "目前單位") {
			t.Error("the header does not say which unit is active")
		}
		single := e.unitClient(first, models.RoleClerk).get("/portal")
		if single.doc(t).Find(`header a[href="/portal/units"]`).Length() != 0 {
			t.Error("a clerk of one unit is offered 切換單位")
		}
		list := c.get("/portal/units")
		wantStatus(t, list, http.StatusOK)
		if n := list.doc(t).Find(`form[action="/portal/units/` + fmtID(e.unitID(second)) + `"]`).Length(); n != 1 {
			t.Errorf("%d forms to switch to the second unit, want 1", n)
		}
		wantContains(t, list, "目前單位")
	})
	t.Run("SwitchNeedsCSRF", func(t *testing.T) {
		c := e.clerkOfTwoUnits(first, second)
		r := c.post("/portal/units/"+fmtID(e.unitID(second)), url.Values{"_csrf": {""}})
		wantStatus(t, r, http.StatusForbidden)
		if !strings.Contains(c.get("/portal").doc(t).Find("header .who").Text(), e.unitName(first)) {
			t.Error("a switch without the CSRF token changed the unit")
		}
	})
	t.Run("Switch", func(t *testing.T) {
		c := e.clerkOfTwoUnits(first, second)
		old := *c
		r := c.post("/portal/units/"+fmtID(e.unitID(second)), nil)
		wantStatus(t, r, http.StatusSeeOther)
		if c.cookie == old.cookie {
			t.Fatal("the switch kept the session token")
		}
		if r := old.get("/portal", "HX-Request", "true"); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the old token still works: %d", r.StatusCode)
		}
		home := c.get("/portal")
		wantContains(t, home, "目前單位："+e.unitName(second))
		// The data follow: the first unit's objects are now another's.
		c.scrapeCSRF(home)
		r = c.post("/portal/units/"+fmtID(e.unitID(first)), nil, "HX-Request", "true")
		if r.StatusCode != http.StatusNoContent || r.Header.Get("HX-Redirect") != "/portal" {
			t.Errorf("HTMX switch back: %d %q", r.StatusCode, r.Header.Get("HX-Redirect"))
		}
	})
	t.Run("ForeignUnit404", func(t *testing.T) {
		c := e.clerkOfTwoUnits(first, second)
		r := c.post("/portal/units/"+fmtID(e.unitID(foreign)), nil)
		wantStatus(t, r, http.StatusNotFound)
		r = c.post("/portal/units/999999", nil)
		wantStatus(t, r, http.StatusNotFound)
	})
}
