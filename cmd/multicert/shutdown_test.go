package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
)

// instance is a server started in process by startServe.
type instance struct {
	base   string // http://127.0.0.1:port
	out    *syncBuffer
	cancel context.CancelFunc // what SIGTERM does
	done   chan error
}

// startServe runs `multicert serve` on dbURL with the given extra
// environment (MULTICERT_* pairs), returns once /healthz answers, and
// stops it when the test ends.
func startServe(t *testing.T, dbURL string, kv ...string) *instance {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{base: "http://" + addr, out: newSyncBuffer(), cancel: cancel, done: make(chan error, 1)}
	vars := append([]string{"MULTICERT_DB", dbURL, "MULTICERT_ADDR", addr, "MULTICERT_LOG_LEVEL", "warn",
		"MULTICERT_DATA_DIR", t.TempDir(), "MULTICERT_AGENT_URL", "http://" + freeAddr(t), "MULTICERT_DEMO_AGENT", "false",
		"MULTICERT_SHUTDOWN_DRAIN", "0s"}, kv...)
	go func() { in.done <- run(ctx, []string{"serve"}, in.out, env(vars...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop", in.base)
		}
	})
	return in
}

// waitUp waits until the instance answers /healthz, or fails.
func (in *instance) waitUp(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(in.base + "/healthz")
		if err == nil {
			res.Body.Close()
			return
		}
		select {
		case err := <-in.done:
			in.done <- err
			t.Fatalf("%s exited: %v\n%s", in.base, err, in.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %v\n%s", in.base, err, in.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop cancels the instance's context, as SIGTERM does, and wants serve to
// return nil within limit.
func (in *instance) stop(t *testing.T, limit time.Duration) {
	t.Helper()
	in.cancel()
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("%s: serve returned %v", in.base, err)
		}
		in.done <- err // for the cleanup
	case <-time.After(limit):
		t.Fatalf("%s did not stop within %s", in.base, limit)
	}
}

// status GETs path and returns the status and body.
func status(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrfOf GETs a page and returns the CSRF token of its first form.
func csrfOf(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	code, body := status(t, c, u)
	m := csrfField.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET %s = %d without a CSRF token:\n%s", u, code, body)
	}
	return m[1]
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestShutdownDrains stops a server, as SIGTERM does, while a staff login is
// held up by a database lock: /readyz answers 503 at once while /healthz
// still answers during the drain, then the server takes no new
// connection, the login in flight still completes, and serve returns nil.
func TestShutdownDrains(t *testing.T) {
	for name, dbURL := range dbURLs(t) {
		t.Run(name, func(t *testing.T) {
			const drain = time.Second
			in := startServe(t, dbURL, "MULTICERT_DEMO", "true", "MULTICERT_DEMO_UNITS", "30",
				"MULTICERT_SHUTDOWN_DRAIN", drain.String())
			in.waitUp(t)
			c := browser(t)
			if code, body := status(t, c, in.base+"/readyz"); code != http.StatusOK || !strings.Contains(body, `"status":"ready"`) {
				t.Fatalf("readyz before shutdown = %d %s", code, body)
			}
			token := csrfOf(t, c, in.base+"/console/login")

			// Another process holds the database (SQLite) or the sessions
			// table (PostgreSQL), so the login waits for it.
			ctx := context.Background()
			db, err := models.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			tx, err := db.DB.BeginTx(ctx, nil) // IMMEDIATE on SQLite: the write lock
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() //nolint:errcheck // released below
			if models.DialectOf(db) == models.Postgres {
				if _, err := tx.ExecContext(ctx, "LOCK TABLE sessions IN EXCLUSIVE MODE"); err != nil {
					t.Fatal(err)
				}
			}
			type answer struct {
				code int
				loc  string
				err  error
			}
			login := make(chan answer, 1)
			go func() {
				res, err := c.PostForm(in.base+"/console/login", url.Values{"_csrf": {token}, "username": {"hq.admin"}, "password": {demo.Password}})
				if err != nil {
					login <- answer{err: err}
					return
				}
				res.Body.Close()
				login <- answer{code: res.StatusCode, loc: res.Header.Get("Location")}
			}()
			time.Sleep(300 * time.Millisecond) // the login is in flight
			stopped := time.Now()
			in.cancel()

			// The drain: not ready at once, alive, still serving.
			time.Sleep(100 * time.Millisecond)
			if code, body := status(t, c, in.base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"shutdown":"draining"`) {
				t.Errorf("readyz during the drain = %d %s, want 503 naming the shutdown", code, body)
			}
			if code, _ := status(t, c, in.base+"/healthz"); code != http.StatusOK {
				t.Errorf("healthz during the drain = %d, want 200", code)
			}
			// After the drain no new connection is taken.
			for {
				res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}).Get(in.base + "/healthz")
				if err != nil {
					break
				}
				res.Body.Close()
				if time.Since(stopped) > 4*time.Second {
					t.Fatal("the server still takes connections 4s after shutdown began")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if d := time.Since(stopped); d < drain {
				t.Errorf("the server stopped taking connections %s after shutdown began, before the %s drain ended", d, drain)
			}
			select {
			case a := <-login:
				t.Fatalf("the login returned while the database was held: %+v", a)
			default:
			}
			if err := tx.Rollback(); err != nil { // the lock goes; the login goes on
				t.Fatal(err)
			}
			a := <-login
			if a.err != nil || a.code != http.StatusSeeOther && a.code != http.StatusFound || a.loc != "/console" {
				t.Errorf("the login in flight at shutdown = %d %q %v, want a redirect to /console", a.code, a.loc, a.err)
			}
			select {
			case err := <-in.done:
				if err != nil {
					t.Errorf("serve returned %v", err)
				}
				in.done <- err
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not return")
			}
		})
	}
}
