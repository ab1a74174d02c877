package main

// The tests of a main package are in the package itself: it cannot be
// imported.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/hw"
	"github.com/multicert/multicert/internal/agent/sim"
	"github.com/multicert/multicert/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// useSim makes run serve a simulated reader instead of the hardware.
func useSim(t *testing.T) {
	t.Helper()
	old := openBackend
	openBackend = func(string, *slog.Logger) (agent.Backend, func(), error) {
		return sim.New(sim.Reader1), func() {}, nil
	}
	t.Cleanup(func() { openBackend = old })
}

func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "cardagent "+agent.Version+"-dev\n"; got != want {
		t.Errorf("--version printed %q, want %q", got, want)
	}
}

func TestArgs(t *testing.T) {
	useSim(t)
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" = no error
	}{
		{"help", []string{"--help"}, ""},
		{"no origin", []string{"--addr", "127.0.0.1:0"}, "--origin"},
		{"bad origin", []string{"--origin", "https://portal.example/login"}, "nothing after"},
		{"null origin", []string{"--origin", "null"}, "scheme"},
		{"extra argument", []string{"--origin", "https://portal.example", "serve"}, "多餘"},
		{"no port", []string{"--addr", "127.0.0.1", "--origin", "https://portal.example"}, "埠號"},
		{"all interfaces", []string{"--addr", "0.0.0.0:0", "--origin", "https://portal.example"}, "本機位址"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A cancelled context: should run wrongly start serving, it
			// stops at once instead of hanging the test.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var out bytes.Buffer
			err := run(ctx, tt.args, &out)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("run(%q) = %v, want no error", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("run(%q) = %v, want an error mentioning %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestListenLoopbackRefuses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.10:0", "portal.example:0", "[fe80::1]:0", "127.0.0.1", ""} {
		ln, err := listenLoopback(context.Background(), addr)
		if err == nil {
			ln.Close()
			t.Errorf("listenLoopback(%q) listens on %s, want a refusal", addr, ln.Addr())
		}
	}
}

func TestListenLoopback(t *testing.T) {
	tests := []struct {
		addr   string
		wantIP string
	}{
		{"127.0.0.1:0", "127.0.0.1"},
		{"localhost:0", "127.0.0.1"},
		{"LOCALHOST:0", "127.0.0.1"},
		{"127.0.0.2:0", "127.0.0.2"}, // all of 127/8 is loopback
	}
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln.Close()
		tests = append(tests, struct{ addr, wantIP string }{"[::1]:0", "::1"})
	}
	for _, tt := range tests {
		ln, err := listenLoopback(context.Background(), tt.addr)
		if err != nil {
			t.Errorf("listenLoopback(%q): %v", tt.addr, err)
			continue
		}
		if got := ln.Addr().(*net.TCPAddr).IP.String(); got != tt.wantIP {
			t.Errorf("listenLoopback(%q) listens on %s, want %s", tt.addr, got, tt.wantIP)
		}
		ln.Close()
	}
}

func TestPortInUse(t *testing.T) {
	useSim(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"--addr", ln.Addr().String(), "--origin", "https://portal.example"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("run on a busy port = %v, want an error suggesting --addr", err)
	}
}

func TestServeAndShutdown(t *testing.T) {
	useSim(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--origin", "https://portal.example", "--pkcs11-module", ""}, out)
	}()

	re := regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v\n%s", err, out)
		default:
		}
	}
	if addr == "" {
		t.Fatalf("no listening line in the log:\n%s", out)
	}

	tests := []struct {
		path, origin string
		want         int
	}{
		{"/v1/version", "https://portal.example", 200},
		{"/v1/readers", "https://portal.example", 200},
		{"/v1/version", "https://evil.example", 403},
		{"/", "", 200},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", "http://"+addr+tt.path, nil)
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s from %q = %d, want %d", tt.path, tt.origin, resp.StatusCode, tt.want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after shutdown")
	}
	if !strings.Contains(out.String(), "path=/v1/version") {
		t.Errorf("no request log lines:\n%s", out)
	}
}

func TestDefaultModule(t *testing.T) {
	env := map[string]string{"MULTICERT_PKCS11_MODULE": "custom.so"}
	if got := defaultModule(func(k string) string { return env[k] }); got != "custom.so" {
		t.Errorf("defaultModule with env = %q, want custom.so", got)
	}
	if got := defaultModule(func(string) string { return "" }); !strings.Contains(strings.ToLower(got), "hicos") {
		t.Errorf("defaultModule = %q, want the HiCOS module", got)
	}
}

// oneReader is a PC/SC stand-in with one empty reader.
type oneReader struct{ closed *int }

func (oneReader) Readers(context.Context) ([]agent.ReaderStatus, error) {
	return []agent.ReaderStatus{{Name: "R", PINTriesLeft: -1}}, nil
}
func (oneReader) ReadNHI(context.Context, string) (*agent.NHIData, error)   { return nil, nil }
func (oneReader) ReadCert(context.Context, string) (*agent.CertData, error) { return nil, nil }
func (oneReader) Detect(context.Context, string) (string, error)            { return agent.CardNone, nil }
func (oneReader) Read(context.Context, string) (*agent.CardData, error)     { return nil, nil }
func (r oneReader) Close() error                                            { *r.closed++; return nil }

func TestLazyReader(t *testing.T) {
	opens, closed := 0, 0
	fail := true
	l := &lazyReader{log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	l.open = func() (hw.CardReader, io.Closer, error) {
		opens++
		if fail {
			return nil, nil, errors.New("SCARD_E_NO_SERVICE")
		}
		r := oneReader{&closed}
		return r, r, nil
	}
	ctx := context.Background()
	_, err := l.Readers(ctx)
	var ae *agent.Error
	if !errors.As(err, &ae) || ae.Code != agent.ErrNoReader {
		t.Fatalf("Readers while PC/SC is down = %v, want no_reader", err)
	}
	fail = false
	for range 3 {
		if rs, err := l.Readers(ctx); err != nil || len(rs) != 1 {
			t.Fatalf("Readers once PC/SC is up = %v, %v", rs, err)
		}
	}
	if opens != 2 {
		t.Errorf("opened %d times, want 2 (once failing, once for good)", opens)
	}
	l.close()
	if closed != 1 {
		t.Errorf("closed %d times, want 1", closed)
	}
}

type twoReaders struct{ agent.Backend }

func (twoReaders) Readers(context.Context) ([]agent.ReaderStatus, error) {
	return []agent.ReaderStatus{{Name: "Virtual PCD 00 00", Present: true}, {Name: "Virtual PCD 00 01", Present: true}}, nil
}

func (twoReaders) Read(_ context.Context, reader string) (*agent.CardData, error) {
	return &agent.CardData{Reader: reader}, nil
}

func TestReaderFilter(t *testing.T) {
	f := filterReaders(twoReaders{}, "00 01")
	rs, err := f.Readers(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Name != "Virtual PCD 00 01" {
		t.Fatalf("Readers = %v, %v; want only Virtual PCD 00 01", rs, err)
	}
	if _, err := f.Read(context.Background(), "Virtual PCD 00 00"); err == nil {
		t.Error("Read of a filtered-out reader: want no_reader")
	}
	if d, err := f.Read(context.Background(), "Virtual PCD 00 01"); err != nil || d.Reader != "Virtual PCD 00 01" {
		t.Errorf("Read = %v, %v", d, err)
	}
}

// TestWindowsCrossBuild builds the agent for Windows: ebfe/scard is pure Go
// there, PKCS#11 needs cgo, so it takes Debian's MinGW-w64 cross-compiler.
func TestWindowsCrossBuild(t *testing.T) {
	const cc = "x86_64-w64-mingw32-gcc"
	if _, err := exec.LookPath(cc); err != nil {
		testenv.Missing(t, testenv.WindowsBuild, cc+" not installed (Debian package gcc-mingw-w64-x86-64-win32): Windows build not checked")
	}
	out := filepath.Join(t.TempDir(), "cardagent.exe")
	build := exec.Command("go", "build", "-o", out, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=1", "CC="+cc)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("Windows build: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil || len(b) < 2 || string(b[:2]) != "MZ" {
		t.Fatalf("%s is not a Windows executable", out)
	}
}
