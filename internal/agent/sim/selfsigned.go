package sim

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// NewSelfSignedCard returns a certificate card (cardType agent.CardCitizenCert
// or agent.CardBusinessCert) labelled label with key, PIN pin and a fresh
// self-signed certificate for commonName, valid for a year. It suits tests
// and demos that do not check the issuer; a demo whose server verifies the
// chain should issue the certificate with its own CA and fill in Card.
func NewSelfSignedCard(label, cardType, commonName, pin string, key crypto.Signer) (*Card, error) {
	if key == nil {
		return nil, errors.New("sim: no key")
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject:      pkix.Name{Country: []string{"TW"}, CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Card{
		Label:       label,
		Type:        cardType,
		Cert:        cert,
		Key:         key,
		PIN:         pin,
		TokenSerial: fmt.Sprintf("SIM%016X", serial.Uint64()),
	}, nil
}
