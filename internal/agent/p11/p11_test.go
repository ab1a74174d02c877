//go:build cgo

package p11_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/agenttest"
	"github.com/multicert/multicert/internal/agent/p11"
	"github.com/multicert/multicert/internal/testenv"
)

const (
	userPIN = "123456"
	soPIN   = "654321"
	origin  = "https://portal.example"
)

func TestTriesFromFlags(t *testing.T) {
	tests := []struct {
		name       string
		flags      uint
		wantTries  int
		wantLocked bool
	}{
		{"nothing said", 0, -1, false},
		{"other flags only", pkcs11.CKF_LOGIN_REQUIRED | pkcs11.CKF_USER_PIN_INITIALIZED | pkcs11.CKF_TOKEN_INITIALIZED, -1, false},
		{"count low", pkcs11.CKF_USER_PIN_COUNT_LOW, 2, false},
		{"final try", pkcs11.CKF_USER_PIN_FINAL_TRY, 1, false},
		{"final try and count low", pkcs11.CKF_USER_PIN_FINAL_TRY | pkcs11.CKF_USER_PIN_COUNT_LOW, 1, false},
		{"locked", pkcs11.CKF_USER_PIN_LOCKED, 0, true},
		{"locked and final try", pkcs11.CKF_USER_PIN_LOCKED | pkcs11.CKF_USER_PIN_FINAL_TRY | pkcs11.CKF_LOGIN_REQUIRED, 0, true},
		{"SO PIN locked only", pkcs11.CKF_SO_PIN_LOCKED, -1, false},
	}
	for _, tt := range tests {
		gotTries, gotLocked := p11.TriesFromFlags(tt.flags)
		if gotTries != tt.wantTries || gotLocked != tt.wantLocked {
			t.Errorf("%s: TriesFromFlags(%#x) = %d, %v; want %d, %v", tt.name, tt.flags, gotTries, gotLocked, tt.wantTries, tt.wantLocked)
		}
	}
}

// softHSM is a SoftHSM2 set up for one test.
type softHSM struct {
	module string
	dir    string
}

// newSoftHSM gives the test its own SoftHSM token directory, or skips the
// test when SoftHSM or OpenSC's pkcs11-tool is missing (fails instead when
// MULTICERT_REQUIRE_SOFTHSM is set).
func newSoftHSM(t testing.TB) *softHSM {
	t.Helper()
	module := os.Getenv("MULTICERT_PKCS11_MODULE")
	if module == "" {
		module = "/usr/lib/softhsm/libsofthsm2.so"
	}
	var missing []string
	if _, err := os.Stat(module); err != nil {
		missing = append(missing, "the SoftHSM2 module "+module+" (set MULTICERT_PKCS11_MODULE)")
	}
	for _, tool := range []string{"softhsm2-util", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		testenv.Missing(t, testenv.SoftHSM, "SoftHSM tests need "+strings.Join(missing, ", ")+" (Debian: apt-get install softhsm2 opensc)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	return &softHSM{module: module, dir: dir}
}

func (h *softHSM) run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// addToken makes a token labelled label holding key and a certificate for
// it with the given serial number, both with CKA_ID 01.
func (h *softHSM) addToken(t testing.TB, label string, key crypto.Signer, serial int64) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{Country: []string{"TW"}, CommonName: label},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(h.dir, label+".key.pem")
	certFile := filepath.Join(h.dir, label+".cert.der")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, der, 0o600); err != nil {
		t.Fatal(err)
	}
	h.run(t, "softhsm2-util", "--init-token", "--free", "--label", label, "--pin", userPIN, "--so-pin", soPIN)
	h.run(t, "softhsm2-util", "--import", keyFile, "--token", label, "--label", label, "--id", "01", "--pin", userPIN)
	h.run(t, "pkcs11-tool", "--module", h.module, "--token-label", label, "--login", "--pin", userPIN,
		"--write-object", certFile, "--type", "cert", "--id", "01", "--label", label)
	return cert
}

func (h *softHSM) open(t testing.TB) *p11.Signer {
	t.Helper()
	s, err := p11.Open(h.module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var (
	keysOnce sync.Once
	rsaKeys  [2]*rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func keys(t testing.TB) ([2]*rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		for i := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[i] = k
		}
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		ecKey = k
	})
	return rsaKeys, ecKey
}

func code(err error) string {
	var ae *agent.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	if err == nil {
		return ""
	}
	return "not an agent.Error: " + err.Error()
}

func TestSignAndFind(t *testing.T) {
	h := newSoftHSM(t)
	rk, ek := keys(t)
	citizen := h.addToken(t, "citizen", rk[0], 0x1001)
	business := h.addToken(t, "business", ek, 0x2002)
	s := h.open(t)

	toks, err := s.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	for _, tk := range toks {
		labels[tk.Label] = true
		if tk.PINTriesLeft != -1 || tk.PINLocked {
			t.Errorf("token %s: PINTriesLeft %d, PINLocked %v; want -1, false", tk.Label, tk.PINTriesLeft, tk.PINLocked)
		}
	}
	if !labels["citizen"] || !labels["business"] {
		t.Fatalf("Tokens() = %+v, want citizen and business", toks)
	}
	slots, err := s.TokenSlots()
	if err != nil || len(slots) != 2 {
		t.Fatalf("TokenSlots() = %v, %v; want 2 slots", slots, err)
	}

	nonce := []byte("0123456789abcdef0123456789abcdef")
	digest := agent.Digest(origin, nonce)
	tests := []struct {
		serial   string
		cert     *x509.Certificate
		wantAlg  string
		withCert bool
	}{
		{"1001", citizen, p11.AlgRSA, true},
		{"20:02", business, p11.AlgECDSA, true},
		{"0x1001", citizen, p11.AlgRSA, false},
	}
	for _, tt := range tests {
		slot, der, err := s.FindByCertSerial(tt.serial)
		if err != nil {
			t.Fatalf("FindByCertSerial(%q): %v", tt.serial, err)
		}
		if string(der) != string(tt.cert.Raw) {
			t.Fatalf("FindByCertSerial(%q) found another certificate", tt.serial)
		}
		var sig *agent.Signature
		if tt.withCert {
			sig, err = s.SignWithCert(context.Background(), slot, der, userPIN, digest)
		} else {
			sig, err = s.Sign(context.Background(), slot, userPIN, digest)
		}
		if err != nil {
			t.Fatalf("sign with %s: %v", tt.serial, err)
		}
		if sig.Algorithm != tt.wantAlg {
			t.Errorf("Algorithm = %q, want %q", sig.Algorithm, tt.wantAlg)
		}
		if string(sig.Certificate) != string(tt.cert.Raw) {
			t.Errorf("signature's certificate is not the token's")
		}
		if !agenttest.Verify(t, sig, agent.Digest(origin, nonce)) {
			t.Errorf("%s: signature does not verify over Digest(origin, nonce)", tt.serial)
		}
		if agenttest.Verify(t, sig, agent.Digest("https://other.example", nonce)) {
			t.Errorf("%s: signature verifies for another origin", tt.serial)
		}
	}

	if _, _, err := s.FindByCertSerial("3003"); code(err) != agent.ErrUnsupportedCard {
		t.Errorf("FindByCertSerial(unknown) error = %v, want unsupported_card", err)
	}
	if _, _, err := s.FindByCertSerial("not hex"); err == nil {
		t.Error("FindByCertSerial(not hex) succeeded")
	}
	// A certificate that is not on the token: the card was changed.
	slot, _, _ := s.FindByCertSerial("1001")
	if _, err := s.SignWithCert(context.Background(), slot, business.Raw, userPIN, digest); code(err) != agent.ErrCardRemoved {
		t.Errorf("SignWithCert(another card's certificate) = %v, want card_removed", err)
	}
	if _, err := s.Sign(context.Background(), slot, userPIN, digest[:20]); code(err) != agent.ErrBadRequest {
		t.Errorf("Sign(short digest) = %v, want bad_request", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sign(ctx, slot, userPIN, digest); !errors.Is(err, context.Canceled) {
		t.Errorf("Sign(cancelled) = %v, want context.Canceled", err)
	}
}

func TestWrongPIN(t *testing.T) {
	h := newSoftHSM(t)
	rk, _ := keys(t)
	h.addToken(t, "citizen", rk[0], 0x1001)
	s := h.open(t)
	slot, _, err := s.FindByCertSerial("1001")
	if err != nil {
		t.Fatal(err)
	}
	digest := agent.Digest(origin, []byte("0123456789abcdef"))
	// SoftHSM sets CKF_USER_PIN_COUNT_LOW after a wrong PIN and clears it
	// after a good one; it never locks.
	steps := []struct {
		pin        string
		want       string
		wantTries  int // TriesLeft of the error; -1 for none
		wantTokens int // the token's PINTriesLeft afterwards
	}{
		{"000000", agent.ErrWrongPIN, 2, 2},
		{"999999", agent.ErrWrongPIN, 2, 2},
		{userPIN, "", -1, -1},
		{"000000", agent.ErrWrongPIN, 2, 2},
	}
	for i, st := range steps {
		sig, err := s.Sign(context.Background(), slot, st.pin, digest)
		if got := code(err); got != st.want {
			t.Fatalf("step %d: code %q, want %q", i, got, st.want)
		}
		var ae *agent.Error
		gotTries := -1
		if errors.As(err, &ae) && ae.TriesLeft != nil {
			gotTries = *ae.TriesLeft
		}
		if gotTries != st.wantTries {
			t.Errorf("step %d: TriesLeft %d, want %d", i, gotTries, st.wantTries)
		}
		toks, err2 := s.Tokens()
		if err2 != nil || len(toks) != 1 || toks[0].PINTriesLeft != st.wantTokens {
			t.Errorf("step %d: Tokens() = %+v, %v; want PINTriesLeft %d", i, toks, err2, st.wantTokens)
		}
		if err != nil && strings.Contains(err.Error(), st.pin) {
			t.Errorf("step %d: the error mentions the PIN: %v", i, err)
		}
		if err == nil && !agenttest.Verify(t, sig, digest) {
			t.Errorf("step %d: signature does not verify", i)
		}
	}
	// The failed logins left no one logged in: a sign with a wrong PIN
	// right after a good one still fails.
	if _, err := s.Sign(context.Background(), slot, userPIN, digest); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sign(context.Background(), slot, "111111", digest); code(err) != agent.ErrWrongPIN {
		t.Errorf("wrong PIN after a good sign = %v, want wrong_pin", err)
	}
}

func TestClosed(t *testing.T) {
	h := newSoftHSM(t)
	s, err := p11.Open(h.module)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tokens(); err == nil {
		t.Error("Tokens after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p11.Open(filepath.Join(t.TempDir(), "missing.so")); err == nil {
		t.Error("Open(missing module) succeeded")
	}
}

func BenchmarkSign(b *testing.B) {
	h := newSoftHSM(b)
	rk, ek := keys(b)
	h.addToken(b, "citizen", rk[0], 0x1001)
	h.addToken(b, "business", ek, 0x2002)
	s := h.open(b)
	digest := agent.Digest(origin, []byte("0123456789abcdef"))
	for _, bc := range []struct{ name, serial string }{{"RSA2048", "1001"}, {"P256", "2002"}} {
		b.Run(bc.name, func(b *testing.B) {
			slot, der, err := s.FindByCertSerial(bc.serial)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.SignWithCert(context.Background(), slot, der, userPIN, digest); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
