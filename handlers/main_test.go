package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Main(m)) }

// env is a running app on a fresh database with the demo data.
type env struct {
	t     *testing.T
	db    *bun.DB
	store *models.Store
	clock *modelstest.Time
	app   *fiber.App
	srv   *handlers.Server
}

func newEnv(t *testing.T, db *bun.DB) *env {
	t.Helper()
	store, clk := modelstest.NewStore(db)
	// Pages read on SQLite's read pool, as the server does.
	reads, err := models.OpenReads(context.Background(), db, 4)
	if err != nil {
		t.Fatal(err)
	}
	if reads != nil {
		store.Reads = reads
		t.Cleanup(func() { models.Close(reads) })
	}
	if _, err := demo.Seed(context.Background(), store, 24); err != nil {
		t.Fatal(err)
	}
	downloads := t.TempDir()
	if err := os.WriteFile(filepath.Join(downloads, testInstaller), []byte("installer bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	app, srv, err := handlers.New(handlers.Deps{Store: store, Enforcer: policy.MustNew(), Version: "test", Downloads: downloads,
		Cards: testCards(t), MetricsNetworks: []string{testPeer}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, store: store, clock: clk, app: app, srv: srv}
}

// unitID returns the id of the i-th demo unit.
func (e *env) unitID(i int) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.NewSelect().Table("units").Column("id").Where("code = ?", demo.UnitCode(i)).Scan(context.Background(), &id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// client is a browser: it keeps the session cookie and knows the CSRF token.
type client struct {
	e      *env
	cookie string            // the session cookie
	others map[string]string // other cookies, such as the flash message
	csrf   string
}

func (e *env) anonymous() *client { return &client{e: e} }

// staffClient logs in a demo staff member through a session made directly.
func (e *env) staffClient(username string) *client {
	e.t.Helper()
	var st models.Staff
	if err := e.db.NewSelect().Model(&st).Where("username = ?", username).Scan(context.Background()); err != nil {
		e.t.Fatalf("staff %s: %v", username, err)
	}
	tok, sess, err := e.store.NewSession(context.Background(), e.db, models.Session{Kind: models.SessionStaff, Role: st.Role, StaffID: &st.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, cookie: tok, csrf: sess.CSRFToken}
}

// unitClient is a session of demo unit i: as its account (role
// unit_owner), as a clerk with the role asked (clerk, clerk_filer),
// or as a clerk the unit made its manager (unit_manager).
func (e *env) unitClient(i int, role string) *client {
	e.t.Helper()
	ctx := context.Background()
	id := e.unitID(i)
	acct, err := models.ActiveAccount(ctx, e.db, models.ScopeAll, id)
	if err != nil || acct == nil {
		e.t.Fatalf("unit %d has no account: %v", i, err)
	}
	tmpl := models.Session{Kind: models.SessionUnit, Role: role, UnitID: &id, AccountID: &acct.ID}
	if role != models.RoleUnitOwner {
		h := &models.Clerk{UnitID: id, CardType: models.CardNHI, CardSerial: "0000" + fmt.Sprintf("%08d", len(role)*1000+i),
			IDNo: twid.MakeNationalID('K', 1, len(role)*1000+i), Name: "測試" + role, Email: role + "@example.com",
			MayFile: role == models.RoleClerkFiler, MayManage: role == models.RoleUnitManager,
			Status: models.ClerkActive, CreatedAt: modelstest.Clock, Version: 1}
		if _, err := e.db.NewInsert().Model(h).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			e.t.Fatal(err)
		}
		if h.ID == 0 {
			if err := e.db.NewSelect().Model(h).Where("unit_id = ? AND id_no = ? AND status = 'active'", id, h.IDNo).Scan(ctx); err != nil {
				e.t.Fatal(err)
			}
		}
		tmpl.Kind, tmpl.ClerkID = models.SessionClerk, &h.ID
		tmpl.Role = models.RoleClerk
		if h.MayFile {
			tmpl.Role = models.RoleClerkFiler
		}
	}
	tok, sess, err := e.store.NewSession(ctx, e.db, tmpl)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, cookie: tok, csrf: sess.CSRFToken}
}

type response struct {
	*http.Response
	body string
}

func (r *response) doc(t *testing.T) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (c *client) do(req *http.Request) *response {
	c.e.t.Helper()
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "mc_session", Value: c.cookie})
	}
	for k, v := range c.others {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.e.app.Test(req, -1)
	if err != nil {
		c.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		switch {
		case ck.Name == "mc_session":
			c.cookie = ck.Value
		case ck.Value == "" || ck.MaxAge < 0:
			delete(c.others, ck.Name)
		default:
			if c.others == nil {
				c.others = map[string]string{}
			}
			c.others[ck.Name] = ck.Value
		}
	}
	return &response{Response: res, body: string(b)}
}

func (c *client) get(path string, headers ...string) *response {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// post sends a form with the client's CSRF token, unless form sets _csrf itself.
func (c *client) post(path string, form url.Values, headers ...string) *response {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok && c.csrf != "" {
		form.Set("_csrf", c.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// scrapeCSRF reads the CSRF token from a page, as a browser's form would send it.
func (c *client) scrapeCSRF(r *response) {
	c.e.t.Helper()
	tok, ok := r.doc(c.e.t).Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || tok == "" {
		c.e.t.Fatalf("no CSRF token on the page:\n%s", r.body)
	}
	c.csrf = tok
}

func wantStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL, r.StatusCode, want, r.body)
	}
}

func wantContains(t *testing.T, r *response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s %s: body lacks %q\n%s", r.Request.Method, r.Request.URL, s, r.body)
		}
	}
}

func wantNotContains(t *testing.T, r *response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(r.body, s) {
			t.Errorf("%s %s: body has %q, want it absent", r.Request.Method, r.Request.URL, s)
		}
	}
}

func fmtID(id int64) string { return fmt.Sprint(id) }

// testPeer is the address app.Test's requests come from.
const testPeer = "0.0.0.0"

// testInstaller is the file in the test's agent downloads directory.
const testInstaller = "cardagent-linux-amd64"

// routePath fills a route's parameters with values that exist.
func routePath(path string, unitID int64) string {
	if strings.HasPrefix(path, "/environment/downloads/") {
		path = strings.Replace(path, ":name", testInstaller, 1)
	}
	return strings.NewReplacer(":id", fmtID(unitID), ":name", "app.css", ":code", "5").Replace(path)
}
