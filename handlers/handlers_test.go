package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/static"
)

func TestStaffLoginFlow(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.anonymous()
		page := c.get("/console/login")
		wantStatus(t, page, http.StatusOK)
		wantContains(t, page, "署內人員登入", `<label for="username">帳號</label>`, `<label for="password">密碼</label>`)
		c.scrapeCSRF(page)
		anonCookie := c.cookie

		t.Run("EmptyFields", func(t *testing.T) {
			r := c.post("/console/login", url.Values{"username": {""}, "password": {""}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "請輸入帳號及密碼。")
		})
		t.Run("WrongPassword", func(t *testing.T) {
			r := c.post("/console/login", url.Values{"username": {"taipei.staff"}, "password": {"nope"}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "帳號或密碼錯誤", `aria-invalid="true"`, `value="taipei.staff"`)
		})
		t.Run("HTMXWrongPasswordIsAFragment", func(t *testing.T) {
			r := c.post("/console/login", url.Values{"username": {"taipei.staff"}, "password": {"nope"}}, "HX-Request", "true")
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, `id="login-box"`, "帳號或密碼錯誤")
			wantNotContains(t, r, "<html")
		})
		t.Run("NoCSRF", func(t *testing.T) {
			r := c.post("/console/login", url.Values{"_csrf": {""}, "username": {"taipei.staff"}, "password": {demo.Password}})
			wantStatus(t, r, http.StatusForbidden)
			wantContains(t, r, "請重新整理頁面")
		})
		t.Run("Success", func(t *testing.T) {
			r := c.post("/console/login", url.Values{"username": {"taipei.staff"}, "password": {demo.Password}, "next": {"/console/units?q=1"}})
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); loc != "/console/units?q=1" {
				t.Errorf("redirect to %q, want the next page", loc)
			}
			if c.cookie == anonCookie || c.cookie == "" {
				t.Fatal("the session cookie was not replaced at login (session fixation)")
			}
			set := r.Header.Get("Set-Cookie")
			if !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") {
				t.Errorf("session cookie %q: want HttpOnly and SameSite=Lax", set)
			}
			old := &client{e: e, cookie: anonCookie}
			if r := old.get("/console", "HX-Request", "true"); r.StatusCode != http.StatusUnauthorized {
				t.Errorf("the pre-login cookie still works: %d", r.StatusCode)
			}
			home := c.get("/console")
			wantStatus(t, home, http.StatusOK)
			wantContains(t, home, "工作台", "臺北業務組", "王專員")
			c.scrapeCSRF(home)
		})
		t.Run("OpenRedirectRefused", func(t *testing.T) {
			c2 := e.anonymous()
			c2.scrapeCSRF(c2.get("/console/login"))
			r := c2.post("/console/login", url.Values{"username": {"north.staff"}, "password": {demo.Password}, "next": {"//evil.example/console"}})
			if loc := r.Header.Get("Location"); loc != "/console" {
				t.Errorf("redirect to %q, want /console", loc)
			}
		})
		t.Run("Logout", func(t *testing.T) {
			r := c.post("/console/logout", nil)
			wantStatus(t, r, http.StatusSeeOther)
			if r := c.get("/console/login"); !strings.Contains(r.body, "您已登出。") {
				t.Errorf("no logout message:\n%s", r.body)
			}
			if r := c.get("/console"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/console/login") {
				t.Errorf("after logout /console answered %d %s, want a redirect to login", r.StatusCode, r.Header.Get("Location"))
			}
		})
		t.Run("LockoutMessage", func(t *testing.T) {
			c3 := e.anonymous()
			c3.scrapeCSRF(c3.get("/console/login"))
			var r *response
			for i := 0; i < 5; i++ {
				r = c3.post("/console/login", url.Values{"username": {"south.staff"}, "password": {"bad"}})
			}
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "嘗試失敗次數過多，請於 1 分鐘後再試。")
		})
	})
}

func TestCSRFAndOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	for _, tc := range []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"missing token", url.Values{"_csrf": {""}}, nil},
		{"wrong token", url.Values{"_csrf": {"x" + strings.Repeat("A", 42)}}, nil},
		{"cross-site fetch", nil, []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign origin", nil, []string{"Origin", "https://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.staffClient("taipei.staff")
			r := c.post("/console/logout", tc.form, tc.headers...)
			wantStatus(t, r, http.StatusForbidden)
			if r := c.get("/console"); r.StatusCode != http.StatusOK {
				t.Errorf("the refused logout ended the session: %d", r.StatusCode)
			}
		})
	}
	t.Run("token in the HTMX header", func(t *testing.T) {
		c := e.staffClient("taipei.staff")
		r := c.post("/console/logout", url.Values{"_csrf": {""}}, "X-CSRF-Token", c.csrf, "HX-Request", "true")
		if r.StatusCode != http.StatusNoContent || r.Header.Get("HX-Redirect") != "/console/login" {
			t.Errorf("status %d, HX-Redirect %q", r.StatusCode, r.Header.Get("HX-Redirect"))
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	r := e.anonymous().get("/console/login")
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	} {
		if got := r.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q allows inline scripts", csp)
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " onclick=") || strings.Contains(r.body, " style=") {
		t.Error("page has inline script or style, which the CSP blocks")
	}
	s := e.anonymous().get("/static/htmx-2.0.11.min.js")
	wantStatus(t, s, http.StatusOK)
	if ct := s.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("htmx served as %q", ct)
	}
	for _, bad := range []string{"/static/..%2fgo.mod", "/static/.hidden", "/static/nope.js"} {
		if r := e.anonymous().get(bad); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, r.StatusCode)
		}
	}

	// The page names each script and style with its version: a new
	// release's file is fetched at once, and the versioned address is kept
	// for a year; an unversioned or outdated address only for an hour.
	refs := regexp.MustCompile(`(?:src|href)="(/static/[^"?]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(r.body, -1)
	if len(refs) < 4 {
		t.Fatalf("the page names %d versioned static files, want the icon, style and scripts: %q", len(refs), refs)
	}
	for _, ref := range refs {
		b, err := fs.ReadFile(static.FS, strings.TrimPrefix(ref[1], "/static/"))
		if err != nil {
			t.Fatalf("%s: %v", ref[1], err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:6]) != ref[2] {
			t.Errorf("%s?v=%s is not the file's version", ref[1], ref[2])
		}
		for q, want := range map[string]string{"?v=" + ref[2]: "public, max-age=31536000, immutable", "?v=000000000000": "public, max-age=3600", "": "public, max-age=3600"} {
			if got := e.anonymous().get(ref[1] + q).Header.Get("Cache-Control"); got != want {
				t.Errorf("%s%s: Cache-Control %q, want %q", ref[1], q, got, want)
			}
		}
	}
}

func TestErrorsInChinese(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	r := c.get("/console/nowhere")
	wantStatus(t, r, http.StatusNotFound)
	wantContains(t, r, "找不到這個頁面", "<html", "投保單位查詢") // full page in the console layout
	h := c.get("/console/nowhere", "HX-Request", "true")
	wantStatus(t, h, http.StatusNotFound)
	wantNotContains(t, h, "<html")
	wantContains(t, h, `class="alert error"`, "找不到這個頁面")
	if h.Header.Get("HX-Retarget") != "#flash" {
		t.Errorf("HTMX error not retargeted to #flash: %q", h.Header.Get("HX-Retarget"))
	}
	if r := c.get("/console/units/abc"); r.StatusCode != http.StatusNotFound {
		t.Errorf("non-numeric id: %d, want 404", r.StatusCode)
	}
	f := e.unitClient(0, models.RoleUnitOwner).get("/console")
	wantStatus(t, f, http.StatusForbidden)
	wantContains(t, f, "沒有執行此功能的權限", "系統管理作業") // the portal layout
}

func TestUnitSearchPage(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.staffClient("taipei.staff")
		full := c.get("/console/units")
		wantStatus(t, full, http.StatusOK)
		wantContains(t, full, "<html", `<label for="q">查詢條件</label>`, `id="unit-results"`)
		if v := full.Header.Get("Vary"); !strings.Contains(v, "HX-Request") {
			t.Errorf("Vary = %q, want HX-Request", v)
		}
		n := full.doc(t).Find("#unit-results tbody tr").Length()
		wantContains(t, full, "共 ")
		if n == 0 || n > 20 {
			t.Errorf("%d rows on the first page", n)
		}
		code := demo.UnitCode(0)
		part := c.get("/console/units?q="+code, "HX-Request", "true", "HX-Target", "unit-results")
		wantStatus(t, part, http.StatusOK)
		wantNotContains(t, part, "<html", "查詢條件")
		wantContains(t, part, "共 1 筆", code, "依投保單位代號查詢")
		other := c.get("/console/units?q="+demo.UnitCode(3), "HX-Request", "true", "HX-Target", "unit-results")
		wantContains(t, other, "共 0 筆", "您只能查詢本業務組的單位")
		hq := e.staffClient("hq.staff").get("/console/units?q=" + demo.UnitCode(3))
		wantContains(t, hq, "共 1 筆", `<select id="branch" name="branch">`)
		sorted := c.get("/console/units?sort=name&desc=1&page=1")
		if mark, _ := sorted.doc(t).Find(`th[aria-sort="descending"]`).Attr("aria-sort"); mark != "descending" {
			t.Error("sorted column not marked aria-sort=descending")
		}
	})
}

func TestUnitPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	id := e.unitID(0)
	r := c.get("/console/units/" + fmtID(id))
	wantStatus(t, r, http.StatusOK)
	var u models.Unit
	if err := e.db.NewSelect().Model(&u).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs, _ := models.ClerksOfUnit(context.Background(), e.db, models.ScopeAll, id)
	wantContains(t, r, u.Name, u.Code, u.BAN, u.Reg.County+u.Reg.Township, "多憑證帳號", "工商憑證")
	for _, h := range hs {
		wantContains(t, r, h.Name, h.IDNo[6:])
		wantNotContains(t, r, h.IDNo) // masked
	}
	if r := c.get("/console/units/" + fmtID(e.unitID(3))); r.StatusCode != http.StatusNotFound {
		t.Errorf("another branch's unit: %d, want 404", r.StatusCode)
	}
	if r := c.get("/console/units/999999"); r.StatusCode != http.StatusNotFound {
		t.Errorf("a missing unit: %d, want 404", r.StatusCode)
	}
}

func TestPortalHome(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	r := e.unitClient(0, models.RoleUnitOwner).get("/portal")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "系統管理作業", "單位管理者登錄作業", "單位憑證變更作業", "單位資料查詢及變更",
		"投保單位基本資料", "列印及媒體上傳", "申報資料套印表格", demo.UnitCode(0))
	h := e.unitClient(0, models.RoleClerk)
	wantStatus(t, h.get("/portal"), http.StatusOK)
	if r := h.post("/portal/logout", nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", r.StatusCode)
	}
	if r := h.get("/portal", "HX-Request", "true"); r.StatusCode != http.StatusUnauthorized || r.Header.Get("HX-Redirect") == "" {
		t.Errorf("after logout: %d, HX-Redirect %q; want 401 with a redirect", r.StatusCode, r.Header.Get("HX-Redirect"))
	}
}

func TestRevokedClerkSessionEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.unitClient(0, models.RoleClerk)
	wantStatus(t, c.get("/portal"), http.StatusOK)
	if _, err := e.db.NewUpdate().Table("clerks").Set("status = 'revoked', revoked_at = ?", modelstest.Clock).
		Where("unit_id = ?", e.unitID(0)).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := c.get("/portal"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("revoked clerk got %d, want a redirect to log in", r.StatusCode)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	wantStatus(t, c.get("/console"), http.StatusOK)
	e.clock.Advance(31 * time.Minute)
	r := c.get("/console/units", "HX-Request", "true")
	if r.StatusCode != http.StatusUnauthorized || r.Header.Get("HX-Redirect") != "/console/login" {
		t.Errorf("after 31 idle minutes: %d, HX-Redirect %q; want 401 to /console/login", r.StatusCode, r.Header.Get("HX-Redirect"))
	}
}

// TestGETChangesNothing requests every GET route as staff and as a unit and
// checks that no audit event was written: no GET handler changes state. The
// refused ones are recorded as refusals, which change nothing.
func TestGETChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	count := func() int {
		n, err := e.db.NewSelect().Table("audit_events").Where("action NOT IN (?)", bun.List(models.RefusalActions)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	before := count()
	for _, c := range []*client{e.staffClient("taipei.staff"), e.unitClient(0, models.RoleUnitOwner), e.anonymous()} {
		for _, r := range e.srv.Routes() {
			if r.Method != http.MethodGet {
				continue
			}
			path := routePath(r.Path, e.unitID(0))
			c.get(path)
		}
	}
	if after := count(); after != before {
		t.Errorf("GET requests wrote %d audit events", after-before)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	wantStatus(t, e.anonymous().get("/healthz"), http.StatusOK)
	wantStatus(t, e.anonymous().get("/readyz"), http.StatusOK)
	if _, err := models.MigrateDown(context.Background(), e.db); err != nil {
		t.Fatal(err)
	}
	if r := e.anonymous().get("/readyz"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with an old schema: %d, want 503", r.StatusCode)
	}
	e.db.Close()
	if r := e.anonymous().get("/readyz"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d, want 503", r.StatusCode)
	}
	wantStatus(t, e.anonymous().get("/healthz"), http.StatusOK)
}
