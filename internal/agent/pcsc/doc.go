// Package pcsc reads NHI cards (健保卡) and HiCOS certificate cards
// (自然人憑證, 工商憑證) through PC/SC: pcsc-lite on Linux and macOS, WinSCard
// on Windows. It is the reader half of the card agent's real Backend; the
// signing half is PKCS#11, built elsewhere, and a Backend combines both
// (ReaderNames, Readers, Read and Detect here; Sign there).
//
// The package uses github.com/ebfe/scard: cgo with libpcsclite-dev on Linux,
// pure Go on Windows. It must be imported only by cmd/cardagent, so that the
// server stays free of cgo. The real code is built on Windows and, elsewhere,
// with the pcsc build tag (go build -tags pcsc ./cmd/cardagent); without it
// the package is a stub whose New always fails, so that the rest of
// the module builds, vets and tests with Go alone.
//
// Every card access connects in shared mode, holds a PC/SC transaction for
// the duration of the read and ends by leaving the card as it was: the card
// is never reset or powered down, so other applications (the HiCOS client,
// the NHI card service) keep working.
//
// Readers and cards come and go under one PCSC: every call lists the
// readers or connects to the card afresh, so a reader plugged in or out is
// seen by the next call, and a card is read anew on every call (only the
// card type shown by Readers is kept, per insertion). When the PC/SC
// service has gone away (Windows stops it when the last reader is
// unplugged; a restarted pcscd) a call fails with SCARD_E_NO_SERVICE,
// SCARD_E_SERVICE_STOPPED or SCARD_E_INVALID_HANDLE: the context is
// established again and the call retried once, and while the service stays
// away the call fails with a no_reader error that says so. A card reset by
// another application or swapped between the connection and the
// transaction is connected to again, once.
//
// Errors are *agent.Error values with Traditional Chinese messages, except
// when the caller's context ends: then the context's error is returned.
package pcsc
