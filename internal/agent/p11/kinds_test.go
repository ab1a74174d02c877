package p11_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/p11"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/internal/testenv"
)

// TestSignChoosesByKeyUsage: on a token holding a citizen card's
// encryption certificate first and its signing certificate second, as
// devca.ImportSoftHSM writes a two-certificate card, the signature is made
// with the signing key.
func TestSignChoosesByKeyUsage(t *testing.T) {
	cfg, err := devca.NewSoftHSMConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(); err != nil {
		testenv.Missing(t, testenv.SoftHSM, err.Error())
	}
	ca, err := devca.NewCA(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueCitizenPair("王小明", "A123456789", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := devca.ImportSoftHSM(ctx, cfg, pair, "citizen-pair", userPIN, soPIN); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", cfg.ConfPath)
	s, err := p11.Open(cfg.Module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	slot, der, err := s.FindByCertSerial(pair.EncCert.SerialNumber.Text(16))
	if err != nil || string(der) != string(pair.EncCert.Raw) {
		t.Fatalf("FindByCertSerial of the encryption certificate: %v", err)
	}
	digest := agent.Digest(origin, []byte("0123456789abcdef0123456789abcdef"))
	sig, err := s.SignWithCert(ctx, slot, nil, userPIN, digest)
	if err != nil {
		t.Fatalf("SignWithCert: %v", err)
	}
	if string(sig.Certificate) != string(pair.Cert.Raw) {
		t.Fatal("signed with the encryption certificate, want the signing one")
	}
	if err := rsa.VerifyPKCS1v15(pair.Cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest, sig.Signature); err != nil {
		t.Fatalf("signature: %v", err)
	}
}
