//go:build !cgo

package p11

import (
	"context"
	"errors"

	"github.com/multicert/multicert/internal/agent"
)

// errNoCgo is what Open returns in a build without cgo.
var errNoCgo = errors.New("p11: built without cgo: PKCS#11 signing is not available")

// Signer stands in for a loaded PKCS#11 module in a build without cgo:
// Open never returns one, and its methods exist so that callers build
// either way.
type Signer struct{}

// Open fails: this build has no cgo.
func Open(modulePath string) (*Signer, error) { return nil, errNoCgo }

// Close does nothing.
func (s *Signer) Close() error { return nil }

// Tokens fails: this build has no cgo.
func (s *Signer) Tokens() ([]TokenInfo, error) { return nil, errNoCgo }

// TokenSlots fails: this build has no cgo.
func (s *Signer) TokenSlots() ([]uint, error) { return nil, errNoCgo }

// FindByCertSerial fails: this build has no cgo.
func (s *Signer) FindByCertSerial(serialHex string) (uint, []byte, error) { return 0, nil, errNoCgo }

// Sign fails: this build has no cgo.
func (s *Signer) Sign(ctx context.Context, slot uint, pin string, digest []byte) (*agent.Signature, error) {
	return nil, errNoCgo
}

// SignWithCert fails: this build has no cgo.
func (s *Signer) SignWithCert(ctx context.Context, slot uint, certDER []byte, pin string, digest []byte) (*agent.Signature, error) {
	return nil, errNoCgo
}
