// Package hw is the card agent's backend for real cards: it composes a
// PC/SC reader (package agent/pcsc: reader list, card detection, NHI data,
// certificate) with a PKCS#11 signer (package agent/p11: PIN and signature)
// into an agent.Backend. The package itself is pure Go; the cgo lives in
// the packages behind its interfaces.
package hw

import (
	"context"
	"crypto/x509"
	"errors"
	"sync"

	"github.com/multicert/multicert/internal/agent"
)

// Reader is the PC/SC side: *pcsc.PCSC implements it.
type Reader interface {
	// Readers lists the readers and what is in them.
	Readers(ctx context.Context) ([]agent.ReaderStatus, error)
	// ReadNHI reads the basic data of the NHI card in reader.
	ReadNHI(ctx context.Context, reader string) (*agent.NHIData, error)
	// ReadCert reads the certificate of the certificate card in reader.
	ReadCert(ctx context.Context, reader string) (*agent.CertData, error)
	// Detect tells the type of the card in reader: one of agent.Card*.
	Detect(ctx context.Context, reader string) (string, error)
}

// CardReader is a Reader that also detects and reads the card in one
// connection, as *pcsc.PCSC does: Read then uses it, so that a card swapped
// between detecting and reading cannot give one card's type with another's
// data, or an error about the wrong card.
type CardReader interface {
	Reader
	// Read reads the card in reader: NHI basic data or the certificate.
	Read(ctx context.Context, reader string) (*agent.CardData, error)
}

// Signer is the PKCS#11 side: *p11.Signer implements it.
type Signer interface {
	// TokenSlots lists the slots that hold a token.
	TokenSlots() ([]uint, error)
	// FindByCertSerial finds the token holding the certificate with serial
	// number serialHex, and returns its slot and the certificate's DER.
	FindByCertSerial(serialHex string) (slot uint, certDER []byte, err error)
	// SignWithCert logs in to the token in slot with pin and signs digest
	// with the key of certificate certDER; with certDER nil, with the
	// token's signing key.
	SignWithCert(ctx context.Context, slot uint, certDER []byte, pin string, digest []byte) (*agent.Signature, error)
}

// New returns the backend over r and s. s may be nil when no PKCS#11 module
// could be loaded: NHI cards can still be read, but nothing signs.
func New(r Reader, s Signer) agent.Backend {
	return &backend{r: r, s: s}
}

type backend struct {
	r  Reader
	s  Signer
	mu sync.Mutex // one sign at a time: a login holds for the whole token
}

func (b *backend) Readers(ctx context.Context) ([]agent.ReaderStatus, error) {
	return b.r.Readers(ctx)
}

func (b *backend) Read(ctx context.Context, reader string) (*agent.CardData, error) {
	if cr, ok := b.r.(CardReader); ok {
		return cr.Read(ctx, reader)
	}
	typ, err := b.r.Detect(ctx, reader)
	if err != nil {
		return nil, err
	}
	cd := &agent.CardData{Reader: reader, Type: typ}
	switch typ {
	case agent.CardNone:
		return nil, &agent.Error{Code: agent.ErrNoCard, Message: "讀卡機中沒有卡片，請插入卡片。"}
	case agent.CardNHI:
		if cd.NHI, err = b.r.ReadNHI(ctx, reader); err != nil {
			return nil, err
		}
	case agent.CardCitizenCert, agent.CardBusinessCert:
		if cd.Cert, err = b.r.ReadCert(ctx, reader); err != nil {
			return nil, err
		}
	default:
		return nil, unsupported("無法辨識這張卡片，請使用健保卡、自然人憑證或工商憑證。")
	}
	return cd, nil
}

// Sign learns the card's certificate through PC/SC, then signs with the
// PKCS#11 token that holds the same certificate. When PC/SC cannot read
// the certificate, the only token present signs.
func (b *backend) Sign(ctx context.Context, reader, pin string, digest []byte) (*agent.Signature, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	typ, err := b.r.Detect(ctx, reader)
	if err != nil && fatal(err) {
		return nil, err
	}
	switch {
	case err != nil:
		// The type is unknown: go on, PKCS#11 may know the card.
	case typ == agent.CardNone:
		return nil, &agent.Error{Code: agent.ErrNoCard, Message: "讀卡機中沒有卡片，請插入卡片。"}
	case typ == agent.CardNHI:
		return nil, unsupported("健保卡不能簽章，請使用自然人憑證或工商憑證")
	}
	if b.s == nil {
		return nil, unsupported("找不到憑證卡的 PKCS#11 模組，無法簽章。請安裝憑證卡的驅動程式（HiCOS）後重新啟動讀卡程式。")
	}

	cd, err := b.r.ReadCert(ctx, reader)
	if err != nil && fatal(err) {
		return nil, err
	}
	if err == nil && cd != nil {
		serial := cd.Serial
		if c, perr := x509.ParseCertificate(cd.DER); perr == nil {
			serial = c.SerialNumber.Text(16)
		}
		slot, der, err := b.s.FindByCertSerial(serial)
		if err != nil {
			return nil, err
		}
		if len(cd.DER) > 0 && string(der) != string(cd.DER) {
			return nil, unsupported("卡片中的憑證與 PKCS#11 模組找到的憑證不一致，請只插入一張憑證卡後再試。")
		}
		// A 自然人憑證 holds a signing and an encryption certificate; when
		// PC/SC read the encryption one, the same token's signing key signs.
		if c, perr := x509.ParseCertificate(der); perr == nil && c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			der = nil
		}
		return b.s.SignWithCert(ctx, slot, der, pin, digest)
	}

	// PC/SC could not read the certificate: the only token signs.
	slots, err := b.s.TokenSlots()
	if err != nil {
		return nil, err
	}
	switch len(slots) {
	case 0:
		return nil, &agent.Error{Code: agent.ErrNoCard, Message: "找不到憑證卡。請確認卡片已插入，並已安裝憑證卡的驅動程式（HiCOS）。"}
	case 1:
		return b.s.SignWithCert(ctx, slots[0], nil, pin, digest)
	}
	return nil, unsupported("無法讀取這張卡片的憑證，而電腦上有多張憑證卡，無法判斷要用哪一張簽章。請只插入一張憑證卡後再試。")
}

// fatal reports whether a PC/SC error ends the operation: the reader or
// the card is not there. Other errors (a card layout PC/SC does not know)
// leave PKCS#11 to try.
func fatal(err error) bool {
	var ae *agent.Error
	if !errors.As(err, &ae) {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}
	switch ae.Code {
	case agent.ErrNoReader, agent.ErrNoCard, agent.ErrCardRemoved:
		return true
	}
	return false
}

func unsupported(msg string) error {
	return &agent.Error{Code: agent.ErrUnsupportedCard, Message: msg}
}
