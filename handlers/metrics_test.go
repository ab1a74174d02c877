package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/jobs"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// metric returns the value of the series named by name and its labels
// (`multicert_logins_total{kind="staff",outcome="failure"}`), or -1.
func metric(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	staff := e.staffClient("hq.staff")
	id := e.unitID(1)
	wantStatus(t, staff.get("/console/units/"+fmtID(id)), http.StatusOK)
	wantStatus(t, staff.get("/console/units?q="+demo.UnitCode(1)), http.StatusOK)
	wantStatus(t, staff.get("/console/no-such-page-"+demo.UnitCode(2)), http.StatusNotFound)
	wantStatus(t, e.anonymous().get("/static/app.css"), http.StatusOK)

	r := e.anonymous().get("/metrics")
	wantStatus(t, r, http.StatusOK)
	for _, series := range []string{
		`multicert_http_requests_total{method="GET",route="/console/units/:id",status="2xx"}`,
		`multicert_http_requests_total{method="GET",route="/console/units",status="2xx"}`,
		`multicert_http_requests_total{method="GET",route="/static/:name",status="2xx"}`,
		`multicert_http_requests_total{method="GET",route="unrouted",status="4xx"}`,
		`multicert_http_request_duration_seconds_count{method="GET",route="/console/units/:id",status="2xx"}`,
	} {
		if got := metric(t, r.body, series); got != 1 {
			t.Errorf("%s = %v, want 1", series, got)
		}
	}
	for _, name := range []string{"go_sql_open_connections", "go_sql_in_use_connections", "go_sql_idle_connections",
		"go_sql_wait_count_total", "go_sql_wait_duration_seconds_total", "multicert_http_requests_in_flight", "process_resident_memory_bytes"} {
		if !strings.Contains(r.body, "\n"+name) {
			t.Errorf("no %s in the metrics", name)
		}
	}
	for _, leak := range []string{demo.UnitCode(1), demo.UnitCode(2), "/console/units/" + fmtID(id), "no-such-page"} {
		if strings.Contains(r.body, leak) {
			t.Errorf("the metrics name %q: labels must be route templates only", leak)
		}
	}

	t.Run("JobsAndNightlyBatch", func(t *testing.T) {
		runner, err := jobs.Start(t.Context(), jobs.Config{DB: e.db, Work: e.store, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := runner.Stop(ctx); err != nil {
				t.Error(err)
			}
		}()
		if err := runner.RunNightlyNow(t.Context(), modelstest.Clock); err != nil {
			t.Fatal(err)
		}
		const done = `multicert_river_jobs{kind="nightly_validate",state="completed"}`
		var body string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if body = e.anonymous().get("/metrics").body; metric(t, body, done) == 1 {
				break
			}
		}
		if got := metric(t, body, done); got != 1 {
			t.Fatalf("%s = %v, want 1\n%s", done, got, body)
		}
		for series, want := range map[string]float64{
			`multicert_river_jobs{kind="nightly_validate",state="available"}`: 0,
			"multicert_nightly_batch_running":                                 0,
		} {
			if got := metric(t, body, series); got != want {
				t.Errorf("%s = %v, want %v", series, got, want)
			}
		}
		for _, series := range []string{"multicert_nightly_batch_validated_filings", "multicert_nightly_batch_changed_filings",
			"multicert_nightly_batch_duration_seconds", "multicert_nightly_batch_started_timestamp_seconds"} {
			if got := metric(t, body, series); got < 0 {
				t.Errorf("no %s", series)
			}
		}
	})

	t.Run("OtherNetworks", func(t *testing.T) {
		// Behind a trusted proxy (the test's peer), the client is the
		// forwarded address: only loopback, the default, may read.
		e := newEnv(t, e.db)
		e.withDeps(func(d *handlers.Deps) { d.TrustedProxies = []string{testPeer} })
		wantStatus(t, e.anonymous().get("/metrics", "X-Forwarded-For", "127.0.0.1"), http.StatusOK)
		r := e.anonymous().get("/metrics", "X-Forwarded-For", "192.0.2.7")
		wantStatus(t, r, http.StatusNotFound)
		wantNotContains(t, r, "multicert_")
		wantStatus(t, e.anonymous().get("/metrics", "X-Forwarded-For", "::1"), http.StatusOK)

		// Directly from a peer outside the networks.
		e.withDeps(func(d *handlers.Deps) { d.MetricsNetworks = []string{"10.0.0.0/8"} })
		wantStatus(t, e.anonymous().get("/metrics"), http.StatusNotFound)
		wantStatus(t, e.anonymous().get("/metrics", "X-Forwarded-For", "10.1.2.3"), http.StatusNotFound)

		// A forwarding header from a peer that is not a trusted proxy: an
		// unconfigured proxy in between, whose address proves nothing.
		e.withDeps(func(d *handlers.Deps) { d.MetricsNetworks = []string{testPeer} })
		wantStatus(t, e.anonymous().get("/metrics"), http.StatusOK)
		wantStatus(t, e.anonymous().get("/metrics", "X-Forwarded-For", "192.0.2.7"), http.StatusNotFound)
	})
}

// TestMetricsLabelsOutliveRequests sends many requests at once, of several
// methods, and checks that every label still reads as it was written: a
// label taken from Fiber's reused buffers would be overwritten by a later
// request.
func TestMetricsLabelsOutliveRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	methods := []string{http.MethodPost, http.MethodGet, http.MethodDelete, http.MethodPut, http.MethodHead, "PATCH"}
	var wg sync.WaitGroup
	for i := range 600 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(methods[i%len(methods)], []string{"/healthz", "/static/app.css", "/nowhere"}[i%3], nil)
			res, err := e.app.Test(req, -1)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
		}()
	}
	wg.Wait()
	body := e.anonymous().get("/metrics").body
	known := map[string]bool{}
	for _, m := range append(methods, "other") {
		known[`method="`+m+`"`] = true
	}
	for _, m := range regexp.MustCompile(`method="[^"]*"`).FindAllString(body, -1) {
		if !known[m] {
			t.Errorf("label %s: written by one request, changed by another", m)
		}
	}
	for _, r := range regexp.MustCompile(`route="[^"]*"`).FindAllString(body, -1) {
		switch r {
		case `route="/healthz"`, `route="/static/:name"`, `route="/metrics"`, `route="unrouted"`:
		default:
			t.Errorf("label %s", r)
		}
	}
}

func TestLoginCounters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	const failure = `multicert_logins_total{kind="staff",outcome="failure"}`
	const locked = `multicert_logins_total{kind="staff",outcome="locked"}`
	const success = `multicert_logins_total{kind="staff",outcome="success"}`
	read := func() (f, l, s float64) {
		body := e.anonymous().get("/metrics").body
		return metric(t, body, failure), metric(t, body, locked), metric(t, body, success)
	}
	if f, l, s := read(); f != 0 || l != 0 || s != 0 {
		t.Fatalf("before any login: failure %v, locked %v, success %v; want 0 0 0", f, l, s)
	}
	c := e.anonymous()
	c.scrapeCSRF(c.get("/console/login"))
	c.post("/console/login", url.Values{"username": {"taipei.staff"}, "password": {"wrong"}})
	if f, l, s := read(); f != 1 || l != 0 || s != 0 {
		t.Errorf("after a wrong password: failure %v, locked %v, success %v; want 1 0 0", f, l, s)
	}
	for range 5 {
		c.post("/console/login", url.Values{"username": {"taipei.staff"}, "password": {"wrong"}})
	}
	if _, l, _ := read(); l < 1 {
		t.Errorf("after six wrong passwords: locked %v, want at least 1", l)
	}
	c2 := e.anonymous()
	c2.scrapeCSRF(c2.get("/console/login"))
	wantStatus(t, c2.post("/console/login", url.Values{"username": {"north.staff"}, "password": {demo.Password}}), http.StatusSeeOther)
	if _, _, s := read(); s != 1 {
		t.Errorf("after a login: success %v, want 1", s)
	}
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var requestIDPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$`)

// wantRequestID checks that the answer has a request ID, shown on its page
// and named by a log line; it returns the ID.
func wantRequestID(t *testing.T, r *response, logs *syncBuffer, label string) string {
	t.Helper()
	id := r.Header.Get(handlers.HeaderRequestID)
	if !requestIDPattern.MatchString(id) {
		t.Fatalf("%s: X-Request-ID %q, want 5+5 characters of base 32", r.Request.URL, id)
	}
	wantContains(t, r, label+"：<span class=\"mono\">"+id+"</span>")
	if !strings.Contains(logs.String(), "request_id="+id) {
		t.Errorf("no log line names request %s:\n%s", id, logs)
	}
	return id
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	db := modelstest.MustOpenSQLite(t)
	e := newEnv(t, db)
	logs := &syncBuffer{}
	e.withDeps(func(d *handlers.Deps) {
		d.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c := e.staffClient("taipei.staff")

	ok := c.get("/console")
	wantStatus(t, ok, http.StatusOK)
	okID := ok.Header.Get(handlers.HeaderRequestID)
	if !requestIDPattern.MatchString(okID) || !strings.Contains(logs.String(), "request_id="+okID) {
		t.Errorf("a page's request ID %q is not in the access log:\n%s", okID, logs)
	}

	nf := c.get("/console/nowhere")
	wantStatus(t, nf, http.StatusNotFound)
	nfID := wantRequestID(t, nf, logs, "查詢編號")
	if nfID == okID {
		t.Error("two requests had the same ID")
	}
	hx := c.get("/console/nowhere", "HX-Request", "true")
	wantRequestID(t, hx, logs, "查詢編號")

	t.Run("FromTrustedProxy", func(t *testing.T) {
		r := c.get("/console/nowhere", handlers.HeaderRequestID, "lb-1234.abc")
		if got := r.Header.Get(handlers.HeaderRequestID); got == "lb-1234.abc" {
			t.Error("a request ID from an untrusted peer was kept")
		}
		e := newEnv(t, db)
		e.withDeps(func(d *handlers.Deps) { d.TrustedProxies = []string{testPeer} })
		c := e.staffClient("taipei.staff")
		if got := c.get("/console", handlers.HeaderRequestID, "lb-1234.abc").Header.Get(handlers.HeaderRequestID); got != "lb-1234.abc" {
			t.Errorf("the trusted proxy's request ID became %q", got)
		}
		if got := c.get("/console", handlers.HeaderRequestID, "bad id\"<x>").Header.Get(handlers.HeaderRequestID); !requestIDPattern.MatchString(got) {
			t.Errorf("an unusable request ID was kept: %q", got)
		}
	})

	// The database gone, every page fails: a 500 with its ID, logged as an error.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if e.store.Reads != nil {
		e.store.Reads.Close()
	}
	se := c.get("/console")
	wantStatus(t, se, http.StatusInternalServerError)
	seID := wantRequestID(t, se, logs, "錯誤編號")
	if !regexp.MustCompile(`level=ERROR msg="request failed" request_id=` + seID).MatchString(logs.String()) {
		t.Errorf("no error line for request %s:\n%s", seID, logs)
	}
}

func TestCompression(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	gunzip := func(t *testing.T, r *response) string {
		t.Helper()
		if ce := r.Header.Get("Content-Encoding"); ce != "gzip" {
			t.Fatalf("%s: Content-Encoding %q, want gzip", r.Request.URL, ce)
		}
		if v := r.Header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
			t.Errorf("%s: Vary %q lacks Accept-Encoding", r.Request.URL, v)
		}
		zr, err := gzip.NewReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Run("Page", func(t *testing.T) {
		r := e.anonymous().get("/console/login", "Accept-Encoding", "gzip")
		wantStatus(t, r, http.StatusOK)
		if page := gunzip(t, r); !strings.Contains(page, "署內人員登入") {
			t.Errorf("the page unzipped has no title:\n%s", page)
		}
		if r := e.anonymous().get("/console/login"); r.Header.Get("Content-Encoding") != "" || !strings.Contains(r.body, "署內人員登入") {
			t.Errorf("compressed for a client that did not ask: %q", r.Header.Get("Content-Encoding"))
		}
		if r := e.anonymous().get("/console/login", "Accept-Encoding", "br"); r.Header.Get("Content-Encoding") != "br" {
			t.Errorf("Accept-Encoding br: Content-Encoding %q", r.Header.Get("Content-Encoding"))
		}
	})
	t.Run("ErrorPage", func(t *testing.T) {
		r := e.staffClient("taipei.staff").get("/console/nowhere", "Accept-Encoding", "gzip")
		wantStatus(t, r, http.StatusNotFound)
		if page := gunzip(t, r); !strings.Contains(page, "找不到這個頁面") {
			t.Errorf("the error page unzipped:\n%s", page)
		}
	})
	t.Run("StaticCached", func(t *testing.T) {
		var r *response
		for range 2 { // compressed, then from the cache of compressed files
			r = e.anonymous().get("/static/htmx-2.0.11.min.js", "Accept-Encoding", "gzip")
			wantStatus(t, r, http.StatusOK)
			if js := gunzip(t, r); len(js) != 52182 || !strings.Contains(js, "htmx") {
				t.Errorf("htmx unzipped is %d bytes, not htmx", len(js))
			}
		}
		if br := e.anonymous().get("/static/htmx-2.0.11.min.js", "Accept-Encoding", "gzip, br"); br.Header.Get("Content-Encoding") != "br" ||
			len(br.body) >= len(r.body)+len(r.body)/4 {
			t.Errorf("htmx for a brotli client: Content-Encoding %q, %d bytes", br.Header.Get("Content-Encoding"), len(br.body))
		}
		etag := r.Header.Get("ETag")
		if etag == "" || !strings.Contains(r.Header.Get("Cache-Control"), "max-age") {
			t.Fatalf("ETag %q, Cache-Control %q", etag, r.Header.Get("Cache-Control"))
		}
		nm := e.anonymous().get("/static/htmx-2.0.11.min.js", "Accept-Encoding", "gzip", "If-None-Match", etag)
		wantStatus(t, nm, http.StatusNotModified)
		if nm.body != "" || !strings.Contains(nm.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("304: body %d bytes, Vary %q", len(nm.body), nm.Header.Get("Vary"))
		}
		css := e.anonymous().get("/static/app.css", "Accept-Encoding", "gzip")
		gunzip(t, css)
	})
	t.Run("DownloadsLeftAlone", func(t *testing.T) {
		owner := e.unitClient(1, models.RoleUnitOwner)
		r := owner.get("/portal/documents/"+fmtID(proofDocument(t, e)), "Accept-Encoding", "gzip")
		wantStatus(t, r, http.StatusOK)
		if ce := r.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("a PDF document answered with Content-Encoding %q", ce)
		}
		filer := e.unitClient(1, models.RoleClerkFiler)
		csv := filer.get("/portal/filings/template.csv", "Accept-Encoding", "gzip")
		wantStatus(t, csv, http.StatusOK)
		if ce := csv.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("the CSV template answered with Content-Encoding %q", ce)
		}
	})
}

// proofDocument files a change request of demo unit 1 with a PDF and
// returns the document's id.
func proofDocument(t *testing.T, e *env) int64 {
	t.Helper()
	unitID := e.unitID(1)
	a := models.Actor{Kind: "unit", Name: "test", UnitID: unitID}
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("stream of a scanned page\n"), 100)...)
	req, err := e.store.SubmitChangeRequest(t.Context(), a, unitID, models.ChangeRequestInput{ChangeName: true, NewName: "新名稱有限公司",
		EffectiveDate: modelstest.Clock.AddDate(0, 0, 10), ContactName: "聯絡人", ContactPhone: "(02)2345-6789",
		Documents: []models.Upload{{FileName: "proof.pdf", ContentType: "application/pdf", Data: pdf}}})
	if err != nil {
		t.Fatal(err)
	}
	return req.Documents[0].ID
}
