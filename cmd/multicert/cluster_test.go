package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/jobs"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestInstancesShareOnePostgres runs several instances on one PostgreSQL
// database, as a bureau behind a load balancer would:
//
//   - two `all` instances and a `web` one start at once on an empty
//     database: all migrate (taking turns on the lock), each migration once;
//   - a staff session made by logging in on one serves on the others (the
//     same cookie), and the CSRF token of a page from one is accepted by a
//     POST to another (the web instance enqueues 立即重新檢核);
//   - the job enqueued on the web instance is run by an `all` one, and each
//     periodic job that runs at start runs once across both `all`
//     instances (River elects one leader);
//   - with only the web instance left, a job waits: web runs no jobs; a
//     `worker` instance started then runs it and serves only health.
//
// It needs MULTICERT_TEST_PG: without it the test skips; with it a
// PostgreSQL that cannot be reached fails it.
func TestInstancesShareOnePostgres(t *testing.T) {
	dbURL := modelstest.MustURLPG(t, false)
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key) //nolint:errcheck // never fails
	// Every instance signs the audit chain with the same key.
	shared := []string{"MULTICERT_AUDIT_KEY", "cluster-1:" + base64.StdEncoding.EncodeToString(key)}
	role := func(r string) []string { return append([]string{"MULTICERT_ROLE", r}, shared...) }

	a := startServe(t, dbURL, role("all")...)
	b := startServe(t, dbURL, role("all")...)
	web := startServe(t, dbURL, role("web")...)
	for _, in := range []*instance{a, b, web} {
		in.waitUp(t)
	}
	db, err := models.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)

	t.Run("MigratedOnce", func(t *testing.T) {
		st, err := models.MigrationStatuses(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if err := models.CheckSchema(ctx, db); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT count(*) FROM schema_migrations"); n != len(st) {
			t.Errorf("schema_migrations has %d rows, want %d", n, len(st))
		}
		c := browser(t)
		for _, in := range []*instance{a, b, web} {
			code, body := status(t, c, in.base+"/readyz")
			if code != http.StatusOK {
				t.Errorf("%s readyz = %d %s", in.base, code, body)
			}
			if hasJobs := strings.Contains(body, `"jobs":"ok"`); hasJobs != (in != web) {
				t.Errorf("%s readyz = %s: want a jobs check only where jobs run", in.base, body)
			}
		}
	})

	const pw = "Cluster-test-passw0rd-2026"
	var out bytes.Buffer
	if err := runWithInput(ctx, []string{"staff", "add", "--username", "cluster.admin", "--name", "叢集管理員", "--role", "admin"},
		strings.NewReader(pw+"\n"), &out, env(append([]string{"MULTICERT_DB", dbURL, "MULTICERT_DATA_DIR", t.TempDir()}, shared...)...)); err != nil {
		t.Fatalf("staff add: %v\n%s", err, out.String())
	}

	// One browser: its cookie jar sends the session cookie, made on a, to
	// every instance (cookies are per host, not per port).
	c := browser(t)
	t.Run("SessionServesOnAnother", func(t *testing.T) {
		token := csrfOf(t, c, a.base+"/console/login")
		res, err := c.PostForm(a.base+"/console/login", url.Values{"_csrf": {token}, "username": {"cluster.admin"}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console" {
			t.Fatalf("login on a = %d → %q, want a redirect to /console", res.StatusCode, res.Header.Get("Location"))
		}
		for _, in := range []*instance{b, web} {
			code, body := status(t, c, in.base+"/console")
			if code != http.StatusOK || !strings.Contains(body, "叢集管理員") {
				t.Errorf("GET %s/console with a's session = %d, want 200 naming the admin", in.base, code)
			}
		}
	})

	t.Run("CSRFTokenAcceptedByAnother", func(t *testing.T) {
		token := csrfOf(t, c, a.base+"/console/grades")
		post := func(tok string) *http.Response {
			res, err := c.PostForm(web.base+"/console/nightly", url.Values{"_csrf": {tok}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		if res := post("forged"); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST with a wrong token = %d, want 403", res.StatusCode)
		}
		if res := post(token); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/grades") {
			t.Fatalf("立即重新檢核 on web with a's token = %d → %q, want a redirect to /console/grades (with its progress)", res.StatusCode, res.Header.Get("Location"))
		}
		waitCount(t, db, 1, "SELECT count(*) FROM river_job WHERE kind = ? AND state = 'completed'", jobs.KindNightlyValidate)
	})

	t.Run("PeriodicJobRunsOnce", func(t *testing.T) {
		// Both `all` instances run the periodic jobs' schedule, but only the
		// leader enqueues: each kind that runs at start runs once.
		for _, kind := range []string{jobs.KindApplyDueChanges, jobs.KindAuditCheckpoint} {
			waitCount(t, db, 1, "SELECT count(*) FROM river_job WHERE kind = ? AND state = 'completed'", kind)
		}
		time.Sleep(2 * time.Second) // time for a second leader to enqueue its own
		for _, kind := range []string{jobs.KindApplyDueChanges, jobs.KindAuditCheckpoint} {
			if n := count(t, db, "SELECT count(*) FROM river_job WHERE kind = ?", kind); n != 1 {
				t.Errorf("%s ran %d times across two instances, want once", kind, n)
			}
		}
		if n := count(t, db, "SELECT count(*) FROM river_leader"); n != 1 {
			t.Errorf("%d River leaders, want 1", n)
		}
	})

	t.Run("WebRunsNoJobs", func(t *testing.T) {
		a.stop(t, 30*time.Second)
		b.stop(t, 30*time.Second)
		ins, err := jobs.Start(ctx, jobs.Config{DB: db, Work: models.NewStore(db), InsertOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		if err := ins.RunNightlyNow(ctx, day); err != nil {
			t.Fatal(err)
		}
		const waiting = "SELECT count(*) FROM river_job WHERE kind = ? AND state = 'available'"
		time.Sleep(3 * time.Second)
		if n := count(t, db, waiting, jobs.KindNightlyValidate); n != 1 {
			t.Fatalf("with only a web instance up, %d nightly job(s) wait, want 1 (nobody runs it)", n)
		}
		worker := startServe(t, dbURL, role("worker")...)
		worker.waitUp(t)
		if code, _ := status(t, c, worker.base+"/console/login"); code != http.StatusNotFound {
			t.Errorf("worker /console/login = %d, want 404 (a worker serves no pages)", code)
		}
		if code, body := status(t, c, worker.base+"/metrics"); code != http.StatusOK || !strings.Contains(body, "multicert_") {
			t.Errorf("worker /metrics from loopback = %d, want 200 with multicert's metrics", code)
		}
		waitCount(t, db, 0, waiting, jobs.KindNightlyValidate)
		if code, body := status(t, c, worker.base+"/readyz"); code != http.StatusOK || !strings.Contains(body, `"jobs":"ok"`) {
			t.Errorf("worker readyz = %d %s", code, body)
		}
		worker.stop(t, 30*time.Second)
	})
}

// count runs a SELECT count(*) query.
func count(t *testing.T, db *bun.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitCount waits up to 30 seconds for a count query to give want.
func waitCount(t *testing.T, db *bun.DB, want int, query string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := count(t, db, query, args...)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %v = %d, want %d", query, args, n, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
