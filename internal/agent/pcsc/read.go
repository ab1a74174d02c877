//go:build pcsc || windows

package pcsc

import (
	"context"
	"crypto/x509"

	"github.com/ebfe/scard"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/card"
)

// ReadNHI reads the basic data of the NHI card in reader: it selects the NHI
// application and reads the basic data, and the read decides (some cards
// answer the select with 6D00). A card that is not an NHI card gives an
// ErrUnsupportedCard error.
func (p *PCSC) ReadNHI(ctx context.Context, reader string) (*agent.NHIData, error) {
	var basic card.NHIBasic
	err := p.do(ctx, func(sc *scard.Context) error {
		return withCard(ctx, sc, reader, func(s *session) error {
			var err error
			basic, err = s.readNHI()
			return err
		})
	})
	if err != nil {
		return nil, mapErr(err, false)
	}
	return agent.NewNHIData(basic), nil
}

// ReadCert reads the user's certificate from the HiCOS card in reader, and
// the card serial when the card has one where first-generation cards keep
// it. The certificate is returned whatever its issuer; Detect tells
// whether it is a citizen or business certificate. A card without the
// HiCOS files gives an ErrUnsupportedCard error.
func (p *PCSC) ReadCert(ctx context.Context, reader string) (*agent.CertData, error) {
	var der []byte
	var serial string
	err := p.do(ctx, func(sc *scard.Context) error {
		return withCard(ctx, sc, reader, func(s *session) error {
			var err error
			der, serial, err = s.readCert(true)
			return err
		})
	})
	if err != nil {
		return nil, mapErr(err, false)
	}
	return certData(der, serial)
}

// Detect tells the type of the card in reader, one of the agent.Card*
// strings: the ATR first, then an NHI read, then the HiCOS certificate and
// its issuer (card.TypeFromCert). A card that is none of them is
// agent.CardUnknown, not an error.
func (p *PCSC) Detect(ctx context.Context, reader string) (string, error) {
	var typ card.Type
	err := p.do(ctx, func(sc *scard.Context) error {
		return withCard(ctx, sc, reader, func(s *session) error {
			var err error
			typ, _, err = s.identify(false)
			return err
		})
	})
	if err != nil {
		return "", mapErr(err, false)
	}
	return string(typ), nil
}

// Read detects the card in reader and reads it in one connection: the NHI
// basic data of an NHI card or the certificate of a certificate card, as
// agent.Backend.Read does. A card of another kind gives an
// ErrUnsupportedCard error.
func (p *PCSC) Read(ctx context.Context, reader string) (*agent.CardData, error) {
	var typ card.Type
	var got *identified
	err := p.do(ctx, func(sc *scard.Context) error {
		return withCard(ctx, sc, reader, func(s *session) error {
			var err error
			typ, got, err = s.identify(true)
			return err
		})
	})
	if err != nil {
		return nil, mapErr(err, false)
	}
	out := &agent.CardData{Reader: reader, Type: string(typ)}
	switch {
	case typ == card.TypeNHI:
		out.NHI = agent.NewNHIData(got.nhi)
	case typ.IsCert() && got != nil:
		if out.Cert, err = certData(got.der, got.serial); err != nil {
			return nil, err
		}
	case typ.IsCert():
		return nil, errUnsupported("無法讀取卡片上的憑證")
	default:
		return nil, errUnsupported(msgUnsupported)
	}
	return out, nil
}

func certData(der []byte, serial string) (*agent.CertData, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, errUnsupported("卡片上的憑證無法解析")
	}
	// The one description of a certificate that p11 and the portal compare.
	return agent.NewCertData(cert, serial), nil
}
