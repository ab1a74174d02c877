package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/pdfform"
)

// TestSoak is the short soak that scripts/test runs after the other tests:
// the server built from this tree, a small demo database, the calibration and 40 seconds of the
// mixed load at 70 % of the maximum. It fails on any error, memory or
// goroutines growing, and any panic or error in the server's log: faults that show only under sustained mixed load, such as a value
// kept from a Fiber context beyond its request. It runs only when
// MULTICERT_SOAK is set: it takes about a minute.
func TestSoak(t *testing.T) {
	if os.Getenv("MULTICERT_SOAK") == "" {
		t.Skip("MULTICERT_SOAK is not set (scripts/test sets it)")
	}
	dir := t.TempDir()
	bin, data := filepath.Join(dir, "multicert"), filepath.Join(dir, "data")
	// Without the race detector: it makes the server some twenty times
	// slower, and the faults this test is for show after thousands of
	// requests (the tests of handlers run under it).
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/multicert/multicert/cmd/multicert").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "demo", "--units", "300", "--data-dir", data).CombinedOutput(); err != nil {
		t.Fatalf("multicert demo: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	log := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	srv := exec.Command(bin, "serve", "--data-dir", data, "--addr", addr)
	srv.Env = append(os.Environ(), "MULTICERT_LOG_LEVEL=warn")
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	stop := func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			// SIGQUIT: the Go runtime writes every goroutine's stack to
			// the log and exits, which shows where the stop waits.
			_ = srv.Process.Signal(syscall.SIGQUIT)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = srv.Process.Kill()
				<-exited
			}
			out := log()
			if i := strings.Index(out, "goroutine 1 ["); i >= 0 {
				out = out[i:min(len(out), i+6000)]
			} else {
				out = out[max(0, len(out)-4000):]
			}
			t.Errorf("the server did not stop within 20 s of SIGTERM; its log:\n%s", out)
		}
	}
	base := "http://" + addr
	for i := 0; ; i++ {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 200 {
			stop()
			t.Fatalf("the server is not ready after 20 s: %v\n%s", err, log())
		}
		time.Sleep(100 * time.Millisecond)
	}

	cfg := config{URL: base, DB: "sqlite:" + filepath.Join(data, "multicert.db"), Password: demo.Password, PID: srv.Process.Pid,
		Metrics: base + "/metrics", Share: 0.7, Calibrate: 8 * time.Second, Conns: 16, Duration: 40 * time.Second,
		Every: 10 * time.Second, Flat: 0.2, Portals: 50, MaxFlight: 2000}
	if len(pdfform.DefaultFontPaths()) == 0 {
		t.Log("no PDF font installed (scripts/fonts/install.sh): prints left out")
		cfg.Skip = []string{"print"}
	}
	var report bytes.Buffer
	ok, err := soak(context.Background(), cfg, &report)
	stop()
	if err != nil {
		t.Fatalf("soak: %v\n%s", err, report.String())
	}
	if !ok {
		t.Errorf("the soak failed:\n%s", report.String())
	} else {
		t.Logf("\n%s", report.String())
	}
	if bad := faults.FindAllString(log(), 5); bad != nil {
		t.Errorf("the server's log has panics or errors, e.g.:\n%s", strings.Join(bad, "\n"))
	}
}

// faults are the server's log lines that no soak may cause.
var faults = regexp.MustCompile(`(?m)^.*(?:panic|level=ERROR).*$`)
