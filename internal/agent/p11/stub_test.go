//go:build !cgo

package p11_test

import (
	"testing"

	"github.com/multicert/multicert/internal/agent/p11"
	"github.com/multicert/multicert/internal/testenv"
)

// TestStubOpen: without cgo, Open fails, and the PKCS#11 tests cannot run.
func TestStubOpen(t *testing.T) {
	if s, err := p11.Open("libsofthsm2.so"); s != nil || err == nil {
		t.Fatalf("Open = %v, %v; want an error", s, err)
	}
	testenv.Missing(t, testenv.SoftHSM, "built without cgo: the PKCS#11 tests did not run")
}
