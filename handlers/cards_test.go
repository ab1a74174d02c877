package handlers_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// testOrigin is the origin the test server believes it has.
const testOrigin = "https://portal.test"

var (
	caOnce sync.Once
	testCA *devca.CA
	caErr  error
)

// devCA is one development CA for the whole test binary (keys take time).
func devCA(t *testing.T) *devca.CA {
	t.Helper()
	caOnce.Do(func() {
		testCA, caErr = devca.NewCA(devca.Options{NotBefore: modelstest.Clock.AddDate(-2, 0, 0)})
	})
	if caErr != nil {
		t.Fatal(caErr)
	}
	return testCA
}

var (
	otherOnce sync.Once
	otherCA   *devca.CA
	otherErr  error
)

// devCAOther is a second development CA, which the test server does not trust.
func devCAOther(t *testing.T) *devca.CA {
	t.Helper()
	otherOnce.Do(func() {
		otherCA, otherErr = devca.NewCA(devca.Options{NotBefore: modelstest.Clock.AddDate(-2, 0, 0)})
	})
	if otherErr != nil {
		t.Fatal(otherErr)
	}
	return otherCA
}

func testCards(t *testing.T) handlers.CardAuth {
	ca := devCA(t)
	now := func() time.Time { return modelstest.Clock }
	one := func(anchor *x509.Certificate) *certlogin.Verifier {
		v := certlogin.NewVerifier([]*x509.Certificate{anchor}, nil)
		v.Now = now
		return v
	}
	units := certlogin.UnitVerifiers{certlogin.KindMOEACA: one(ca.Business.Cert), certlogin.KindGCA: one(ca.GCA.Cert),
		certlogin.KindXCA: one(ca.XCA.Cert), certlogin.KindHCA: one(ca.HCA.Cert)}
	return handlers.CardAuth{Units: units, Citizen: one(ca.Citizen.Cert), Origin: testOrigin,
		Agent: handlers.AgentInfo{URL: "http://127.0.0.1:56161", MinVersion: "1.0.0"}}
}

// jsonPost posts a form as the card pages' script does and decodes the JSON answer.
func (c *client) jsonPost(path string, form url.Values) (int, map[string]any) {
	c.e.t.Helper()
	r := c.post(path, form, "Accept", "application/json", "X-CSRF-Token", c.csrf)
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		c.e.t.Fatalf("POST %s: not JSON (%d): %s", path, r.StatusCode, r.body)
	}
	return r.StatusCode, m
}

// cardClient opens the login page as a browser would.
func (e *env) cardClient() *client {
	c := e.anonymous()
	page := c.get("/login")
	wantStatus(e.t, page, http.StatusOK)
	tok, ok := page.doc(e.t).Find(`meta[name="csrf-token"]`).Attr("content")
	if !ok || tok == "" {
		e.t.Fatal("login page has no csrf-token meta")
	}
	c.csrf = tok
	return c
}

// signIn asks for a nonce, has the card sign it for origin, and posts it.
func (c *client) signIn(t *testing.T, path, purpose string, card *devca.Card, origin string, extra url.Values) (int, map[string]any) {
	t.Helper()
	code, n := c.jsonPost("/login/nonce", url.Values{"purpose": {purpose}})
	if code != http.StatusOK {
		t.Fatalf("nonce: %d %v", code, n)
	}
	nonce, _ := base64.StdEncoding.DecodeString(n["nonce"].(string))
	if len(nonce) != 32 {
		t.Fatalf("nonce of %d bytes, want 32", len(nonce))
	}
	alg, sig, err := card.Sign(agent.Digest(origin, nonce))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"nonce": {n["nonce"].(string)}, "signature": {base64.StdEncoding.EncodeToString(sig)},
		"certificate": {base64.StdEncoding.EncodeToString(card.Cert.Raw)}, "algorithm": {alg}}
	for k, v := range extra {
		form[k] = v
	}
	return c.jsonPost(path, form)
}

func TestBusinessCertificateRegistrationAndLogin(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		var u models.Unit // demo unit 9 has no account yet
		if err := db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		ca := devCA(t)
		card, err := ca.IssueBusiness(u.BAN, u.Name, modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		c := e.cardClient()
		code, res := c.signIn(t, "/register/certificate", models.PurposeRegister, card, testOrigin, url.Values{"unit_code": {u.Code}})
		if code != http.StatusOK || res["redirect"] != "/portal" {
			t.Fatalf("register: %d %v", code, res)
		}
		home := c.get("/portal")
		wantStatus(t, home, http.StatusOK)
		wantContains(t, home, u.Name, "註冊完成", "工商憑證")

		t.Run("login", func(t *testing.T) {
			c := e.cardClient()
			code, res := c.signIn(t, "/login/certificate", models.PurposeUnitLogin, card, testOrigin, url.Values{"as_unit": {"1"}})
			if code != http.StatusOK || res["redirect"] != "/portal" {
				t.Fatalf("login: %d %v", code, res)
			}
			wantStatus(t, c.get("/portal"), http.StatusOK)
		})
		t.Run("signature for another origin", func(t *testing.T) {
			c := e.cardClient()
			code, res := c.signIn(t, "/login/certificate", models.PurposeUnitLogin, card, "https://evil.example", url.Values{"as_unit": {"1"}})
			if code != http.StatusUnauthorized || !strings.Contains(res["error"].(string), "簽章") {
				t.Fatalf("%d %v, want 401 about the signature", code, res)
			}
		})
		t.Run("citizen card as unit", func(t *testing.T) {
			cit, err := ca.IssueCitizen("王小明", "A123456789", modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			c := e.cardClient()
			if code, res := c.signIn(t, "/login/certificate", models.PurposeUnitLogin, cit, testOrigin, url.Values{"as_unit": {"1"}}); code != http.StatusUnauthorized {
				t.Fatalf("%d %v, want 401: a citizen certificate is not a unit's", code, res)
			}
		})
		t.Run("untrusted CA", func(t *testing.T) {
			other, err := devca.NewCA(devca.Options{NotBefore: modelstest.Clock.AddDate(-2, 0, 0)})
			if err != nil {
				t.Fatal(err)
			}
			fake, _ := other.IssueBusiness(u.BAN, u.Name, modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
			c := e.cardClient()
			if code, res := c.signIn(t, "/login/certificate", models.PurposeUnitLogin, fake, testOrigin, url.Values{"as_unit": {"1"}}); code != http.StatusUnauthorized {
				t.Fatalf("%d %v, want 401", code, res)
			}
		})
		t.Run("closed unit", func(t *testing.T) {
			if _, err := db.NewUpdate().Table("units").Set("status = 'closed'").Where("id = ?", u.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			c := e.cardClient()
			code, res := c.signIn(t, "/login/certificate", models.PurposeUnitLogin, card, testOrigin, url.Values{"as_unit": {"1"}})
			if code != http.StatusForbidden || !strings.Contains(res["error"].(string), "請洽詢承辦人") {
				t.Fatalf("%d %v, want 403 請洽詢承辦人", code, res)
			}
		})
	})
}

func TestNHILoginThroughHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	var u models.Unit
	if err := e.db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(6)).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	acct, _ := models.ActiveAccount(ctx, e.db, models.ScopeAll, u.ID)
	c := e.cardClient()
	form := url.Values{"card_no": {*acct.NHICardNo}, "card_id_no": {*acct.NHIIDNo}, "card_name": {u.OwnerName},
		"password": {"Wrong-1234"}, "unit_code": {u.Code}, "as_unit": {"1"}}
	if code, res := c.jsonPost("/login/nhi", form); code != http.StatusUnauthorized || !strings.Contains(res["error"].(string), "不正確") {
		t.Fatalf("wrong password: %d %v", code, res)
	}
	form.Set("unit_code", "")
	if code, res := c.jsonPost("/login/nhi", form); code != http.StatusUnprocessableEntity {
		t.Fatalf("no unit code: %d %v", code, res)
	}
	form.Set("unit_code", u.Code)
	form.Set("password", demo.Password)
	if code, res := c.jsonPost("/login/nhi", form); code != http.StatusOK || res["redirect"] != "/portal" {
		t.Fatalf("login: %d %v", code, res)
	}
	wantContains(t, c.get("/portal"), u.Name, "負責人健保卡")
}

func TestLoginPagesRender(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	for path, want := range map[string][]string{
		"/login":        {"憑證登入", "單位憑證（負責人健保卡）", "投保單位代號", "健保卡網路服務註冊", "環境說明", `data-pin`},
		"/register":     {"投保單位註冊", "統一編號", "負責人健保卡"},
		"/nhi-register": {"申請驗證碼", "忘記密碼", "輸入驗證碼並設定密碼"},
		"/environment":  {"讀卡機自我檢測", "0800-080-117", "經濟部工商憑證管理中心", testInstaller, "3003"},
	} {
		r := e.anonymous().get(path)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, want...)
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:56161") {
			t.Errorf("%s: CSP %q does not let the page reach the agent", path, csp)
		}
		// The PIN field has no name: a plain form post could never send it to the server.
		r.doc(t).Find("[data-pin]").Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("name"); ok {
				t.Errorf("%s: the PIN field has a name", path)
			}
		})
	}
	env := e.anonymous().get("/environment")
	sum := env.doc(t).Find("td.mono").First().Text()
	if len(sum) != 64 {
		t.Errorf("SHA-256 shown %q", sum)
	}
	dl := e.anonymous().get("/environment/downloads/" + testInstaller)
	wantStatus(t, dl, http.StatusOK)
	if cd := dl.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || dl.body != "installer bytes" {
		t.Errorf("download: %q %q", cd, dl.body)
	}
	for _, bad := range []string{"..%2fmain_test.go", "nope"} {
		if r := e.anonymous().get("/environment/downloads/" + bad); r.StatusCode != http.StatusNotFound {
			t.Errorf("download %s: %d, want 404", bad, r.StatusCode)
		}
	}
}
