package agent_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
)

func certWith(t *testing.T, key *rsa.PrivateKey, ku x509.KeyUsage, ca bool) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "王小明"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), KeyUsage: ku, IsCA: ca, BasicConstraintsValid: ca}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestChooseSigning: the signing certificate is chosen by key usage,
// wherever it stands on the card.
func TestChooseSigning(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := certWith(t, key, x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment, false)
	sign := certWith(t, key, x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment, false)
	nonRep := certWith(t, key, x509.KeyUsageContentCommitment, false)
	none := certWith(t, key, 0, false)
	ca := certWith(t, key, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature, true)
	tests := []struct {
		name  string
		certs [][]byte
		want  int
	}{
		{"encryption first", [][]byte{enc, sign}, 1},
		{"signing first", [][]byte{sign, enc}, 0},
		{"nonRepudiation alone signs", [][]byte{enc, nonRep}, 1},
		{"digitalSignature before nonRepudiation", [][]byte{nonRep, sign}, 1},
		{"no key usage, after nonRepudiation", [][]byte{none, nonRep}, 1},
		{"no key usage rather than encryption", [][]byte{enc, none}, 1},
		{"encryption only", [][]byte{enc}, -1},
		{"a CA certificate never", [][]byte{ca, enc}, -1},
		{"junk passed over", [][]byte{[]byte("junk"), sign}, 1},
		{"none", nil, -1},
	}
	for _, tt := range tests {
		if got := agent.ChooseSigning(tt.certs); got != tt.want {
			t.Errorf("%s: ChooseSigning = %d, want %d", tt.name, got, tt.want)
		}
	}
}
