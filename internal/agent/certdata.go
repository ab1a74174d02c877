package agent

import "crypto/x509"

// NewCertData describes cert for the API: its DER, its serial number in
// lower-case hexadecimal without leading zeros (the form that p11's
// FindByCertSerial and the portal compare), subject, issuer and validity.
// tokenSerial is the card's own serial number, or "".
func NewCertData(cert *x509.Certificate, tokenSerial string) *CertData {
	return &CertData{
		DER:         append([]byte(nil), cert.Raw...),
		Serial:      cert.SerialNumber.Text(16),
		Subject:     cert.Subject.String(),
		Issuer:      cert.Issuer.String(),
		NotBefore:   cert.NotBefore,
		NotAfter:    cert.NotAfter,
		TokenSerial: tokenSerial,
	}
}

// SigningRank tells how fit cert is to make a login signature, for
// choosing among the certificates of a card that holds two (a HiCOS
// 自然人憑證 holds one to sign and one to encrypt, and cards do not agree
// on which comes first): 3 for digitalSignature, 2 for nonRepudiation
// alone, 1 for a certificate without a key usage extension, 0 for one that
// must not sign (keyEncipherment, dataEncipherment or keyAgreement only,
// or a CA certificate).
func SigningRank(cert *x509.Certificate) int {
	switch {
	case cert == nil || cert.IsCA:
		return 0
	case cert.KeyUsage&x509.KeyUsageDigitalSignature != 0:
		return 3
	case cert.KeyUsage&x509.KeyUsageContentCommitment != 0:
		return 2
	case cert.KeyUsage == 0:
		return 1
	}
	return 0
}

// ChooseSigning returns the index of the certificate of a card to sign
// with, by key usage (SigningRank), never by position: the highest rank
// wins, the first of equals. Certificates that do not parse are passed
// over. It is -1 when none may sign.
func ChooseSigning(ders [][]byte) int {
	best, rank := -1, 0
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		if r := SigningRank(c); r > rank {
			best, rank = i, r
		}
	}
	return best
}
