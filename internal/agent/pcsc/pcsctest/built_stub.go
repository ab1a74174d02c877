//go:build !pcsc && !windows

package pcsctest

// Built reports whether this build has the real PC/SC code of package pcsc
// (the pcsc build tag, or Windows). Without it the card tests skip, or fail
// when MULTICERT_REQUIRE_PCSC is set, and the card agent they would build
// could not read cards.
const Built = false
