// Package agenttest holds what the card agent's tests share.
package agenttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"github.com/multicert/multicert/internal/agent"
)

// Verify reports whether sig verifies over the SHA-256 digest with the
// certificate it carries (RSA PKCS #1 v1.5 or ECDSA).
func Verify(tb testing.TB, sig *agent.Signature, digest []byte) bool {
	tb.Helper()
	cert, err := x509.ParseCertificate(sig.Certificate)
	if err != nil {
		tb.Fatal(err)
	}
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig.Signature) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(pub, digest, sig.Signature)
	}
	tb.Fatalf("unexpected key %T", cert.PublicKey)
	return false
}
