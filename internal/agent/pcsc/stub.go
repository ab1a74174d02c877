//go:build !pcsc && !windows

package pcsc

import (
	"context"

	"github.com/multicert/multicert/internal/agent"
)

// errNotBuilt is what New returns in a build without PC/SC. The agent logs
// it and shows its users that the reader service cannot be reached.
var errNotBuilt = &agent.Error{Code: agent.ErrNoReader, Message: "這個讀卡程式建置時未含讀卡機（PC/SC）支援，請以 -tags pcsc 重新建置。"}

// PCSC stands in for the PC/SC context in a build without PC/SC: New never
// returns one, and its methods exist so that callers build either way.
type PCSC struct{}

// New fails: this build has no PC/SC.
func New() (*PCSC, error) { return nil, errNotBuilt }

// Close does nothing.
func (p *PCSC) Close() error { return nil }

// ReaderNames fails: this build has no PC/SC.
func (p *PCSC) ReaderNames(ctx context.Context) ([]string, error) { return nil, errNotBuilt }

// Present fails: this build has no PC/SC.
func (p *PCSC) Present(ctx context.Context, reader string) (bool, error) { return false, errNotBuilt }

// Readers fails: this build has no PC/SC.
func (p *PCSC) Readers(ctx context.Context) ([]agent.ReaderStatus, error) { return nil, errNotBuilt }

// ReadNHI fails: this build has no PC/SC.
func (p *PCSC) ReadNHI(ctx context.Context, reader string) (*agent.NHIData, error) {
	return nil, errNotBuilt
}

// ReadCert fails: this build has no PC/SC.
func (p *PCSC) ReadCert(ctx context.Context, reader string) (*agent.CertData, error) {
	return nil, errNotBuilt
}

// Detect fails: this build has no PC/SC.
func (p *PCSC) Detect(ctx context.Context, reader string) (string, error) { return "", errNotBuilt }

// Read fails: this build has no PC/SC.
func (p *PCSC) Read(ctx context.Context, reader string) (*agent.CardData, error) {
	return nil, errNotBuilt
}
