package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// staffFixture names two accounts an admin may change (stid).
func staffFixture(t *testing.T, e *env, f fixture) {
	var ids [2]int64
	for k, name := range []string{"east.staff", "east.super"} {
		st, err := models.StaffByUsername(context.Background(), e.db, name)
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = st.ID
	}
	f["stid"] = ids
}

// An admin creates an account on the console; the person must change the
// initial password before any other page, then works normally.
func TestAdminCreatesStaffWhoMustChangePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	admin := e.staffClient("hq.admin")
	admin.scrapeCSRF(admin.get("/console/staff"))
	r := admin.post("/console/staff", url.Values{"username": {"new.clerk"}, "name": {"新同仁"}, "role": {"staff"}, "branch": {"3"},
		"password": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "密碼至少需 12 個字元", "新同仁")
	add := url.Values{"username": {"new.clerk"}, "name": {"新同仁"}, "role": {"staff"}, "branch": {"3"}, "password": {"Initial-2026-x"}}
	r = admin.post("/console/staff", add)
	wantStatus(t, r, http.StatusSeeOther)
	// The same form again at once is a double submit: the first account.
	r = admin.post("/console/staff", add)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, admin.get("/console/staff"), "此帳號已送出，請勿重複送出")
	r = admin.post("/console/staff", url.Values{"username": {"New.Clerk"}, "name": {"另一位"}, "role": {"staff"}, "password": {"Initial-2026-x"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "已有人使用")

	clerk := e.anonymous()
	clerk.scrapeCSRF(clerk.get("/console/login"))
	r = clerk.post("/console/login", url.Values{"username": {"new.clerk"}, "password": {"Initial-2026-x"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := clerk.get("/console/units"); loc.StatusCode != http.StatusSeeOther || loc.Header.Get("Location") != "/console/password" {
		t.Fatalf("before changing the password: %d %s, want a redirect to /console/password", loc.StatusCode, loc.Header.Get("Location"))
	}
	page := clerk.get("/console/password")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "臨時密碼")
	clerk.scrapeCSRF(page)
	r = clerk.post("/console/password", url.Values{"current": {"Initial-2026-x"}, "password": {"Initial-2026-x"}, "password2": {"Initial-2026-x"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	change := url.Values{"current": {"Initial-2026-x"}, "password": {"Mine-forever-77"}, "password2": {"Mine-forever-77"}}
	r = clerk.post("/console/password", change)
	wantStatus(t, r, http.StatusSeeOther)
	wantStatus(t, clerk.get("/console/units"), http.StatusOK)
	// The same change sent twice: told it was made, not that the current
	// password is wrong.
	r = clerk.post("/console/password", change)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, clerk.get(r.Header.Get("Location")), "此密碼變更已送出，請勿重複送出")
	r = clerk.post("/console/password", url.Values{"current": {"Initial-2026-x"}, "password": {"Other-forever-88"}, "password2": {"Other-forever-88"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "目前的密碼不正確")

	// Disabled: the session ends at once.
	st, err := models.StaffByUsername(context.Background(), e.db, "new.clerk")
	if err != nil {
		t.Fatal(err)
	}
	r = admin.post("/console/staff/"+strconv.FormatInt(st.ID, 10)+"/status", url.Values{"status": {"disabled"}})
	wantStatus(t, r, http.StatusSeeOther)
	if r := clerk.get("/console/units"); r.StatusCode == http.StatusOK {
		t.Fatal("a disabled account's session still works")
	}
	// An admin cannot disable themself.
	me, _ := models.StaffByUsername(context.Background(), e.db, "hq.admin")
	r = admin.post("/console/staff/"+strconv.FormatInt(me.ID, 10)+"/status", url.Values{"status": {"disabled"}})
	if r.StatusCode < 400 {
		t.Fatalf("an admin disabled themself: %d", r.StatusCode)
	}
}
