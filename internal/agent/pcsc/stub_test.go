//go:build !pcsc && !windows

package pcsc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/pcsc"
)

// TestStubNew: without PC/SC, New fails with a no_reader error that says
// how to build the real thing.
func TestStubNew(t *testing.T) {
	p, err := pcsc.New()
	var ae *agent.Error
	if p != nil || !errors.As(err, &ae) || ae.Code != agent.ErrNoReader {
		t.Fatalf("New() = %v, %v; want nil and a %s error", p, err, agent.ErrNoReader)
	}
	if want := "-tags pcsc"; !strings.Contains(ae.Message, want) {
		t.Errorf("message %q does not say %q", ae.Message, want)
	}
}
