package pcsc_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/pcsc"
	"github.com/multicert/multicert/internal/card"
	"github.com/multicert/multicert/internal/cardemu"
)

// stateTimeout bounds waiting for vpcd to notice an insertion or removal
// (it polls about every 400 ms).
const stateTimeout = 10 * time.Second

// virtualReader returns the name of vpcd's first reader.
func virtualReader(t testing.TB, p *pcsc.PCSC) string {
	t.Helper()
	names, err := p.ReaderNames(testCtx(t))
	if err != nil {
		t.Fatalf("ReaderNames: %v", err)
	}
	var found string
	for _, n := range names {
		if n == readerPrefix+" 00 00" {
			return n
		}
		if found == "" && strings.Contains(n, readerPrefix) {
			found = n
		}
	}
	if found == "" {
		t.Fatalf("ReaderNames() = %q, want a name containing %q", names, readerPrefix)
	}
	return found
}

// slot is vpcd's first reader with an emulated card plugged in or out.
type slot struct {
	t      testing.TB
	p      *pcsc.PCSC
	name   string
	reader *cardemu.Reader
}

// newSlot returns the empty virtual reader; the card is removed at the
// end of the test.
func newSlot(t testing.TB) *slot {
	t.Helper()
	requireStack(t)
	p := newPCSC(t)
	s := &slot{t: t, p: p, name: virtualReader(t, p), reader: cardemu.NewReader(vpcdAddr)}
	s.waitPresent(false) // a previous test's card must be gone
	t.Cleanup(func() {
		if s.reader.Inserted() {
			s.remove()
		}
	})
	return s
}

// insert plugs c in and waits until PC/SC sees it.
func (s *slot) insert(c cardemu.Card) {
	s.t.Helper()
	var err error
	deadline := time.Now().Add(stateTimeout)
	for err = s.reader.Insert(c); err != nil; err = s.reader.Insert(c) {
		if time.Now().After(deadline) {
			s.t.Fatalf("Insert: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.waitPresent(true)
}

// remove pulls the card out and waits until PC/SC sees the reader empty.
func (s *slot) remove() {
	s.t.Helper()
	if err := s.reader.Remove(); err != nil {
		s.t.Fatalf("Remove: %v", err)
	}
	s.waitPresent(false)
}

func (s *slot) waitPresent(want bool) {
	s.t.Helper()
	deadline := time.Now().Add(stateTimeout)
	for {
		got, err := s.p.Present(testCtx(s.t), s.name)
		if err != nil {
			s.t.Fatalf("Present(%q): %v", s.name, err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("Present(%q) still %v after %v, want %v", s.name, got, stateTimeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantCode fails unless err is an *agent.Error with code (and, when
// msgPart is not empty, a message containing it).
func wantCode(t testing.TB, what string, err error, code, msgPart string) {
	t.Helper()
	var ae *agent.Error
	if !errors.As(err, &ae) {
		t.Errorf("%s error = %v (%T), want an *agent.Error %q", what, err, err, code)
		return
	}
	if ae.Code != code {
		t.Errorf("%s error code = %q (%s), want %q", what, ae.Code, ae.Message, code)
	}
	if msgPart != "" && !strings.Contains(ae.Message, msgPart) {
		t.Errorf("%s error message = %q, want it to contain %q", what, ae.Message, msgPart)
	}
}

var wang = card.NHIBasic{
	CardNo: "000012345678",
	Name:   "王小明",
	IDNo:   "A123456789",
	Birth:  time.Date(1979, 1, 1, 0, 0, 0, 0, time.UTC),
	Sex:    "M",
	Issued: time.Date(2019, 12, 11, 0, 0, 0, 0, time.UTC),
}

var wantWang = agent.NHIData{
	CardNo:  "000012345678",
	Name:    "王小明",
	NameRaw: "a4fda470a9fa",
	IDNo:    "A123456789",
	Birth:   "1979-01-01",
	Sex:     "M",
	Issued:  "2019-12-11",
}

// Test certificates: RSA keys are slow to make, so make them once.
var (
	keysOnce sync.Once
	caKey    *rsa.PrivateKey
	userKey  *rsa.PrivateKey
)

// devCert returns a DER certificate of about 1.5 KB issued by a
// development CA with OU unit (or, with an empty unit, by another CA), so
// several READ BINARY chunks are needed.
func devCert(t testing.TB, unit string) (*x509.Certificate, []byte) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if caKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if userKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	issuer := pkix.Name{Country: []string{"TW"}, Organization: []string{card.DevCAOrg}, OrganizationalUnit: []string{unit}, CommonName: "multicert 測試憑證管理中心"}
	if unit == "" {
		issuer = pkix.Name{Country: []string{"TW"}, Organization: []string{"某銀行網路憑證中心"}}
	}
	now := time.Now().Truncate(time.Second)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: issuer,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	serial, _ := new(big.Int).SetString("7a3f00c1d2e3f40516273849", 16)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{Country: []string{"TW"}, CommonName: "王小明", SerialNumber: "0000000012345678",
			Organization: []string{"測試股份有限公司"}},
		NotBefore:      now.Add(-time.Hour),
		NotAfter:       now.Add(24 * time.Hour),
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		EmailAddresses: []string{"wang@example.com"},
		CRLDistributionPoints: []string{
			"http://moica.example.test/repository/MOICA/CRL2/complete.crl",
			"http://moica.example.test/repository/MOICA/CRL2/partition-0001.crl",
		},
		OCSPServer:            []string{"http://ocsp.example.test/OCSP/ocsp"},
		IssuingCertificateURL: []string{"http://moica.example.test/repository/Certs/IssuedToThisCA.p7b"},
		PolicyIdentifiers:     []asn1.ObjectIdentifier{{2, 16, 886, 101, 0, 3, 1}},
		URIs:                  []*url.URL{{Scheme: "https", Host: "multicert.example.test", Path: "/" + strings.Repeat("x", 180)}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &userKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, der
}

func TestReaderListing(t *testing.T) {
	s := newSlot(t)
	ctx := testCtx(t)
	names, err := s.p.ReaderNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("ReaderNames() is empty, want vpcd's readers")
	}
	list, err := s.p.Readers(ctx)
	if err != nil {
		t.Fatalf("Readers: %v", err)
	}
	if len(list) != len(names) {
		t.Errorf("Readers() lists %d readers, ReaderNames() %d", len(list), len(names))
	}
	var got *agent.ReaderStatus
	for i := range list {
		if list[i].Name == s.name {
			got = &list[i]
		}
	}
	if got == nil {
		t.Fatalf("Readers() = %+v, want %q in it", list, s.name)
	}
	if want := (agent.ReaderStatus{Name: s.name, PINTriesLeft: -1}); *got != want {
		t.Errorf("Readers() entry = %+v, want %+v", *got, want)
	}
}

func TestEmptyReaderAndUnknownReader(t *testing.T) {
	s := newSlot(t)
	ctx := testCtx(t)
	const noCard = "讀卡機中沒有卡片，請插入健保卡或憑證卡"
	_, err := s.p.ReadNHI(ctx, s.name)
	wantCode(t, "ReadNHI", err, agent.ErrNoCard, noCard)
	_, err = s.p.ReadCert(ctx, s.name)
	wantCode(t, "ReadCert", err, agent.ErrNoCard, noCard)
	_, err = s.p.Detect(ctx, s.name)
	wantCode(t, "Detect", err, agent.ErrNoCard, noCard)
	_, err = s.p.Read(ctx, s.name)
	wantCode(t, "Read", err, agent.ErrNoCard, noCard)

	for _, name := range []string{"No Such Reader 00 00", ""} {
		_, err = s.p.ReadNHI(ctx, name)
		wantCode(t, "ReadNHI("+name+")", err, agent.ErrNoReader, "")
		_, err = s.p.Present(ctx, name)
		wantCode(t, "Present("+name+")", err, agent.ErrNoReader, "")
	}
}

func TestReadNHI(t *testing.T) {
	tests := []struct {
		name     string
		selectSW uint16
	}{
		{"select answered 9000", card.SWOK},
		{"select answered 6D00, as newer cards do", card.SWINSNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlot(t)
			ctx := testCtx(t)
			s.insert(cardemu.NewNHICard(wang, cardemu.WithSelectSW(tt.selectSW)))

			got, err := s.p.ReadNHI(ctx, s.name)
			if err != nil {
				t.Fatalf("ReadNHI: %v", err)
			}
			if *got != wantWang {
				t.Errorf("ReadNHI() = %+v, want %+v", *got, wantWang)
			}
			if typ, err := s.p.Detect(ctx, s.name); err != nil || typ != agent.CardNHI {
				t.Errorf("Detect() = %q, %v; want %q", typ, err, agent.CardNHI)
			}
			data, err := s.p.Read(ctx, s.name)
			if err != nil || data.Type != agent.CardNHI || data.Reader != s.name || data.NHI == nil || *data.NHI != wantWang || data.Cert != nil {
				t.Errorf("Read() = %+v, %v; want NHI data %+v", data, err, wantWang)
			}
			_, err = s.p.ReadCert(ctx, s.name)
			wantCode(t, "ReadCert of an NHI card", err, agent.ErrUnsupportedCard, "")

			s.remove()
			_, err = s.p.ReadNHI(ctx, s.name)
			wantCode(t, "ReadNHI after removal", err, agent.ErrNoCard, "")
		})
	}
}

func TestReadCert(t *testing.T) {
	citizen, citizenDER := devCert(t, card.DevCAUnitCitizen)
	business, businessDER := devCert(t, card.DevCAUnitBusiness)
	tests := []struct {
		name       string
		cert       *x509.Certificate
		emu        cardemu.Card
		wantType   string
		wantSerial string
	}{
		{"citizen card, MOICA ATR", citizen, cardemu.NewCertCard(citizenDER, card.TypeCitizenCert, "TP00000012345678"), agent.CardCitizenCert, "TP00000012345678"},
		{"citizen card, unknown ATR", citizen, cardemu.NewCertCard(citizenDER, card.TypeCitizenCert, "TP01", cardemu.WithATR(cardemu.DefaultHiCOSATR)), agent.CardCitizenCert, "TP01"},
		{"business card", business, cardemu.NewCertCard(businessDER, card.TypeBusinessCert, "MT00000002872688"), agent.CardBusinessCert, "MT00000002872688"},
		{"business card with the MOICA ATR", business, cardemu.NewCertCard(businessDER, card.TypeBusinessCert, "MT02", cardemu.WithATR(card.ATRMOICA)), agent.CardBusinessCert, "MT02"},
		{"second-generation citizen card", citizen, cardemu.NewCertCard(citizenDER, card.TypeCitizenCert, "", cardemu.WithGen2()), agent.CardCitizenCert, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlot(t)
			ctx := testCtx(t)
			s.insert(tt.emu)

			got, err := s.p.ReadCert(ctx, s.name)
			if err != nil {
				t.Fatalf("ReadCert: %v", err)
			}
			want := agent.CertData{
				DER:         tt.cert.Raw,
				Serial:      "7a3f00c1d2e3f40516273849", // agent.NewCertData: lower-case hex, as p11 and the portal compare
				Subject:     tt.cert.Subject.String(),
				Issuer:      tt.cert.Issuer.String(),
				NotBefore:   tt.cert.NotBefore,
				NotAfter:    tt.cert.NotAfter,
				TokenSerial: tt.wantSerial,
			}
			if !bytes.Equal(got.DER, want.DER) {
				t.Errorf("ReadCert() DER is %d bytes, not the %d-byte certificate on the card", len(got.DER), len(want.DER))
			}
			if got.Serial != want.Serial || got.Subject != want.Subject || got.Issuer != want.Issuer ||
				!got.NotBefore.Equal(want.NotBefore) || !got.NotAfter.Equal(want.NotAfter) || got.TokenSerial != want.TokenSerial {
				got.DER, want.DER = nil, nil
				t.Errorf("ReadCert() = %+v, want %+v", *got, want)
			}
			if !strings.Contains(got.Subject, "CN=王小明") {
				t.Errorf("Subject = %q, want it to contain CN=王小明", got.Subject)
			}
			if typ, err := s.p.Detect(ctx, s.name); err != nil || typ != tt.wantType {
				t.Errorf("Detect() = %q, %v; want %q", typ, err, tt.wantType)
			}
			data, err := s.p.Read(ctx, s.name)
			if err != nil || data.Type != tt.wantType || data.Cert == nil || !bytes.Equal(data.Cert.DER, want.DER) ||
				data.Cert.TokenSerial != tt.wantSerial || data.NHI != nil {
				t.Errorf("Read() = %+v, %v; want type %q with the certificate and token serial %q", data, err, tt.wantType, tt.wantSerial)
			}
			list, err := s.p.Readers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range list {
				if r.Name == s.name && (!r.Present || r.CardType != tt.wantType) {
					t.Errorf("Readers() entry = %+v, want present with type %q", r, tt.wantType)
				}
			}
			_, err = s.p.ReadNHI(ctx, s.name)
			wantCode(t, "ReadNHI of a certificate card", err, agent.ErrUnsupportedCard, "不是健保卡")
		})
	}
}

func TestUnusableCards(t *testing.T) {
	_, otherDER := devCert(t, "")
	tests := []struct {
		name     string
		emu      cardemu.Card
		wantType string
	}{
		{"NHI card with broken data", cardemu.NewNHICardRaw(bytes.Repeat([]byte{'?'}, card.NHIBasicLen)), agent.CardUnknown},
		{"HiCOS card of another CA", cardemu.NewCertCard(otherDER, card.TypeBusinessCert, "X"), agent.CardUnknown},
		{"HiCOS card of another CA, MOICA ATR", cardemu.NewCertCard(otherDER, card.TypeCitizenCert, "X"), agent.CardCitizenCert},
		{"HiCOS card with an empty certificate slot", cardemu.NewCertCard([]byte{0xFF, 0xFF}, card.TypeBusinessCert, "X"), agent.CardUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlot(t)
			ctx := testCtx(t)
			s.insert(tt.emu)
			if typ, err := s.p.Detect(ctx, s.name); err != nil || typ != tt.wantType {
				t.Errorf("Detect() = %q, %v; want %q", typ, err, tt.wantType)
			}
			_, err := s.p.ReadNHI(ctx, s.name)
			wantCode(t, "ReadNHI", err, agent.ErrUnsupportedCard, "")
			if tt.wantType == agent.CardUnknown {
				_, err = s.p.Read(ctx, s.name)
				wantCode(t, "Read", err, agent.ErrUnsupportedCard, "")
			}
		})
	}
}

// countingCard counts the APDUs its card receives.
type countingCard struct {
	cardemu.Card
	n atomic.Int64
}

func (c *countingCard) Transmit(apdu []byte) []byte {
	c.n.Add(1)
	return c.Card.Transmit(apdu)
}

func (c *countingCard) Reset() {
	if r, ok := c.Card.(cardemu.Resetter); ok {
		r.Reset()
	}
}

func TestReadersDetectsOncePerInsertion(t *testing.T) {
	s := newSlot(t)
	ctx := testCtx(t)
	typeIn := func() string {
		t.Helper()
		list, err := s.p.Readers(ctx)
		if err != nil {
			t.Fatalf("Readers: %v", err)
		}
		for _, r := range list {
			if r.Name == s.name {
				return r.CardType
			}
		}
		t.Fatalf("Readers() = %+v, want %q in it", list, s.name)
		return ""
	}

	nhi := &countingCard{Card: cardemu.NewNHICard(wang)}
	s.insert(nhi)
	if got := typeIn(); got != agent.CardNHI {
		t.Errorf("card type = %q, want %q", got, agent.CardNHI)
	}
	first := nhi.n.Load()
	if got := typeIn(); got != agent.CardNHI {
		t.Errorf("card type on the second listing = %q, want %q", got, agent.CardNHI)
	}
	if n := nhi.n.Load(); n != first || first == 0 {
		t.Errorf("the card got %d APDUs for the first listing and %d more for the second, want some and then none", first, n-first)
	}
	s.remove()
	if got := typeIn(); got != agent.CardNone {
		t.Errorf("card type after removal = %q, want none", got)
	}

	// Same ATR, other card: the insertion, not the ATR, invalidates.
	_, der := devCert(t, card.DevCAUnitBusiness)
	s.insert(cardemu.NewCertCard(der, card.TypeBusinessCert, "X", cardemu.WithATR(cardemu.DefaultNHIATR)))
	if got := typeIn(); got != agent.CardBusinessCert {
		t.Errorf("card type after swapping cards = %q, want %q", got, agent.CardBusinessCert)
	}
}

// removingCard pulls itself out of the reader on its after-th APDU.
type removingCard struct {
	cardemu.Card
	after  int64
	n      atomic.Int64
	remove func()
}

func (c *removingCard) Transmit(apdu []byte) []byte {
	if c.n.Add(1) == c.after {
		go c.remove()
		time.Sleep(100 * time.Millisecond) // answer after the connection is closed
	}
	return c.Card.Transmit(apdu)
}

func TestCardRemovedDuringRead(t *testing.T) {
	_, der := devCert(t, card.DevCAUnitCitizen)
	tests := []struct {
		name  string
		emu   cardemu.Card
		after int64 // the APDU during which the card is pulled out
		call  func(context.Context, *pcsc.PCSC, string) error
	}{
		{"ReadCert", cardemu.NewCertCard(der, card.TypeCitizenCert, "X"), 5, func(ctx context.Context, p *pcsc.PCSC, r string) error {
			_, err := p.ReadCert(ctx, r)
			return err
		}},
		{"ReadNHI", cardemu.NewNHICard(wang), 2, func(ctx context.Context, p *pcsc.PCSC, r string) error {
			_, err := p.ReadNHI(ctx, r)
			return err
		}},
		{"Detect during the NHI read", cardemu.NewNHICard(wang), 2, func(ctx context.Context, p *pcsc.PCSC, r string) error {
			_, err := p.Detect(ctx, r)
			return err
		}},
		{"Read during the certificate read", cardemu.NewCertCard(der, card.TypeBusinessCert, "X"), 6, func(ctx context.Context, p *pcsc.PCSC, r string) error {
			_, err := p.Read(ctx, r)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlot(t)
			emu := &removingCard{Card: tt.emu, after: tt.after}
			emu.remove = func() { _ = s.reader.Remove() }
			s.insert(emu)
			err := tt.call(testCtx(t), s.p, s.name)
			wantCode(t, tt.name+" with the card pulled out", err, agent.ErrCardRemoved, "取出")
			s.waitPresent(false)
		})
	}
}

func TestContextCanceled(t *testing.T) {
	s := newSlot(t)
	s.insert(cardemu.NewNHICard(wang))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.p.ReadNHI(ctx, s.name); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadNHI with a canceled context error = %v, want context.Canceled", err)
	}
	if _, err := s.p.Readers(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Readers with a canceled context error = %v, want context.Canceled", err)
	}
}

func TestClosed(t *testing.T) {
	requireStack(t)
	p, err := pcsc.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	_, err = p.ReaderNames(testCtx(t))
	wantCode(t, "ReaderNames after Close", err, agent.ErrInternal, "")
}

func BenchmarkReadNHI(b *testing.B) {
	s := newSlot(b)
	s.insert(cardemu.NewNHICard(wang))
	ctx := testCtx(b)
	for b.Loop() {
		if _, err := s.p.ReadNHI(ctx, s.name); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCert(b *testing.B) {
	_, der := devCert(b, card.DevCAUnitCitizen)
	s := newSlot(b)
	s.insert(cardemu.NewCertCard(der, card.TypeCitizenCert, "TP00000012345678"))
	ctx := testCtx(b)
	for b.Loop() {
		if _, err := s.p.ReadCert(ctx, s.name); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(der)), "cert-bytes")
}
