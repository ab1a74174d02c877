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
