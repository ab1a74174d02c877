package pcsc_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent/pcsc"
	"github.com/multicert/multicert/internal/agent/pcsc/pcsctest"
	"github.com/multicert/multicert/internal/testenv"
)

// The integration tests run the real stack: an emulated card
// (internal/cardemu) → vpcd (the vsmartcard driver of pcscd) → pcscd →
// libpcsclite → github.com/ebfe/scard → package pcsc. This package drives
// vpcd's first reader (the browser tests use the second), so the tests of
// this package never run in parallel.
//
// TestMain joins the machine's pcscd through pcsctest, which starts one
// when none answers. Without pcscd or the vpcd driver, or in a build without
// the pcsc tag (package pcsc is then a stub), the tests skip, unless
// MULTICERT_REQUIRE_PCSC is set: then they fail.

const (
	vpcdAddr     = pcsctest.Reader1Addr
	readerPrefix = "Virtual PCD"
)

// unavailable says why the stack cannot run; empty when it can.
var unavailable string

// stack is this process's use of pcscd, nil when unavailable is set.
var stack *pcsctest.Stack

func TestMain(m *testing.M) {
	if !pcsctest.Built {
		unavailable = pcsctest.NotBuilt
	} else if s, err := pcsctest.Start(); err != nil {
		unavailable = err.Error()
	} else {
		stack = s
	}
	code := m.Run()
	if code != 0 {
		if log := pcsctest.LogTail(4096); log != "" {
			fmt.Fprintf(os.Stderr, "--- output of the pcscd a test started (last 4 KB)\n%s\n", log)
		}
	}
	stack.Close()
	os.Exit(code)
}

// requireStack skips (or, with MULTICERT_REQUIRE_PCSC set, fails) the test when
// the PC/SC stack with vpcd cannot run here.
func requireStack(t testing.TB) {
	t.Helper()
	if unavailable == "" {
		return
	}
	testenv.Missing(t, testenv.PCSC, "PC/SC integration test cannot run: "+unavailable)
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
