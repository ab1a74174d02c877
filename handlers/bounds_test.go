package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

// oversized reports audit events with a field longer than any input may be.
func oversized(t *testing.T, db *bun.DB) int64 {
	t.Helper()
	n, err := db.NewSelect().Model((*models.AuditEvent)(nil)).
		Where("LENGTH(actor_name) > 1000 OR LENGTH(object_id) > 1000 OR LENGTH(reason) > 1000 OR LENGTH(after_json) > 4000").
		Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBoundedBody(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.anonymous()
		wantStatus(t, c.get("/login"), http.StatusOK)
		big := strings.Repeat("1", 5<<20)

		t.Run("5 MiB unit code to /login/nhi", func(t *testing.T) {
			r := c.post("/login/nhi", url.Values{"unit_code": {big}, "card_no": {"000012345678"}, "password": {"x"}})
			wantStatus(t, r, http.StatusRequestEntityTooLarge)
			wantContains(t, r, "送出的資料太大（上限 16 KB）")
			j := c.post("/login/nhi", url.Values{"unit_code": {big}}, "Accept", "application/json")
			wantStatus(t, j, http.StatusRequestEntityTooLarge)
			wantContains(t, j, `"error":"送出的資料太大`)
			if n := oversized(t, db); n != 0 {
				t.Errorf("%d audit events carry a field over 1000 characters", n)
			}
		})
		t.Run("1 MiB card name to /nhi-register", func(t *testing.T) {
			r := c.post("/nhi-register", url.Values{"card_name": {strings.Repeat("王", 1<<18)}, "id_no": {"A123456789"}})
			wantStatus(t, r, http.StatusRequestEntityTooLarge)
		})
		t.Run("a logged-in user's form", func(t *testing.T) {
			s := e.staffClient("taipei.staff")
			r := s.post("/console/cases", url.Values{"notes": {strings.Repeat("字", 100<<10)}})
			wantStatus(t, r, http.StatusRequestEntityTooLarge)
			wantContains(t, r, "上限 256 KB")
		})
		t.Run("an upload route takes files", func(t *testing.T) {
			f := e.unitClient(ownUnit, models.RoleClerkFiler)
			csv := uploadHeader + strings.Repeat(uploadRow(twid.MakeNationalID('C', 1, 1), "張一", "0740601", "30300"), 6000) // ~400 KB
			r := f.multipartPost("/portal/filings/upload", map[string]string{"mode": "valid_only"}, map[string][2]string{"file": {"f.csv", csv}})
			if r.StatusCode == http.StatusRequestEntityTooLarge || r.StatusCode >= 500 {
				t.Fatalf("a 400 KB CSV upload: status %d\n%.500s", r.StatusCode, r.body)
			}
		})
		t.Run("a compressed body", func(t *testing.T) {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write([]byte("unit_code=" + strings.Repeat("1", 1<<20))) //nolint:errcheck
			w.Close()
			req := httptest.NewRequest(http.MethodPost, "/login/nhi", &z)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Content-Encoding", "gzip")
			r := c.do(req)
			wantStatus(t, r, http.StatusUnsupportedMediaType)
			wantContains(t, r, "不接受壓縮過的資料")
		})
	})
}

func TestNULAndBoundedNames(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		if err := e.store.EnsureReferenceData(context.Background()); err != nil {
			t.Fatal(err)
		}
		staff := e.staffClient("taipei.staff")
		filer := e.unitClient(ownUnit, models.RoleClerkFiler)

		t.Run("NUL in a search field", func(t *testing.T) {
			r := staff.get("/console/units?q=" + url.QueryEscape("臺北\x00"))
			wantStatus(t, r, http.StatusBadRequest)
			wantContains(t, r, "無效的字元")
			r = staff.get("/console/units?q=%ff%fe", "HX-Request", "true", "HX-Target", "unit-results")
			wantStatus(t, r, http.StatusBadRequest)
			wantContains(t, r, "無效的字元")
		})
		t.Run("NUL in every search form", func(t *testing.T) {
			auditor := e.staffClient("hq.audit")
			for _, tc := range []struct {
				c    *client
				path string
			}{
				{staff, "/console/cases?q=%00"},
				{auditor, "/console/audit?actor=%00&reason=x"},
				{auditor, "/console/stats?from=115/01/01%00"},
				{filer, "/portal/filings?from=%00"},
				{filer, "/portal/print?search=1&from=%00"},
				{staff, "/address/townships?prefix=reg&reg_county=%00"},
			} {
				r := tc.c.get(tc.path)
				wantStatus(t, r, http.StatusBadRequest)
				wantContains(t, r, "無效的字元")
			}
		})
		t.Run("a long search term", func(t *testing.T) {
			r := staff.get("/console/units?q=" + url.QueryEscape(strings.Repeat("臺", 300)))
			wantStatus(t, r, http.StatusOK)
		})
		t.Run("NUL in a filing name", func(t *testing.T) {
			f := insuredForm(4444441)
			f.Set("name", "陳\x00志明")
			r := filer.post("/portal/filings", f)
			wantStatus(t, r, http.StatusBadRequest)
			wantContains(t, r, "無效的字元")
			csv := uploadHeader + uploadRow(twid.MakeNationalID('C', 1, 7), "陳\x00志明", "0740601", "30300")
			u := filer.multipartPost("/portal/filings/upload", nil, map[string][2]string{"file": {"f.csv", csv}})
			wantStatus(t, u, http.StatusUnprocessableEntity)
			wantContains(t, u, "NUL 字元")
		})
		t.Run("a right-to-left override in a name", func(t *testing.T) {
			f := insuredForm(4444442)
			f.Set("name", "陳\u202e明志")
			r := filer.post("/portal/filings", f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "姓名含有控制字元或文字方向控制字元", `aria-invalid="true"`)
			csv := uploadHeader + uploadRow(twid.MakeNationalID('C', 1, 8), "陳\u202e明志", "0740601", "30300")
			u := filer.multipartPost("/portal/filings/upload", nil, map[string][2]string{"file": {"f.csv", csv}})
			wantStatus(t, u, http.StatusUnprocessableEntity)
			wantContains(t, u, "第 2 行", "姓名含有控制字元或文字方向控制字元")
			owner := e.unitClient(ownUnit, models.RoleUnitOwner)
			h := owner.post("/portal/requests", url.Values{"effective_date": {"115/03/20"}, "change_name": {"1"},
				"new_name": {"好公司\u202e司公壞"}, "contact_name": {"王大明"}, "contact_phone": {"(02)2345-6789"}})
			wantStatus(t, h, http.StatusUnprocessableEntity)
			wantContains(t, h, "變更後的單位名稱含有控制字元或文字方向控制字元")
		})
		t.Run("names too long", func(t *testing.T) {
			f := insuredForm(4444443)
			f.Set("name", strings.Repeat("陳", 1000))
			r := filer.post("/portal/filings", f)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "姓名最多 30 個字")
			f.Set("name", strings.Repeat("陳", 1_000_000))
			r = filer.post("/portal/filings", f)
			wantStatus(t, r, http.StatusRequestEntityTooLarge)
			wantContains(t, r, "送出的資料太大")
			if n, _ := db.NewSelect().Table("filings").Where("LENGTH(name) > 30").Count(context.Background()); n != 0 {
				t.Errorf("%d filings with a name over 30 characters", n)
			}
		})
	})
}

// sessionID is the sessions table's id of a cookie token.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// refusals returns the refusal events that name a session.
func refusals(t *testing.T, db *bun.DB, sid string) []models.AuditEvent {
	t.Helper()
	var evs []models.AuditEvent
	err := db.NewSelect().Model(&evs).Where("action IN (?)", bun.List(models.RefusalActions)).
		Where("after_json LIKE ?", "%"+sid+"%").Order("seq").Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestRefusalsAudited(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.unitClient(otherUnit, models.RoleClerk) // gives the other unit a clerk
		var hid int64
		if err := db.NewSelect().Table("clerks").Column("id").Where("unit_id = ?", e.unitID(otherUnit)).Limit(1).Scan(ctx, &hid); err != nil {
			t.Fatal(err)
		}

		t.Run("another unit's object", func(t *testing.T) {
			c := e.unitClient(ownUnit, models.RoleUnitOwner)
			path := "/portal/handlers/" + fmtID(hid) + "/revoke"
			wantStatus(t, c.post(path, nil), http.StatusNotFound)
			evs := refusals(t, db, sessionID(c.cookie))
			if len(evs) != 1 {
				t.Fatalf("%d refusal events, want 1: %+v", len(evs), evs)
			}
			ev := evs[0]
			var unitName string
			if err := db.NewSelect().Table("units").Column("name").Where("id = ?", e.unitID(ownUnit)).Scan(ctx, &unitName); err != nil {
				t.Fatal(err)
			}
			if ev.Action != models.ActionAccessDenied || ev.ActorKind != models.SessionUnit || ev.ActorName != unitName ||
				ev.ObjectID != "POST "+path || ev.ClientIP != "0.0.0.0" || !strings.Contains(ev.AfterJSON, `"status":404`) {
				t.Errorf("event %+v: want access.denied by %s on POST %s from 0.0.0.0", ev, unitName, path)
			}
			if strings.Contains(ev.AfterJSON, c.cookie) {
				t.Error("the event holds the session's cookie token")
			}
		})
		t.Run("a CSRF refusal", func(t *testing.T) {
			c := e.staffClient("taipei.staff")
			wantStatus(t, c.post("/console/logout", url.Values{"_csrf": {"forged"}}), http.StatusForbidden)
			evs := refusals(t, db, sessionID(c.cookie))
			if len(evs) != 1 {
				t.Fatalf("%d refusal events, want 1", len(evs))
			}
			if ev := evs[0]; ev.Action != models.ActionCSRFRefused || ev.ActorName != "taipei.staff" || ev.ObjectID != "POST /console/logout" {
				t.Errorf("event %+v: want csrf.refused by taipei.staff on POST /console/logout", ev)
			}
		})
		t.Run("the audit search offers the actions", func(t *testing.T) {
			r := e.staffClient("hq.audit").get("/console/audit")
			wantStatus(t, r, http.StatusOK)
			wantContains(t, r, `value="access.denied"`, "拒絕存取", `value="csrf.refused"`, `value="refusal.suppressed"`)
		})
	})
}

func TestRefusalFloodBounded(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.staffClient("taipei.staff")
		sid := sessionID(c.cookie)
		for i := 0; i < 1000; i++ {
			if r := c.post("/console/logout", url.Values{"_csrf": {"forged"}}); r.StatusCode != http.StatusForbidden {
				t.Fatalf("refusal %d: status %d", i, r.StatusCode)
			}
		}
		evs := refusals(t, db, sid)
		if len(evs) != models.MaxRefusalsPerMinute+1 {
			t.Fatalf("1000 refusals wrote %d events, want %d", len(evs), models.MaxRefusalsPerMinute+1)
		}
		if last := evs[len(evs)-1]; last.Action != models.ActionRefusalSuppressed {
			t.Errorf("the last event is %s, want %s", last.Action, models.ActionRefusalSuppressed)
		}
		e.clock.Advance(time.Minute)
		c.post("/console/logout", url.Values{"_csrf": {"forged"}})
		if n := len(refusals(t, db, sid)); n != models.MaxRefusalsPerMinute+2 {
			t.Errorf("the next minute's refusal: %d events, want %d", n, models.MaxRefusalsPerMinute+2)
		}
	})
}

// withDeps replaces the env's app with one built with changed deps.
func (e *env) withDeps(change func(d *handlers.Deps)) {
	e.t.Helper()
	d := handlers.Deps{Store: e.store, Enforcer: policy.MustNew(), Version: "test", Cards: testCards(e.t)}
	change(&d)
	app, srv, err := handlers.New(d)
	if err != nil {
		e.t.Fatal(err)
	}
	e.app, e.srv = app, srv
}

func TestProxyHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	// clientIP makes a CSRF refusal through a proxy and reads the address
	// its audit event recorded; it also returns the response.
	clientIP := func(xff string) (string, *response) {
		t.Helper()
		c := e.staffClient("taipei.staff")
		// Behind an https proxy the browser holds the __Host- cookie.
		r := c.post("/console/logout", url.Values{"_csrf": {"forged"}}, "X-Forwarded-For", xff, "X-Forwarded-Proto", "https",
			"Cookie", "__Host-mc_session="+c.cookie)
		wantStatus(t, r, http.StatusForbidden)
		evs := refusals(t, e.db, sessionID(c.cookie))
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		return evs[0].ClientIP, r
	}

	t.Run("untrusted peer", func(t *testing.T) {
		e.withDeps(func(d *handlers.Deps) { d.TrustedProxies = []string{"192.0.2.1", "10.0.0.0/8"} })
		ip, r := clientIP("203.0.113.7")
		if ip != "0.0.0.0" {
			t.Errorf("client IP %q: an untrusted peer's X-Forwarded-For was believed", ip)
		}
		if h := r.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("an untrusted peer's X-Forwarded-Proto was believed: HSTS %q", h)
		}
	})
	t.Run("no proxies configured", func(t *testing.T) {
		e.withDeps(func(d *handlers.Deps) {})
		if ip, _ := clientIP("203.0.113.7"); ip != "0.0.0.0" {
			t.Errorf("client IP %q: X-Forwarded-For believed without a trusted proxy", ip)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		e.withDeps(func(d *handlers.Deps) { d.TrustedProxies = []string{"0.0.0.0/32", "10.0.0.0/8"} })
		// The client wrote the first address; the proxies appended the rest.
		ip, r := clientIP("198.51.100.9, 203.0.113.7, 10.1.2.3")
		if ip != "203.0.113.7" {
			t.Errorf("client IP %q, want the address the trusted proxies saw, 203.0.113.7", ip)
		}
		if h := r.Header.Get("Strict-Transport-Security"); h == "" {
			t.Error("a trusted proxy's X-Forwarded-Proto https was not believed")
		}
	})
}

func TestProxySecureCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	e.withDeps(func(d *handlers.Deps) { d.SecureCookies = true }) // --public-url https://…
	// A browser: it keeps whatever cookies it is given.
	jar := map[string]string{}
	send := func(req *http.Request) *http.Response {
		t.Helper()
		for k, v := range jar {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		res, err := e.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		for _, ck := range res.Cookies() {
			jar[ck.Name] = ck.Value
		}
		return res
	}
	page := send(httptest.NewRequest(http.MethodGet, "/console/login", nil))
	r := &response{Response: page}
	b := new(bytes.Buffer)
	b.ReadFrom(page.Body) //nolint:errcheck
	r.body = b.String()
	csrf, _ := r.doc(t).Find(`input[name="_csrf"]`).First().Attr("value")
	form := url.Values{"_csrf": {csrf}, "username": {"taipei.staff"}, "password": {demo.Password}}
	req := httptest.NewRequest(http.MethodPost, "/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := send(req)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", res.StatusCode)
	}
	var got *http.Cookie
	for _, ck := range res.Cookies() {
		if strings.Contains(ck.Name, "mc_session") && ck.Value != "" {
			got = ck
		}
	}
	if got == nil {
		t.Fatalf("no session cookie set at login: %q", res.Header.Values("Set-Cookie"))
	}
	if got.Name != "__Host-mc_session" || !got.Secure || got.Path != "/" || got.Domain != "" || !got.HttpOnly {
		t.Errorf("session cookie %+v: want __Host-mc_session, Secure, HttpOnly, Path=/ and no Domain", got)
	}
}
