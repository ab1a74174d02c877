package hw_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/hw"
)

// fakeReader is a PC/SC reader whose answers the test sets.
type fakeReader struct {
	typ     string
	typErr  error
	nhi     *agent.NHIData
	cert    *agent.CertData
	certErr error
	calls   []string
}

func (f *fakeReader) Readers(context.Context) ([]agent.ReaderStatus, error) {
	return []agent.ReaderStatus{{Name: "R", Present: f.typ != "", CardType: f.typ, PINTriesLeft: -1}}, nil
}

func (f *fakeReader) ReadNHI(_ context.Context, reader string) (*agent.NHIData, error) {
	f.calls = append(f.calls, "ReadNHI "+reader)
	return f.nhi, nil
}

func (f *fakeReader) ReadCert(_ context.Context, reader string) (*agent.CertData, error) {
	f.calls = append(f.calls, "ReadCert "+reader)
	return f.cert, f.certErr
}

func (f *fakeReader) Detect(_ context.Context, reader string) (string, error) {
	f.calls = append(f.calls, "Detect "+reader)
	return f.typ, f.typErr
}

// fakeSigner is a PKCS#11 module with tokens: slot → certificate DER.
type fakeSigner struct {
	tokens   map[uint][]byte
	signedBy string // "slot/cert" of the last sign
}

func (f *fakeSigner) TokenSlots() ([]uint, error) {
	var out []uint
	for s := range f.tokens {
		out = append(out, s)
	}
	return out, nil
}

func (f *fakeSigner) FindByCertSerial(serialHex string) (uint, []byte, error) {
	for slot, der := range f.tokens {
		c, err := x509.ParseCertificate(der)
		if err == nil && c.SerialNumber.Text(16) == serialHex {
			return slot, der, nil
		}
	}
	return 0, nil, &agent.Error{Code: agent.ErrUnsupportedCard, Message: "找不到"}
}

func (f *fakeSigner) SignWithCert(_ context.Context, slot uint, certDER []byte, pin string, digest []byte) (*agent.Signature, error) {
	if pin != "123456" {
		two := 2
		return nil, &agent.Error{Code: agent.ErrWrongPIN, Message: "PIN 碼錯誤", TriesLeft: &two}
	}
	which := "token"
	if certDER != nil {
		which = certName(certDER)
	}
	f.signedBy = string(rune('0'+slot)) + "/" + which
	return &agent.Signature{Algorithm: "ECDSA-SHA256", Signature: []byte("sig"), Certificate: f.tokens[slot]}, nil
}

var certs = map[string]*x509.Certificate{}

func certName(der []byte) string {
	for n, c := range certs {
		if string(c.Raw) == string(der) {
			return n
		}
	}
	return "?"
}

func newCert(t *testing.T, name string, serial int64) *x509.Certificate {
	t.Helper()
	return newCertUsage(t, name, serial, x509.KeyUsageDigitalSignature)
}

func newCertUsage(t *testing.T, name string, serial int64, usage x509.KeyUsage) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		KeyUsage:     usage,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	certs[name] = c
	return c
}

func code(err error) string {
	var ae *agent.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	if err == nil {
		return ""
	}
	return "plain"
}

func TestRead(t *testing.T) {
	a := newCert(t, "A", 0xa1)
	nhi := &agent.NHIData{CardNo: "000012345678", Name: "王小明"}
	tests := []struct {
		name      string
		r         fakeReader
		wantCode  string
		wantType  string
		wantCalls []string
	}{
		{"NHI", fakeReader{typ: agent.CardNHI, nhi: nhi}, "", agent.CardNHI, []string{"Detect R", "ReadNHI R"}},
		{"citizen", fakeReader{typ: agent.CardCitizenCert, cert: agent.NewCertData(a, "")}, "", agent.CardCitizenCert, []string{"Detect R", "ReadCert R"}},
		{"business", fakeReader{typ: agent.CardBusinessCert, cert: agent.NewCertData(a, "")}, "", agent.CardBusinessCert, []string{"Detect R", "ReadCert R"}},
		{"empty", fakeReader{typ: agent.CardNone}, agent.ErrNoCard, "", []string{"Detect R"}},
		{"unknown", fakeReader{typ: agent.CardUnknown}, agent.ErrUnsupportedCard, "", []string{"Detect R"}},
		{"no reader", fakeReader{typErr: &agent.Error{Code: agent.ErrNoReader}}, agent.ErrNoReader, "", []string{"Detect R"}},
		{"removed", fakeReader{typ: agent.CardCitizenCert, certErr: &agent.Error{Code: agent.ErrCardRemoved}}, agent.ErrCardRemoved, "", []string{"Detect R", "ReadCert R"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			b := hw.New(&r, nil)
			cd, err := b.Read(context.Background(), "R")
			if got := code(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q", got, tt.wantCode)
			}
			if fmtCalls(r.calls) != fmtCalls(tt.wantCalls) {
				t.Errorf("calls = %v, want %v", r.calls, tt.wantCalls)
			}
			if err != nil {
				return
			}
			if cd.Type != tt.wantType || cd.Reader != "R" {
				t.Errorf("CardData = %+v, want type %s in R", cd, tt.wantType)
			}
			if (cd.NHI != nil) != (tt.wantType == agent.CardNHI) || (cd.Cert != nil) == (tt.wantType == agent.CardNHI) {
				t.Errorf("CardData = %+v: wrong parts filled in", cd)
			}
		})
	}
}

// oneConnection is a fakeReader that reads a card in one connection.
type oneConnection struct{ fakeReader }

func (f *oneConnection) Read(_ context.Context, reader string) (*agent.CardData, error) {
	f.calls = append(f.calls, "Read "+reader)
	return &agent.CardData{Reader: reader, Type: agent.CardNHI, NHI: f.nhi}, nil
}

// TestReadInOneConnection: a reader that detects and reads in one
// connection does both, and nothing else is asked of it.
func TestReadInOneConnection(t *testing.T) {
	r := &oneConnection{fakeReader{typ: agent.CardNHI, nhi: &agent.NHIData{CardNo: "000012345678", Name: "王小明"}}}
	cd, err := hw.New(r, nil).Read(context.Background(), "R")
	if err != nil || cd.Type != agent.CardNHI || cd.NHI != r.nhi {
		t.Errorf("Read() = %+v, %v; want the NHI card", cd, err)
	}
	if want := []string{"Read R"}; fmtCalls(r.calls) != fmtCalls(want) {
		t.Errorf("calls = %v, want %v", r.calls, want)
	}
}

func fmtCalls(c []string) string {
	s := ""
	for _, x := range c {
		s += x + ";"
	}
	return s
}

func TestSign(t *testing.T) {
	a := newCert(t, "A", 0xa1)
	b := newCert(t, "B", 0xb2)
	c := newCert(t, "C", 0xc3)
	enc := newCertUsage(t, "E", 0xe4, x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment)
	digest := agent.Digest("https://portal.example", []byte("0123456789abcdef"))
	badFormat := errors.New("unknown file layout")
	tests := []struct {
		name     string
		r        fakeReader
		tokens   map[uint][]byte
		pin      string
		wantCode string
		wantBy   string // "slot/cert" that signed
	}{
		{"by certificate among two", fakeReader{typ: agent.CardCitizenCert, cert: agent.NewCertData(b, "")},
			map[uint][]byte{1: a.Raw, 2: b.Raw}, "123456", "", "2/B"},
		{"PC/SC read the encryption certificate: the token's signing key", fakeReader{typ: agent.CardCitizenCert, cert: agent.NewCertData(enc, "")},
			map[uint][]byte{1: a.Raw, 5: enc.Raw}, "123456", "", "5/token"},
		{"by serial only", fakeReader{typ: agent.CardBusinessCert, cert: &agent.CertData{Serial: "a1"}},
			map[uint][]byte{1: a.Raw, 2: b.Raw}, "123456", "", "1/A"},
		{"certificate on no token", fakeReader{typ: agent.CardCitizenCert, cert: agent.NewCertData(c, "")},
			map[uint][]byte{1: a.Raw, 2: b.Raw}, "123456", agent.ErrUnsupportedCard, ""},
		{"PC/SC cannot read: the only token", fakeReader{typ: agent.CardUnknown, certErr: badFormat},
			map[uint][]byte{1: a.Raw}, "123456", "", "1/token"},
		{"PC/SC cannot detect: the only token", fakeReader{typErr: badFormat, certErr: badFormat},
			map[uint][]byte{3: c.Raw}, "123456", "", "3/token"},
		{"PC/SC cannot read, two tokens", fakeReader{typ: agent.CardCitizenCert, certErr: &agent.Error{Code: agent.ErrUnsupportedCard}},
			map[uint][]byte{1: a.Raw, 2: b.Raw}, "123456", agent.ErrUnsupportedCard, ""},
		{"PC/SC cannot read, no token", fakeReader{typ: agent.CardCitizenCert, certErr: badFormat},
			map[uint][]byte{}, "123456", agent.ErrNoCard, ""},
		{"NHI card", fakeReader{typ: agent.CardNHI}, map[uint][]byte{1: a.Raw}, "123456", agent.ErrUnsupportedCard, ""},
		{"no card", fakeReader{typ: agent.CardNone}, map[uint][]byte{1: a.Raw}, "123456", agent.ErrNoCard, ""},
		{"no reader", fakeReader{typErr: &agent.Error{Code: agent.ErrNoReader}}, map[uint][]byte{1: a.Raw}, "123456", agent.ErrNoReader, ""},
		{"removed while reading", fakeReader{typ: agent.CardCitizenCert, certErr: &agent.Error{Code: agent.ErrCardRemoved}},
			map[uint][]byte{1: a.Raw}, "123456", agent.ErrCardRemoved, ""},
		{"wrong PIN passes through", fakeReader{typ: agent.CardCitizenCert, cert: agent.NewCertData(a, "")},
			map[uint][]byte{1: a.Raw}, "000000", agent.ErrWrongPIN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			s := &fakeSigner{tokens: tt.tokens}
			sig, err := hw.New(&r, s).Sign(context.Background(), "R", tt.pin, digest)
			if got := code(err); got != tt.wantCode {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if s.signedBy != tt.wantBy {
				t.Errorf("signed by %q, want %q", s.signedBy, tt.wantBy)
			}
			if err == nil && sig == nil {
				t.Error("no signature and no error")
			}
		})
	}
}

func TestSignWithoutPKCS11(t *testing.T) {
	a := newCert(t, "A", 0xa1)
	r := &fakeReader{typ: agent.CardCitizenCert, cert: agent.NewCertData(a, "")}
	_, err := hw.New(r, nil).Sign(context.Background(), "R", "123456", make([]byte, 32))
	if got := code(err); got != agent.ErrUnsupportedCard {
		t.Errorf("Sign without a PKCS#11 module: %q, want %q", got, agent.ErrUnsupportedCard)
	}
	rs, err := hw.New(r, nil).Readers(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Name != "R" {
		t.Errorf("Readers = %v, %v; want the reader's list", rs, err)
	}
}
