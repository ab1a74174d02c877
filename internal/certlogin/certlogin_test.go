package certlogin_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
)

const (
	origin = "https://portal.example.test"
	ban    = "04595257"
)

var nonce = []byte("0123456789abcdef0123456789abcdef")

// fixture is the CAs and cards the tests share; RSA-2048 keys take about
// 0.1 s each to make.
type fixture struct {
	now        time.Time
	ca, other  *devca.CA
	business   *devca.Card // valid 工商憑證
	citizen    *devca.Card // valid 自然人憑證
	ecdsa      *devca.Card // valid, P-256 key
	expired    *devca.Card
	notYet     *devca.Card
	noSig      *devca.Card // keyEncipherment only, like a card's encryption certificate
	revoked    *devca.Card
	untrusted  *devca.Card // from another CA with the same names
	twoSerials *devca.Card // subject with two serialNumber attributes
	noSerial   *devca.Card // subject without serialNumber
	badBAN     *devca.Card // serialNumber with a wrong BAN checksum
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
)

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fixErr = makeFixture(&fix) })
	if fixErr != nil {
		t.Fatalf("fixture: %v", fixErr)
	}
	return &fix
}

func makeFixture(f *fixture) error {
	var err error
	f.now = time.Now()
	now := f.now
	// Backdated, so that the expired card lies within its CA's validity.
	caOpts := devca.Options{NotBefore: now.AddDate(-5, 0, 0)}
	if f.ca, err = devca.NewCA(caOpts); err != nil {
		return err
	}
	if f.other, err = devca.NewCA(caOpts); err != nil {
		return err
	}
	valid := func(c *devca.Card, e error) *devca.Card {
		if err == nil {
			err = e
		}
		return c
	}
	year := now.AddDate(1, 0, 0)
	f.business = valid(f.ca.IssueBusiness(ban, "測試股份有限公司", now.Add(-time.Hour), year))
	f.citizen = valid(f.ca.IssueCitizen("王小明", "A123456789", now.Add(-time.Hour), year))
	ecKey, e := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if e != nil {
		return e
	}
	f.ecdsa = valid(f.ca.IssueWith(devca.KindBusiness, devca.BusinessTemplate(ban, "測試公司", now.Add(-time.Hour), year), ecKey))
	f.expired = valid(f.ca.IssueBusiness(ban, "測試公司", now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)))
	f.notYet = valid(f.ca.IssueBusiness(ban, "測試公司", now.Add(24*time.Hour), year))
	noSig := devca.BusinessTemplate(ban, "測試公司", now.Add(-time.Hour), year)
	noSig.KeyUsage = x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment
	f.noSig = valid(f.ca.IssueWith(devca.KindBusiness, noSig, nil))
	f.revoked = valid(f.ca.IssueBusiness(ban, "測試公司", now.Add(-time.Hour), year))
	f.untrusted = valid(f.other.IssueBusiness(ban, "測試股份有限公司", now.Add(-time.Hour), year))
	two := devca.BusinessTemplate(ban, "測試公司", now.Add(-time.Hour), year)
	serialOID := asn1.ObjectIdentifier{2, 5, 4, 5}
	if two.RawSubject, err = asn1.Marshal(pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "TW"}},
		{{Type: serialOID, Value: ban}},
		{{Type: serialOID, Value: "10458575"}},
	}); err != nil {
		return err
	}
	f.twoSerials = valid(f.ca.IssueWith(devca.KindBusiness, two, nil))
	f.noSerial = valid(f.ca.IssueWith(devca.KindBusiness, devca.BusinessTemplate("", "測試公司", now.Add(-time.Hour), year), nil))
	f.badBAN = valid(f.ca.IssueBusiness("04595259", "測試公司", now.Add(-time.Hour), year))
	return err
}

// verifier trusts f.ca's root and both its intermediates, at f.now.
func (f *fixture) verifier() *certlogin.Verifier {
	v := certlogin.NewVerifier([]*x509.Certificate{f.ca.Root.Cert}, f.ca.Intermediates())
	v.Now = func() time.Time { return f.now }
	return v
}

// crl makes a CRL for kind signed by ca, listing serials.
func crl(t testing.TB, ca *devca.CA, kind string, thisUpdate, nextUpdate time.Time, serials ...*big.Int) []byte {
	t.Helper()
	der, err := ca.CRL(kind, serials, thisUpdate, nextUpdate)
	if err != nil {
		t.Fatalf("CRL: %v", err)
	}
	return der
}

// login makes the input for a login at origin with nonce in which card
// signed signedOrigin and signedNonce (normally origin and nonce).
func login(t testing.TB, card *devca.Card, signedOrigin string, signedNonce []byte) certlogin.Input {
	t.Helper()
	alg, sig, err := card.Sign(agent.Digest(signedOrigin, signedNonce))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return certlogin.Input{
		CertDER:   card.Cert.Raw,
		Chain:     [][]byte{card.Issuer.Raw},
		Origin:    origin,
		Nonce:     nonce,
		Signature: sig,
		Algorithm: alg,
	}
}

func TestVerify(t *testing.T) {
	f := getFixture(t)
	tests := []struct {
		name  string
		input func(t *testing.T) certlogin.Input
		setup func(t *testing.T, v *certlogin.Verifier) // nil: no CRLs, RequireCRL off
		want  error                                     // nil: accepted
	}{
		// Accepted.
		{"RSA business card", func(t *testing.T) certlogin.Input { return login(t, f.business, origin, nonce) }, nil, nil},
		{"RSA citizen card", func(t *testing.T) certlogin.Input { return login(t, f.citizen, origin, nonce) }, nil, nil},
		{"ECDSA card, ASN.1 signature", func(t *testing.T) certlogin.Input { return login(t, f.ecdsa, origin, nonce) }, nil, nil},
		{"ECDSA card, raw r||s signature", func(t *testing.T) certlogin.Input {
			in := login(t, f.ecdsa, origin, nonce)
			var rs struct{ R, S *big.Int }
			if _, err := asn1.Unmarshal(in.Signature, &rs); err != nil {
				t.Fatal(err)
			}
			in.Signature = append(rs.R.FillBytes(make([]byte, 32)), rs.S.FillBytes(make([]byte, 32))...)
			return in
		}, nil, nil},
		{"origin in another but equivalent spelling", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			in.Origin = "HTTPS://Portal.Example.Test:443"
			return in
		}, nil, nil},
		{"no chain sent, intermediates configured", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			in.Chain = nil
			return in
		}, nil, nil},
		{"fresh CRL without the serial, CRL required", func(t *testing.T) certlogin.Input { return login(t, f.business, origin, nonce) },
			func(t *testing.T, v *certlogin.Verifier) {
				v.RequireCRL = true
				addCRL(t, v, crl(t, f.ca, devca.KindBusiness, f.now.Add(-time.Hour), f.now.Add(time.Hour), f.revoked.Cert.SerialNumber))
			}, nil},
		{"serial revoked by the other intermediate's CRL only", func(t *testing.T) certlogin.Input { return login(t, f.business, origin, nonce) },
			func(t *testing.T, v *certlogin.Verifier) {
				addCRL(t, v, crl(t, f.ca, devca.KindCitizen, f.now.Add(-time.Hour), f.now.Add(time.Hour), f.business.Cert.SerialNumber))
			}, nil},

		// Rejected.
		{"untrusted CA with the same names", func(t *testing.T) certlogin.Input { return login(t, f.untrusted, origin, nonce) },
			nil, certlogin.ErrUntrusted},
		{"untrusted CA, expired too", func(t *testing.T) certlogin.Input {
			c, err := f.other.IssueBusiness(ban, "測試公司", f.now.AddDate(-2, 0, 0), f.now.AddDate(-1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			return login(t, c, origin, nonce)
		}, nil, certlogin.ErrUntrusted},
		{"root certificate as the login certificate", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			sig, err := f.ca.Root.Key.Sign(rand.Reader, agent.Digest(origin, nonce), crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			in.CertDER, in.Chain, in.Signature = f.ca.Root.Cert.Raw, nil, sig
			return in
		}, nil, certlogin.ErrUntrusted},
		{"expired", func(t *testing.T) certlogin.Input { return login(t, f.expired, origin, nonce) }, nil, certlogin.ErrExpired},
		{"not yet valid", func(t *testing.T) certlogin.Input { return login(t, f.notYet, origin, nonce) }, nil, certlogin.ErrNotYetValid},
		{"no digitalSignature key usage", func(t *testing.T) certlogin.Input { return login(t, f.noSig, origin, nonce) }, nil, certlogin.ErrKeyUsage},
		{"revoked serial", func(t *testing.T) certlogin.Input { return login(t, f.revoked, origin, nonce) },
			func(t *testing.T, v *certlogin.Verifier) {
				addCRL(t, v, crl(t, f.ca, devca.KindBusiness, f.now.Add(-time.Hour), f.now.Add(time.Hour), big.NewInt(7), f.revoked.Cert.SerialNumber))
			}, certlogin.ErrRevoked},
		{"stale CRL (nextUpdate past)", func(t *testing.T) certlogin.Input { return login(t, f.business, origin, nonce) },
			func(t *testing.T, v *certlogin.Verifier) {
				addCRL(t, v, crl(t, f.ca, devca.KindBusiness, f.now.Add(-48*time.Hour), f.now.Add(-time.Minute)))
			}, certlogin.ErrCRLStale},
		{"no CRL for the issuer while required", func(t *testing.T) certlogin.Input { return login(t, f.business, origin, nonce) },
			func(t *testing.T, v *certlogin.Verifier) {
				v.RequireCRL = true
				addCRL(t, v, crl(t, f.ca, devca.KindCitizen, f.now.Add(-time.Hour), f.now.Add(time.Hour)))
			}, certlogin.ErrCRLStale},
		{"signature over another nonce", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, []byte("another nonce, e.g. an old one"))
			return in
		}, nil, certlogin.ErrBadSignature},
		{"signature for another origin", func(t *testing.T) certlogin.Input {
			return login(t, f.business, "https://phishing.example.test", nonce)
		}, nil, certlogin.ErrBadSignature},
		{"tampered RSA signature", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			in.Signature[len(in.Signature)/2] ^= 0x01
			return in
		}, nil, certlogin.ErrBadSignature},
		{"tampered ECDSA signature", func(t *testing.T) certlogin.Input {
			in := login(t, f.ecdsa, origin, nonce)
			in.Signature[len(in.Signature)-1] ^= 0x01
			return in
		}, nil, certlogin.ErrBadSignature},
		{"signature by another card", func(t *testing.T) certlogin.Input {
			in := login(t, f.citizen, origin, nonce)
			in.CertDER, in.Chain = f.business.Cert.Raw, [][]byte{f.business.Issuer.Raw}
			return in
		}, nil, certlogin.ErrBadSignature},
		{"unknown algorithm name", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			in.Algorithm = "RSA-PSS-SHA256"
			return in
		}, nil, certlogin.ErrMalformed},
		{"ECDSA algorithm with an RSA key", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			in.Algorithm = certlogin.AlgECDSA
			return in
		}, nil, certlogin.ErrMalformed},
		{"certificate not DER", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			in.CertDER = []byte("-----BEGIN CERTIFICATE-----")
			return in
		}, nil, certlogin.ErrMalformed},
		{"chain entry not DER", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nonce)
			in.Chain = [][]byte{{0x30, 0x03, 0x02}}
			return in
		}, nil, certlogin.ErrMalformed},
		{"empty nonce", func(t *testing.T) certlogin.Input {
			in := login(t, f.business, origin, nil)
			in.Nonce = nil
			return in
		}, nil, certlogin.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := f.verifier()
			if tt.setup != nil {
				tt.setup(t, v)
			}
			in := tt.input(t)
			got, err := v.Verify(t.Context(), in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify error = %v, want nil", err)
				}
				if string(got.Raw) != string(in.CertDER) {
					t.Errorf("Verify returned another certificate than the one sent")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("Verify returned certificate %q with an error, want nil", got.Subject)
			}
			if code := apperr.CodeOf(err); code != apperr.Unauthorized {
				t.Errorf("apperr.CodeOf = %q, want %q", code, apperr.Unauthorized)
			}
		})
	}
}

func addCRL(t *testing.T, v *certlogin.Verifier, der []byte) {
	t.Helper()
	if err := v.AddCRL(der); err != nil {
		t.Fatalf("AddCRL: %v", err)
	}
}

func TestVerifyChainFromInputOnly(t *testing.T) {
	f := getFixture(t)
	// Only the root is configured: the intermediate must come with the login.
	v := certlogin.NewVerifier([]*x509.Certificate{f.ca.Root.Cert}, nil)
	v.Now = func() time.Time { return f.now }
	tests := []struct {
		name  string
		chain [][]byte
		want  error
	}{
		{"intermediate sent", [][]byte{f.business.Issuer.Raw}, nil},
		{"no intermediate", nil, certlogin.ErrUntrusted},
		{"another CA's intermediate with the same name", [][]byte{f.other.Business.Cert.Raw}, certlogin.ErrUntrusted},
		{"too many chain certificates", [][]byte{f.business.Issuer.Raw, f.business.Issuer.Raw, f.business.Issuer.Raw, f.business.Issuer.Raw, f.business.Issuer.Raw}, certlogin.ErrMalformed},
	}
	for _, tt := range tests {
		in := login(t, f.business, origin, nonce)
		in.Chain = tt.chain
		_, err := v.Verify(t.Context(), in)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestVerifyZeroVerifier(t *testing.T) {
	f := getFixture(t)
	var v certlogin.Verifier
	if _, err := v.Verify(t.Context(), login(t, f.business, origin, nonce)); !errors.Is(err, certlogin.ErrUntrusted) {
		t.Errorf("zero Verifier: Verify error = %v, want %v", err, certlogin.ErrUntrusted)
	}
}

func TestVerifyBadOrigin(t *testing.T) {
	f := getFixture(t)
	in := login(t, f.business, origin, nonce)
	in.Origin = "https://portal.example.test/login"
	_, err := f.verifier().Verify(t.Context(), in)
	if err == nil || apperr.CodeOf(err) != apperr.Internal {
		t.Errorf("Verify with a configured origin that has a path: error = %v, want an %q error", err, apperr.Internal)
	}
}

func TestVerifyNowDefaultsToClock(t *testing.T) {
	f := getFixture(t)
	v := certlogin.NewVerifier([]*x509.Certificate{f.ca.Root.Cert}, f.ca.Intermediates())
	tests := []struct {
		card *devca.Card
		want error
	}{
		{f.business, nil},
		{f.expired, certlogin.ErrExpired},
	}
	for _, tt := range tests {
		_, err := v.Verify(t.Context(), login(t, tt.card, origin, nonce))
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Verify(%s) with Now nil: error = %v, want %v", tt.card.Cert.NotAfter, err, tt.want)
		}
	}
}

func TestAddCRL(t *testing.T) {
	f := getFixture(t)
	now := f.now
	tests := []struct {
		name    string
		first   []byte // loaded before, if any
		der     []byte
		wantErr bool
	}{
		{"business CRL", nil, crl(t, f.ca, devca.KindBusiness, now, now.Add(time.Hour)), false},
		{"citizen CRL", nil, crl(t, f.ca, devca.KindCitizen, now, now.Add(time.Hour)), false},
		{"newer CRL replaces older", crl(t, f.ca, devca.KindBusiness, now.Add(-time.Hour), now.Add(time.Hour)),
			crl(t, f.ca, devca.KindBusiness, now, now.Add(time.Hour)), false},
		{"older CRL refused", crl(t, f.ca, devca.KindBusiness, now, now.Add(time.Hour)),
			crl(t, f.ca, devca.KindBusiness, now.Add(-time.Hour), now.Add(time.Hour)), true},
		{"CRL of an untrusted CA with the same name", nil, crl(t, f.other, devca.KindBusiness, now, now.Add(time.Hour)), true},
		{"not a CRL", nil, f.business.Cert.Raw, true},
	}
	for _, tt := range tests {
		v := f.verifier()
		if tt.first != nil {
			if err := v.AddCRL(tt.first); err != nil {
				t.Fatalf("%s: first AddCRL: %v", tt.name, err)
			}
		}
		err := v.AddCRL(tt.der)
		if got := err != nil; got != tt.wantErr {
			t.Errorf("%s: AddCRL error = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestUntrustedCRLDoesNotRevoke(t *testing.T) {
	f := getFixture(t)
	v := f.verifier()
	// A CRL from the other CA naming our card's serial must not be loaded,
	// and so cannot revoke it.
	_ = v.AddCRL(crl(t, f.other, devca.KindBusiness, f.now, f.now.Add(time.Hour), f.business.Cert.SerialNumber))
	if _, err := v.Verify(t.Context(), login(t, f.business, origin, nonce)); err != nil {
		t.Errorf("Verify error = %v, want nil", err)
	}
}

func TestErrorsAreCodedInChinese(t *testing.T) {
	for _, e := range []*apperr.Error{
		certlogin.ErrMalformed, certlogin.ErrUntrusted, certlogin.ErrExpired, certlogin.ErrNotYetValid,
		certlogin.ErrRevoked, certlogin.ErrCRLStale, certlogin.ErrKeyUsage, certlogin.ErrBadSignature,
		certlogin.ErrNotBusinessCert, certlogin.ErrNotCitizenCert,
	} {
		if e.Code != apperr.Unauthorized {
			t.Errorf("%q: code = %q, want %q", e.Message, e.Code, apperr.Unauthorized)
		}
		han := 0
		for _, r := range e.Message {
			if unicode.Is(unicode.Han, r) {
				han++
			}
		}
		if han < 5 {
			t.Errorf("message %q has %d Han characters, want a Chinese sentence", e.Message, han)
		}
	}
	if certlogin.ErrExpired.Message != "憑證已過期，請使用有效的憑證卡" {
		t.Errorf("ErrExpired message = %q, want %q", certlogin.ErrExpired.Message, "憑證已過期，請使用有效的憑證卡")
	}
}

func TestBANFromCert(t *testing.T) {
	f := getFixture(t)
	tests := []struct {
		name string
		card *devca.Card
		want string // "" means ErrNotBusinessCert
	}{
		{"business card", f.business, ban},
		{"citizen card", f.citizen, ""},
		{"wrong BAN checksum", f.badBAN, ""},
		{"two serialNumber attributes", f.twoSerials, ""},
		{"no serialNumber", f.noSerial, ""},
	}
	for _, tt := range tests {
		got, err := certlogin.BANFromCert(tt.card.Cert)
		if tt.want == "" {
			if !errors.Is(err, certlogin.ErrNotBusinessCert) {
				t.Errorf("%s: BANFromCert = %q, %v; want error %v", tt.name, got, err, certlogin.ErrNotBusinessCert)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: BANFromCert = %q, %v; want %q, nil", tt.name, got, err, tt.want)
		}
	}
}

func TestIDSuffixFromCert(t *testing.T) {
	f := getFixture(t)
	tests := []struct {
		name string
		card *devca.Card
		want string // "" means ErrNotCitizenCert
	}{
		{"citizen card", f.citizen, "6789"},
		{"business card", f.business, ""},
		{"no serialNumber", f.noSerial, ""},
	}
	for _, tt := range tests {
		got, err := certlogin.IDSuffixFromCert(tt.card.Cert)
		if tt.want == "" {
			if !errors.Is(err, certlogin.ErrNotCitizenCert) {
				t.Errorf("%s: IDSuffixFromCert = %q, %v; want error %v", tt.name, got, err, certlogin.ErrNotCitizenCert)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: IDSuffixFromCert = %q, %v; want %q, nil", tt.name, got, err, tt.want)
		}
	}
}

func TestNamesMatchAgent(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"business kind", devca.KindBusiness, agent.CardBusinessCert},
		{"citizen kind", devca.KindCitizen, agent.CardCitizenCert},
		{"RSA algorithm (devca)", devca.AlgRSA, certlogin.AlgRSA},
		{"ECDSA algorithm (devca)", devca.AlgECDSA, certlogin.AlgECDSA},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestIssuerSerial(t *testing.T) {
	f := getFixture(t)
	for _, card := range []*devca.Card{f.business, f.citizen} {
		issuer, serial := certlogin.IssuerSerial(card.Cert)
		if want := card.Issuer.Subject.String(); issuer != want {
			t.Errorf("issuer = %q, want %q", issuer, want)
		}
		if want := card.Cert.SerialNumber.Text(16); serial != want {
			t.Errorf("serial = %q, want %q", serial, want)
		}
		// The binding must match what the card agent reports.
		d := agent.NewCertData(card.Cert, "")
		if issuer != d.Issuer || serial != d.Serial {
			t.Errorf("IssuerSerial = %q, %q; agent.NewCertData gives %q, %q", issuer, serial, d.Issuer, d.Serial)
		}
	}
	c := &x509.Certificate{SerialNumber: big.NewInt(0x0abcdef), Issuer: pkix.Name{Country: []string{"TW"}, CommonName: "X"}}
	if issuer, serial := certlogin.IssuerSerial(c); issuer != "CN=X,C=TW" || serial != "abcdef" {
		t.Errorf("IssuerSerial = %q, %q; want %q, %q", issuer, serial, "CN=X,C=TW", "abcdef")
	}
}

func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	v := f.verifier()
	v.RequireCRL = true
	serials := make([]*big.Int, 1000)
	for i := range serials {
		serials[i] = big.NewInt(int64(i) + 1)
	}
	if err := v.AddCRL(crl(b, f.ca, devca.KindBusiness, f.now.Add(-time.Hour), f.now.Add(time.Hour), serials...)); err != nil {
		b.Fatal(err)
	}
	in := login(b, f.business, origin, nonce)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
}
