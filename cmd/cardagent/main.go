// Command cardagent is the local card agent of multicert: a small HTTP
// server on the user's PC, on the loopback address only, through which the
// portal's pages read the NHI card (健保卡) and have a certificate card
// (自然人憑證, 工商憑證) sign a login challenge. It reads cards through PC/SC
// and signs through the card's PKCS#11 module (HiCOS).
//
// Build it with cgo and, except on Windows, the pcsc build tag
// (go build -tags pcsc ./cmd/cardagent, which needs libpcsclite-dev on
// Linux); without them it starts but cannot read cards or sign.
//
// Usage:
//
//	cardagent [--addr 127.0.0.1:56161] --origin https://portal.example [--origin …]
//	          [--pkcs11-module PATH] [--version]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cardagent:", err)
		os.Exit(1)
	}
}
