package card_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/card"
)

// issueCert returns a certificate for a fresh key, signed by a fresh
// self-signed CA whose subject is issuer. extra pads the certificate with
// a non-critical extension of that many bytes.
func issueCert(t testing.TB, issuer pkix.Name, extra int) *x509.Certificate {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               issuer,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234ABCD),
		Subject:      pkix.Name{CommonName: "王小明", Country: []string{"TW"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if extra > 0 {
		tmpl.ExtraExtensions = []pkix.Extension{{Id: []int{1, 3, 6, 1, 4, 1, 99999, 1}, Value: bytes.Repeat([]byte{0x04}, extra)}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestHiCOSCommandBytes(t *testing.T) {
	read, err := card.ReadBinary(card.CLAHiCOS, card.CertSlotUser2+200, card.MaxReadChunk)
	if err != nil {
		t.Fatal(err)
	}
	read0, err := card.ReadBinary(card.CLAHiCOSGen2, 0, 256)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cmd  card.Command
		want string
	}{
		{"SelectMF", card.SelectMF, "80 A4 00 00 02 3F 00"},
		{"SelectPKIDF", card.SelectPKIDF, "80 A4 00 00 02 50 30"},
		{"SelectCertEF", card.SelectCertEF, "80 A4 00 00 02 08 F2"},
		{"SelectFile serial", card.SelectFile(card.CLAHiCOS, card.FileSerialEF), "80 A4 00 00 02 09 03"},
		{"SelectHiCOSGen2", card.SelectHiCOSGen2, "00 A4 04 0C 10 A0 00 00 02 83 00 00 06 22 01 69 64 00 01 01 01"},
		{"ReadBinary slot 2 + 200", read, "80 B0 15 C8 C8"},
		{"ReadBinary 256", read0, "00 B0 00 00 00"},
	}
	for _, tt := range tests {
		got, err := tt.cmd.Bytes()
		if err != nil {
			t.Fatalf("%s.Bytes() error %v", tt.name, err)
		}
		if want := unhex(t, tt.want); !bytes.Equal(got, want) {
			t.Errorf("%s.Bytes() = % X, want % X", tt.name, got, want)
		}
	}
}

func TestReadBinaryErrors(t *testing.T) {
	tests := []struct {
		name      string
		offset, n int
	}{
		{"negative offset", -1, 1},
		{"offset past 15 bits", 0x8000, 1},
		{"zero length", 0, 0},
		{"257 bytes", 0, 257},
	}
	for _, tt := range tests {
		if got, err := card.ReadBinary(card.CLAHiCOS, tt.offset, tt.n); err == nil || !errors.Is(err, card.ErrAPDU) {
			t.Errorf("%s: ReadBinary(%d, %d) = %v, %v; want an error wrapping ErrAPDU", tt.name, tt.offset, tt.n, got, err)
		}
	}
}

func TestCertLength(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		{"short form", "30 03 02 01 00", 5, false},
		{"short form 127", "30 7F", 129, false},
		{"one length byte", "30 81 80", 131, false},
		{"two length bytes", "30 82 05 DC", 1504, false},
		{"largest", "30 82 7F FC", 0x8000, false},
		{"one past largest", "30 82 7F FD", 0, true},
		{"not minimal, 81 7F", "30 81 7F", 0, true},
		{"not minimal, 82 00 FF", "30 82 00 FF", 0, true},
		{"three length bytes", "30 83 01 00 00", 0, true},
		{"indefinite", "30 80", 0, true},
		{"empty sequence", "30 00", 0, true},
		{"erased slot FF", "FF FF FF FF", 0, true},
		{"erased slot 00", "00 00 00 00", 0, true},
		{"not a sequence", "31 82 05 DC", 0, true},
		{"one byte", "30", 0, true},
		{"truncated header", "30 82 05", 0, true},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := card.CertLength(unhex(t, tt.in))
			if tt.wantErr {
				if err == nil || !errors.Is(err, card.ErrNoCert) {
					t.Fatalf("CertLength(%s) = %d, %v; want an error wrapping ErrNoCert", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("CertLength(%s) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCertLengthOfRealCertificates(t *testing.T) {
	for _, extra := range []int{0, 100, 1000} {
		der := issueCert(t, pkix.Name{CommonName: "test CA"}, extra).Raw
		for _, n := range []int{4, card.MaxReadChunk} {
			got, err := card.CertLength(der[:min(n, len(der))])
			if err != nil || got != len(der) {
				t.Errorf("CertLength(first %d bytes of a %d-byte certificate) = %d, %v; want %d", n, len(der), got, err, len(der))
			}
		}
	}
}
