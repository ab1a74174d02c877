package pcsc_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent/pcsc"
)

// The integration tests run the real stack: an emulated card
// (internal/cardemu) → vpcd (the vsmartcard driver of pcscd) → pcscd →
// libpcsclite → github.com/ebfe/scard → package pcsc. This is the only
// package that drives vpcd, so it owns its first reader and the tests of
// this package never run in parallel.
//
// TestMain uses a running pcscd when its socket answers and otherwise
// starts `pcscd --foreground` and stops it at the end. Without pcscd or the
// vpcd driver the tests skip, unless MULTICERT_REQUIRE_PCSC is set: then
// they fail.

const (
	pcscdSocket  = "/run/pcscd/pcscd.comm" // pcsc-lite's default
	requireEnv   = "MULTICERT_REQUIRE_PCSC"
	vpcdAddr     = "127.0.0.1:35963" // vpcd's first reader
	readerPrefix = "Virtual PCD"
	startTimeout = 10 * time.Second
)

// vpcdDrivers are where distributions install the vpcd driver.
var vpcdDrivers = []string{
	"/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
	"/usr/lib64/pcsc/drivers/serial/libifdvpcd.so",
	"/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so",
	"/usr/lib/*/pcsc/drivers/serial/libifdvpcd.so",
}

// unavailable says why the stack cannot run; empty when it can.
var unavailable string

// pcscdLog holds the output of the pcscd we started, shown on failure.
var pcscdLog bytes.Buffer

func TestMain(m *testing.M) {
	stop, err := startPCSCD()
	if err != nil {
		unavailable = err.Error()
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	if code != 0 && pcscdLog.Len() > 0 {
		fmt.Fprintf(os.Stderr, "--- pcscd output (last 4 KB)\n%s\n", tail(pcscdLog.Bytes(), 4096))
	}
	os.Exit(code)
}

// requireStack skips (or, with MULTICERT_REQUIRE_PCSC, fails) the test when
// the PC/SC stack with vpcd cannot run here.
func requireStack(t testing.TB) {
	t.Helper()
	if unavailable == "" {
		return
	}
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("PC/SC integration test cannot run (%s is set): %s", requireEnv, unavailable)
	}
	t.Skipf("PC/SC integration test skipped: %s (set %s to make this a failure)", unavailable, requireEnv)
}

// startPCSCD makes sure a pcscd with the vpcd driver answers. It returns a
// function stopping the pcscd it started, or nil when one was running.
func startPCSCD() (stop func(), err error) {
	if !driverInstalled() {
		return nil, fmt.Errorf("the vpcd driver (Debian package vsmartcard-vpcd) is not installed")
	}
	if socketAnswers() {
		return nil, nil
	}
	bin, err := exec.LookPath("pcscd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/pcscd"); serr != nil {
			return nil, fmt.Errorf("pcscd (Debian package pcscd) is not installed")
		}
		bin = "/usr/sbin/pcscd"
	}
	// pcsc-lite 1.9.9 has no --disable-polkit option: polkit is a build
	// option, and root passes it.
	args := []string{"--foreground"}
	if supportsFlag(bin, "--disable-polkit") {
		args = append(args, "--disable-polkit")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = &pcscdLog
	cmd.Stderr = &pcscdLog
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pcscd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.Now().Add(startTimeout)
	for !socketAnswers() {
		select {
		case <-exited:
			return nil, fmt.Errorf("pcscd exited at start: %s", strings.TrimSpace(string(tail(pcscdLog.Bytes(), 512))))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("pcscd socket %s did not appear within %v", pcscdSocket, startTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return stop, nil
}

func driverInstalled() bool {
	for _, pattern := range vpcdDrivers {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return true
		}
	}
	return false
}

// socketAnswers reports whether pcscd accepts connections on its socket
// and a PC/SC context can be established.
func socketAnswers() bool {
	c, err := net.DialTimeout("unix", pcscdSocket, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	p, err := pcsc.New()
	if err != nil {
		return false
	}
	p.Close()
	return true
}

func supportsFlag(bin, flag string) bool {
	out, _ := exec.Command(bin, "--help").CombinedOutput()
	return bytes.Contains(out, []byte(flag))
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// newPCSC returns a PCSC closed at the end of the test.
func newPCSC(t testing.TB) *pcsc.PCSC {
	t.Helper()
	p, err := pcsc.New()
	if err != nil {
		t.Fatalf("pcsc.New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// testCtx is a context bounded for one test.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
