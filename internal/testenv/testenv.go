// Package testenv is for tests that need a part of the machine: a browser,
// pcscd with vpcd, SoftHSM2, the PDF fonts and poppler-utils, the MinGW
// cross-compiler, the installer tools. Where the part is missing such a test skips with a
// message, so that a plain `go test ./...` runs anywhere; where the part's
// variable is set (.ci/run sets them all) it fails instead, so that CI
// never passes by skipping.
package testenv

import (
	"os"
	"testing"
)

// The variables that make a missing part a failure.
const (
	Browser      = "MULTICERT_REQUIRE_BROWSER"
	PCSC         = "MULTICERT_REQUIRE_PCSC"
	SoftHSM      = "MULTICERT_REQUIRE_SOFTHSM"
	WindowsBuild = "MULTICERT_REQUIRE_WINDOWS_BUILD"
	PDFTools     = "MULTICERT_REQUIRE_PDFTOOLS"
	AgentDist    = "MULTICERT_REQUIRE_AGENT_DIST" // scripts/dist: wixl, msitools, dpkg-deb, MinGW
)

// Missing ends a test whose part is missing: why says what is missing and
// how to install it. The test fails when env is set and skips otherwise.
func Missing(tb testing.TB, env, why string) {
	tb.Helper()
	if os.Getenv(env) != "" {
		tb.Fatalf("%s, and %s is set", why, env)
	}
	tb.Skipf("%s (set %s to make this a failure)", why, env)
}
