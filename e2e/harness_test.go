// Package e2e drives the multicert server with a real browser (Chromium,
// through chromedp). Each test starts its own server on a fresh demo
// database and its own headless browser, so the tests run in parallel
// (t.Parallel, as many at once as -parallel allows: GOMAXPROCS by default).
// The real-card test does not: it shares pcscd's virtual reader.
//
// Run with: go test ./e2e/ -v -count=1
//
// Environment:
//
//	MULTICERT_CHROMIUM          path (or name on PATH) of the browser to use
//	MULTICERT_REQUIRE_BROWSER   when non-empty, a missing browser fails the run
//	                            instead of skipping it (for CI)
//
// On a failure the harness saves a full-page screenshot and the page's HTML
// under e2e/screenshots/ (ignored by git), named after the test.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/internal/testenv"
)

const (
	readyTimeout   = 30 * time.Second // server start until /readyz answers
	stopTimeout    = 10 * time.Second // SIGTERM until kill
	testTimeout    = 60 * time.Second // browser actions of one test
	waitTimeout    = 10 * time.Second // one waitText / waitPath
	screenshotsDir = "screenshots"    // relative to the package directory (e2e/)
)

var (
	// serverBin is the multicert binary that TestMain builds.
	serverBin string
	// binDir holds the binaries built for the tests.
	binDir string
	// browserPath is the Chromium that TestMain found.
	browserPath string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	path, why := findBrowser()
	if path == "" {
		if os.Getenv(testenv.Browser) != "" {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: no browser (%s), and %s is set\n", why, testenv.Browser)
			return 1
		}
		fmt.Printf("e2e: SKIP: browser tests not run: no browser (%s); "+
			"install chromium or set MULTICERT_CHROMIUM (set MULTICERT_REQUIRE_BROWSER=1 to make this an error)\n", why)
		return 0
	}
	browserPath = path

	dir, err := os.MkdirTemp("", "multicert-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	serverBin = filepath.Join(dir, "multicert")
	start := time.Now()
	build := exec.Command("go", "build", "-o", serverBin, "./cmd/multicert")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/multicert: %v\n%s", err, out)
		return 1
	}
	fmt.Printf("e2e: built the server in %s; browser %s\n", time.Since(start).Round(time.Millisecond), browserPath)
	defer func() { pcscStack.Close() }() // nil unless a test joined the PC/SC stack
	return m.Run()
}

// findBrowser returns the browser to use, or "" and the reason why there is
// none: $MULTICERT_CHROMIUM when set (and nothing else then), else
// /usr/bin/chromium, else chromium, chromium-browser or google-chrome on PATH.
func findBrowser() (path, why string) {
	if p := os.Getenv("MULTICERT_CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Sprintf("MULTICERT_CHROMIUM=%s: %v", p, err)
		}
		return found, ""
	}
	if found, err := exec.LookPath("/usr/bin/chromium"); err == nil {
		return found, ""
	}
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	for _, name := range names {
		if found, err := exec.LookPath(name); err == nil {
			return found, ""
		}
	}
	return "", "MULTICERT_CHROMIUM is unset, and neither /usr/bin/chromium nor " +
		strings.Join(names, ", ") + " on PATH was found"
}

// syncBuffer is a bytes.Buffer that the process and the test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one running multicert process with its own demo database.
type server struct {
	URL      string // base URL without the trailing slash, e.g. http://127.0.0.1:41234
	AgentURL string // the simulated card agent of this server
	DataDir  string // the server's data directory (SQLite database, development CA)
	cmd      *exec.Cmd
	out      *syncBuffer
	exited   chan struct{} // closed when the process has ended
	err      error         // the result of cmd.Wait, valid after exited closes
}

// Output returns what the server printed so far (stdout and stderr).
func (s *server) Output() string { return s.out.String() }

// startServer starts `multicert serve --demo` on a free port with a fresh
// database in a temporary directory and waits until /readyz answers. The
// server is stopped with SIGTERM when the test ends; its output is logged
// if the test failed.
func startServer(t *testing.T, extraArgs ...string) *server {
	t.Helper()
	if serverBin == "" {
		t.Fatal("startServer: the server binary was not built (TestMain did not run)")
	}
	dataDir := t.TempDir() // before the Cleanup below, so the server stops first
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	agentAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	s := &server{URL: "http://" + addr, AgentURL: "http://" + agentAddr, DataDir: dataDir, out: &syncBuffer{}, exited: make(chan struct{})}
	// Each server runs its own simulated card agent on a port of its own.
	args := append([]string{"serve", "--demo", "--addr", addr, "--data-dir", dataDir, "--agent-url", s.AgentURL, "--shutdown-drain", "0s"}, extraArgs...) // a later --agent-url wins
	s.cmd = exec.Command(serverBin, args...)
	s.cmd.Env = serverEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("startServer: %v", err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("server output (%s):\n%s", s.URL, s.Output())
		}
	})
	if err := s.waitReady(readyTimeout); err != nil {
		t.Fatalf("startServer: %v", err)
	}
	t.Logf("server ready at %s in %s", s.URL, time.Since(start).Round(time.Millisecond))
	return s
}

// serverEnv is the test's environment without MULTICERT_* settings, so that
// for example a developer's MULTICERT_DB does not point the server at
// another database.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MULTICERT_") {
			env = append(env, kv)
		}
	}
	return env
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("freePort: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitReady polls /readyz until it answers 200 "ready", the process exits or
// the timeout passes.
func (s *server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	last := "no answer yet"
	for {
		resp, err := client.Get(s.URL + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			var ready struct {
				Status string `json:"status"`
			}
			if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &ready) == nil && ready.Status == "ready" {
				return nil
			}
			last = fmt.Sprintf("%s %q", resp.Status, body)
		} else {
			last = err.Error()
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before it was ready (%v); output:\n%s", s.err, s.Output())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %s (last: %s); output:\n%s", timeout, last, s.Output())
		}
	}
}

// stop sends SIGTERM and waits for a graceful exit, killing the process after
// stopTimeout. A server that does not exit cleanly fails the test.
func (s *server) stop(t *testing.T) {
	select {
	case <-s.exited:
		t.Errorf("server %s had exited before the test ended: %v", s.URL, s.err)
		return
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("server %s did not shut down cleanly on SIGTERM: %v", s.URL, s.err)
		}
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("server %s did not stop within %s of SIGTERM; killed it", s.URL, stopTimeout)
	}
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// chromedp context for one tab, limited to testTimeout. The browser is
// closed when the test ends. If the test failed, a full-page screenshot and
// the page's HTML are saved under e2e/screenshots/ first.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserFor(t, testTimeout)
}

// newBrowserFor is newBrowser whose context ends after d instead of
// testTimeout, for a test that browses for minutes.
func newBrowserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	if browserPath == "" {
		t.Fatal("newBrowser: no browser (TestMain did not run)")
	}
	profile := t.TempDir() // before the Cleanups below, so the browser ends first
	browserOut := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.ExecPath(browserPath),
		chromedp.CombinedOutput(browserOut),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first action starts the browser; its life is bound to browserCtx,
	// not to the per-test timeout below.
	if err := chromedp.Do(browserCtx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("newBrowser: start %s: %v\nbrowser output:\n%s", browserPath, err, tail(browserOut.String(), 4000))
	}

	var (
		consoleMu sync.Mutex
		console   []string
	)
	messages := chromedp.Console(browserCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			consoleMu.Lock()
			console = append(console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m))
			consoleMu.Unlock()
		}
	}()

	ctx, cancel := context.WithTimeout(browserCtx, d)
	t.Cleanup(func() {
		cancel()
		if !t.Failed() {
			return
		}
		saveFailureArtifacts(t, browserCtx)
		consoleMu.Lock()
		if len(console) > 0 {
			t.Logf("browser console:\n  %s", strings.Join(console, "\n  "))
		}
		consoleMu.Unlock()
	})
	return ctx
}

// saveFailureArtifacts writes e2e/screenshots/<test>.png and <test>.html for
// the tab of browserCtx, and logs where they are.
func saveFailureArtifacts(t *testing.T, browserCtx context.Context) {
	ctx, cancel := context.WithTimeout(browserCtx, 10*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		t.Logf("browser was at %s", loc)
	}
	if err := os.MkdirAll(screenshotsDir, 0o755); err != nil {
		t.Logf("cannot save screenshot: %v", err)
		return
	}
	base := filepath.Join(screenshotsDir, artifactName(t.Name()))
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Logf("cannot take screenshot: %v", err)
	} else if err := os.WriteFile(base+".png", png, 0o644); err != nil {
		t.Logf("cannot save screenshot: %v", err)
	} else {
		t.Logf("screenshot: %s.png", base)
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err != nil {
		t.Logf("cannot read page HTML: %v", err)
	} else if err := os.WriteFile(base+".html", []byte("<!DOCTYPE html>\n"+html), 0o644); err != nil {
		t.Logf("cannot save page HTML: %v", err)
	} else {
		t.Logf("page HTML: %s.html", base)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// artifactName turns a test name such as TestX/sub_case into a file name.
func artifactName(testName string) string {
	return strings.Trim(unsafeName.ReplaceAllString(testName, "_"), "_.")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// login opens the staff login page, fills in the user name and password and
// presses 登入. It does not wait for the outcome: callers check for the
// 工作台 page or for the error message.
func login(ctx context.Context, base, user, password string) error {
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
	); err != nil {
		return fmt.Errorf("login: open the login page: %w", err)
	}
	if err := waitHTMX(ctx); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if err := chromedp.Do(ctx,
		clearInput("username"),
		chromedp.SendKeys(chromedp.ID("username"), user),
		clearInput("password"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(`//form//button[@type="submit" and normalize-space()="登入"]`),
	); err != nil {
		return fmt.Errorf("login as %s: %w", user, err)
	}
	return nil
}

// clearInput empties the input with the given id. (chromedp.SetValue cannot
// set "": chromedp v0.23.0 drops an empty string argument, because cdproto
// marks runtime.CallArgument.Value omitempty, and the input gets "undefined".)
func clearInput(id string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(id)
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%s).value = ""`, q))
}

// waitHTMX waits until htmx has loaded in the page, so that an hx-* form is
// handled by htmx and not submitted as a plain form.
func waitHTMX(ctx context.Context) error {
	deadline := time.Now().Add(waitTimeout)
	for {
		wctx, cancel := context.WithDeadline(ctx, deadline)
		_, err := chromedp.Run(wctx, chromedp.Poll[bool](`!!(window.htmx && document.readyState === "complete")`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		cancel()
		// A page whose script context was replaced while the poll ran (a
		// navigation ending, seen once under load in CI): poll the new one.
		if err != nil && contextGone(err) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("htmx did not load: %w", err)
		}
		return nil
	}
}

// contextGone reports whether err says the page's JavaScript context went
// away under an evaluation (the page navigated or was replaced).
func contextGone(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context with specified id") || strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated or closed")
}

// elementText is what textOf reads from the page.
type elementText struct {
	Found bool   `json:"found"`
	Text  string `json:"text"`
}

// textOf returns the visible text (innerText) of the first element matching
// the CSS selector sel, and whether there is such an element. It does not wait.
func textOf(ctx context.Context, sel string) (text string, found bool, err error) {
	q, _ := json.Marshal(sel)
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%s); return el ? {found: true, text: el.innerText} : {found: false, text: ""}; })()`, q)
	res, err := chromedp.Run(ctx, chromedp.Evaluate[elementText](js))
	return res.Text, res.Found, err
}

// waitText waits until the first element matching the CSS selector sel
// shows text containing want, and returns that text. It retries across
// navigations and htmx swaps; on timeout the error says what was there.
func waitText(ctx context.Context, sel, want string) (string, error) {
	deadline := time.Now().Add(waitTimeout)
	last := "no answer from the page"
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		text, found, err := textOf(actx, sel)
		cancel()
		switch {
		case err != nil:
			last = "error: " + err.Error()
		case !found:
			last = "no element matches"
		case strings.Contains(text, want):
			return text, nil
		default:
			last = fmt.Sprintf("text %q", text)
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			loc, _ := currentURL(ctx)
			return "", fmt.Errorf("waiting for %q in %s at %s: %s", want, sel, loc, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// currentURL returns the tab's URL, without waiting long.
func currentURL(ctx context.Context) (string, error) {
	if ctx.Err() != nil {
		return "(context ended)", ctx.Err()
	}
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return chromedp.Run(actx, chromedp.Location())
}

// waitPath waits until the tab's URL has the path path, and returns the URL.
func waitPath(ctx context.Context, path string) (*url.URL, error) {
	deadline := time.Now().Add(waitTimeout)
	last := ""
	for {
		loc, err := currentURL(ctx)
		if err == nil {
			last = loc
			if u, err := url.Parse(loc); err == nil && u.Path == path {
				return u, nil
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return nil, fmt.Errorf("waiting for the browser to reach %s: it is at %q", path, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setPageMarker sets a property on window. A full page load clears it, so
// pageMarkerKept tells whether the page was replaced (navigation or reload)
// or only updated in place (htmx swap).
func setPageMarker(ctx context.Context) error {
	return chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__e2eMarker = "kept"`))
}

func pageMarkerKept(ctx context.Context) (bool, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__e2eMarker === "kept"`))
}

// step is one user action and its visible answer: it runs the actions and
// waits until the first element matching sel shows want.
func step(t *testing.T, ctx context.Context, sel, want string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, sel, want); err != nil {
		t.Fatal(err)
	}
}

// proofPDF writes a small PDF, the proof document of a change request, and
// returns its path. It is a real one-page document (the upload checks
// refuse anything less) with a title and two filled boxes, so that a page
// drawn by PDF.js is visibly not blank.
func proofPDF(t *testing.T, name string) string {
	t.Helper()
	content := "0.1 0.3 0.6 rg 72 560 300 160 re f 0 0 0 rg 72 500 450 24 re f BT /F1 28 Tf 72 750 Td (Proof of change) Tj ET"
	return pdfFile(t, name,
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		pdfStream("", content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	)
}

// pdfStream is a stream object with its /Length.
func pdfStream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// pdfFile writes a PDF of the objects (numbered from 1, the first one the
// catalog) with a correct cross-reference table, and returns its path.
func pdfFile(t *testing.T, name string, objects ...string) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
