package pcsctest

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/testenv"
)

func TestNotListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := l.Addr().String()
	// A port that was listening a moment ago and no longer is.
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l2.Addr().String()
	l2.Close()
	defer l.Close()

	missing, err := notListening([]string{open, closed})
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0] != closed {
		t.Fatalf("notListening(%s open, %s closed) = %q, want [%s]", open, closed, missing, closed)
	}
	if _, err := notListening([]string{"127.0.0.1:port"}); err == nil {
		t.Fatal("notListening accepted a port that is not a number")
	}
}

// TestStayUpForOtherUsers: one user leaving does not stop a pcscd that
// another user still holds.
func TestStayUpForOtherUsers(t *testing.T) {
	first, err := Start()
	if err != nil {
		testenv.Missing(t, testenv.PCSC, "PC/SC stack not available: "+err.Error())
	}
	second, err := Start()
	if err != nil {
		first.Close()
		t.Fatal(err)
	}
	first.Close()
	if !answers() {
		second.Close()
		t.Fatal("pcscd stopped when the first of two users left")
	}
	if missing, err := notListening([]string{Reader1Addr, Reader2Addr}); err != nil || len(missing) > 0 {
		t.Errorf("vpcd readers after the first user left: missing %q, err %v", missing, err)
	}
	second.Close()
	second.Close() // a second Close does nothing
}

// TestControlWhileShared: a test cannot take pcscd while another user
// holds it, and the refused test stays a user: the other one leaving does
// not stop pcscd under it.
func TestControlWhileShared(t *testing.T) {
	first, err := Start()
	if err != nil {
		testenv.Missing(t, testenv.PCSC, "PC/SC stack not available: "+err.Error())
	}
	second, err := Start()
	if err != nil {
		first.Close()
		t.Fatal(err)
	}
	defer func(d time.Duration) { sharedWait = d }(sharedWait)
	sharedWait = 300 * time.Millisecond
	if c, err := first.Control(); !errors.Is(err, ErrShared) {
		if err == nil {
			c.Close()
		}
		t.Errorf("Control() with another user = %v, want ErrShared", err)
	}
	second.Close()
	if !answers() {
		t.Error("pcscd stopped when the other user left, while the one refused Control still uses it")
	}
	first.Close()
}

// TestStaleSocketIsNotRunning: the socket file a killed pcscd leaves does
// not count as a running pcscd; a listening one does.
func TestStaleSocketIsNotRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pcscd.comm")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if !answersAt(path) {
		t.Fatal("answersAt(listening socket) = false")
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the socket file should stay: %v", err)
	}
	if answersAt(path) {
		t.Fatal("answersAt(stale socket file) = true")
	}
}

func TestExited(t *testing.T) {
	if exited(os.Getpid()) {
		t.Fatal("exited(this process) = true")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Not yet waited for: a zombie once it ends, which counts as exited.
	deadline := time.Now().Add(5 * time.Second)
	for !exited(pid) {
		if time.Now().After(deadline) {
			t.Fatal("exited(a finished child not waited for) stayed false")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Wait() //nolint:errcheck
	if !exited(pid) {
		t.Fatal("exited(a reaped child) = false")
	}
}
