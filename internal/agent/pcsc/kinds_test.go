package pcsc_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/card"
	"github.com/multicert/multicert/internal/cardemu"
	"github.com/multicert/multicert/internal/devca"
)

var (
	kindsOnce sync.Once
	kindsCA   *devca.CA
	kindsErr  error
)

func kindsDevCA(t *testing.T) *devca.CA {
	t.Helper()
	kindsOnce.Do(func() { kindsCA, kindsErr = devca.NewCA(devca.Options{}) })
	if kindsErr != nil {
		t.Fatal(kindsErr)
	}
	return kindsCA
}

// TestReadCertChoosesByKeyUsage: a citizen card holding an encryption and a
// signing certificate gives the signing one, in either slot order, through
// the real stack (cardemu → vpcd → pcscd → scard).
func TestReadCertChoosesByKeyUsage(t *testing.T) {
	ca := kindsDevCA(t)
	pair, err := ca.IssueCitizenPair("王小明", "A123456789", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sign, enc := pair.Cert.Raw, pair.EncCert.Raw
	tests := []struct {
		name string
		emu  cardemu.Card
	}{
		// Slot 2 is where a reader by position looks first.
		{"encryption certificate in slot 2", cardemu.NewCertCard(enc, card.TypeCitizenCert, pair.TokenSerial, cardemu.WithSlot1(sign))},
		{"encryption certificate in slot 1", cardemu.NewCertCard(sign, card.TypeCitizenCert, pair.TokenSerial, cardemu.WithSlot1(enc))},
		{"second generation, encryption in slot 2", cardemu.NewCertCard(enc, card.TypeCitizenCert, "", cardemu.WithGen2(), cardemu.WithSlot1(sign))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlot(t)
			s.insert(tt.emu)
			got, err := s.p.ReadCert(testCtx(t), s.name)
			if err != nil {
				t.Fatalf("ReadCert: %v", err)
			}
			if !bytes.Equal(got.DER, sign) {
				t.Fatalf("ReadCert gave the certificate with serial %s, want the signing one %s", got.Serial, pair.Cert.SerialNumber.Text(16))
			}
			cd, err := s.p.Read(testCtx(t), s.name)
			if err != nil || cd.Type != agent.CardCitizenCert || !bytes.Equal(cd.Cert.DER, sign) {
				t.Fatalf("Read = %+v, %v; want the signing certificate of a citizen card", cd, err)
			}
		})
	}
}

// TestDetectUnitKinds: GCA, XCA and HCA cards are units' certificate cards
// to the agent, like a 工商憑證.
func TestDetectUnitKinds(t *testing.T) {
	ca := kindsDevCA(t)
	nb, na := time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)
	cards := map[string]func() (*devca.Card, error){
		"GCA": func() (*devca.Card, error) { return ca.IssueGCA("2.16.886.101.20003", "測試市政府", nb, na) },
		"XCA": func() (*devca.Card, error) { return ca.IssueXCA("2.16.886.500.1", "測試大學", nb, na) },
		"HCA": func() (*devca.Card, error) { return ca.IssueHCA("0101090517", "測試醫院", nb, na) },
	}
	for name, issue := range cards {
		t.Run(name, func(t *testing.T) {
			c, err := issue()
			if err != nil {
				t.Fatal(err)
			}
			s := newSlot(t)
			s.insert(cardemu.NewCertCard(c.Cert.Raw, card.TypeBusinessCert, c.TokenSerial))
			typ, err := s.p.Detect(testCtx(t), s.name)
			if err != nil || typ != agent.CardBusinessCert {
				t.Fatalf("Detect = %q, %v; want %q", typ, err, agent.CardBusinessCert)
			}
		})
	}
}
