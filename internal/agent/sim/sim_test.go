package sim_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/agenttest"
	"github.com/multicert/multicert/internal/agent/sim"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func keys(t testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, ecKey
}

var nhiData = agent.NHIData{CardNo: "000012345678", Name: "王小明", IDNo: "A123456789", Birth: "1980-01-02", Sex: "M", Issued: "2020-03-04"}

// newSim returns a Sim with two readers and three cards in the wallet:
// "nhi", "citizen" (RSA, PIN 123456) and "business" (ECDSA, PIN 87654321).
func newSim(t testing.TB) *sim.Sim {
	t.Helper()
	rk, ek := keys(t)
	s := sim.New(sim.Reader1, sim.Reader2)
	nhi := nhiData
	s.AddCard(&sim.Card{Label: "nhi", Type: agent.CardNHI, NHI: &nhi})
	c, err := sim.NewSelfSignedCard("citizen", agent.CardCitizenCert, "王小明", "123456", rk)
	if err != nil {
		t.Fatal(err)
	}
	s.AddCard(c)
	b, err := sim.NewSelfSignedCard("business", agent.CardBusinessCert, "範例股份有限公司", "87654321", ek)
	if err != nil {
		t.Fatal(err)
	}
	s.AddCard(b)
	return s
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

func digest() []byte {
	return agent.Digest("https://portal.example", []byte("0123456789abcdef"))
}

func TestPINTriesAndLock(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	if err := s.Insert(sim.Reader1, "citizen"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		pin       string
		wantCode  string
		wantTries int // -1: no TriesLeft
		wantRead  int // PINTriesLeft in Readers afterwards
	}{
		{"000000", agent.ErrWrongPIN, 2, 2},
		{"123456", "", -1, 3}, // the right PIN resets the count
		{"000000", agent.ErrWrongPIN, 2, 2},
		{"111111", agent.ErrWrongPIN, 1, 1},
		{"222222", agent.ErrPINLocked, 0, 0},
		{"123456", agent.ErrPINLocked, 0, 0}, // locked for good
	}
	for i, st := range steps {
		sig, err := s.Sign(ctx, sim.Reader1, st.pin, digest())
		if got := code(err); got != st.wantCode {
			t.Fatalf("step %d: code = %q, want %q", i, got, st.wantCode)
		}
		var ae *agent.Error
		gotTries := -1
		if errors.As(err, &ae) && ae.TriesLeft != nil {
			gotTries = *ae.TriesLeft
		}
		if gotTries != st.wantTries {
			t.Errorf("step %d: TriesLeft = %d, want %d", i, gotTries, st.wantTries)
		}
		if err == nil && sig == nil {
			t.Errorf("step %d: no signature and no error", i)
		}
		rs, _ := s.Readers(ctx)
		if got := rs[0].PINTriesLeft; got != st.wantRead {
			t.Errorf("step %d: Readers PINTriesLeft = %d, want %d", i, got, st.wantRead)
		}
		if got, want := rs[0].PINLocked, st.wantRead == 0; got != want {
			t.Errorf("step %d: PINLocked = %v, want %v", i, got, want)
		}
	}
}

func TestSignVerifies(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	s.Insert(sim.Reader1, "citizen")
	s.Insert(sim.Reader2, "business")
	d := digest()
	tests := []struct {
		reader, pin, wantAlg string
	}{
		{sim.Reader1, "123456", "RSA-PKCS1v15-SHA256"},
		{sim.Reader2, "87654321", "ECDSA-SHA256"},
	}
	for _, tt := range tests {
		sig, err := s.Sign(ctx, tt.reader, tt.pin, d)
		if err != nil {
			t.Fatalf("%s: %v", tt.reader, err)
		}
		if sig.Algorithm != tt.wantAlg {
			t.Errorf("%s: Algorithm = %q, want %q", tt.reader, sig.Algorithm, tt.wantAlg)
		}
		cd, err := s.Read(ctx, tt.reader)
		if err != nil {
			t.Fatal(err)
		}
		if string(cd.Cert.DER) != string(sig.Certificate) {
			t.Errorf("%s: signature's certificate differs from the card's", tt.reader)
		}
		if !agenttest.Verify(t, sig, d) {
			t.Errorf("%s: signature does not verify", tt.reader)
		}
		other := sha256.Sum256([]byte("other"))
		if agenttest.Verify(t, sig, other[:]) {
			t.Errorf("%s: signature verifies over another digest", tt.reader)
		}
	}
}

// TestReadNameNeedsCheck: a simulated card holds a name with a 造字 as a
// real one reads: U+FFFD, the raw bytes and the flag, given back as they are.
func TestReadNameNeedsCheck(t *testing.T) {
	s := sim.New(sim.Reader1)
	nhi := nhiData
	nhi.Name, nhi.NameRaw, nhi.NameNeedsCheck = "王\ufffd明", "a4fdfefea9fa", true
	s.AddCard(&sim.Card{Label: "造字", Type: agent.CardNHI, NHI: &nhi})
	if err := s.Insert(sim.Reader1, "造字"); err != nil {
		t.Fatal(err)
	}
	cd, err := s.Read(context.Background(), sim.Reader1)
	if err != nil {
		t.Fatal(err)
	}
	if cd.NHI == nil || *cd.NHI != nhi {
		t.Errorf("Read NHI = %+v, want %+v", cd.NHI, nhi)
	}
}

func TestRead(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	s.Insert(sim.Reader1, "nhi")
	s.Insert(sim.Reader2, "business")

	cd, err := s.Read(ctx, sim.Reader1)
	if err != nil {
		t.Fatal(err)
	}
	want := nhiData
	want.NameRaw = "a4fda470a9fa" // 王小明 in Big5, as a card holds it
	if cd.Type != agent.CardNHI || cd.NHI == nil || *cd.NHI != want || cd.Cert != nil {
		t.Errorf("Read NHI = %+v, want type %s with %+v", cd, agent.CardNHI, want)
	}
	cd, err = s.Read(ctx, sim.Reader2)
	if err != nil {
		t.Fatal(err)
	}
	if cd.Type != agent.CardBusinessCert || cd.Cert == nil || cd.NHI != nil {
		t.Fatalf("Read cert = %+v", cd)
	}
	if cd.Cert.Serial == "" || len(cd.Cert.DER) == 0 || cd.Cert.TokenSerial == "" {
		t.Errorf("CertData incomplete: %+v", cd.Cert)
	}
	if cd.Reader != sim.Reader2 {
		t.Errorf("Reader = %q, want %q", cd.Reader, sim.Reader2)
	}

	_, err = s.Sign(ctx, sim.Reader1, "123456", digest())
	if got, want := code(err), agent.ErrUnsupportedCard; got != want {
		t.Errorf("Sign on NHI card: code %q, want %q", got, want)
	}
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Message != "健保卡不能簽章，請使用自然人憑證或工商憑證" {
		t.Errorf("Sign on NHI card: message %q", ae.Message)
	}
}

func TestInsertRemove(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	steps := []struct {
		op        func() error
		wantCode  string
		wantIn    [2]string // labels in Reader1, Reader2
		wantTypes [2]string
	}{
		{func() error { return nil }, "", [2]string{}, [2]string{}},
		{func() error { return s.Insert(sim.Reader1, "nhi") }, "", [2]string{"nhi", ""}, [2]string{agent.CardNHI, ""}},
		{func() error { return s.Insert(sim.Reader2, "nhi") }, "", [2]string{"", "nhi"}, [2]string{"", agent.CardNHI}}, // moves
		{func() error { return s.Insert(sim.Reader2, "citizen") }, "", [2]string{"", "citizen"}, [2]string{"", agent.CardCitizenCert}},
		{func() error { return s.Insert("沒有這台", "nhi") }, agent.ErrNoReader, [2]string{"", "citizen"}, [2]string{"", agent.CardCitizenCert}},
		{func() error { return s.Insert(sim.Reader1, "沒有這張") }, agent.ErrBadRequest, [2]string{"", "citizen"}, [2]string{"", agent.CardCitizenCert}},
		{func() error { return s.Remove(sim.Reader1) }, agent.ErrNoCard, [2]string{"", "citizen"}, [2]string{"", agent.CardCitizenCert}},
		{func() error { return s.Remove("沒有這台") }, agent.ErrNoReader, [2]string{"", "citizen"}, [2]string{"", agent.CardCitizenCert}},
		{func() error { return s.Remove(sim.Reader2) }, "", [2]string{}, [2]string{}},
	}
	for i, st := range steps {
		if got := code(st.op()); got != st.wantCode {
			t.Fatalf("step %d: code %q, want %q", i, got, st.wantCode)
		}
		where := map[string]string{}
		for _, c := range s.Wallet() {
			if c.Reader != "" {
				where[c.Reader] = c.Label
			}
		}
		rs, err := s.Readers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 {
			t.Fatalf("step %d: %d readers, want 2", i, len(rs))
		}
		for j, r := range []string{sim.Reader1, sim.Reader2} {
			if got := where[r]; got != st.wantIn[j] {
				t.Errorf("step %d: wallet says %q in %s, want %q", i, got, r, st.wantIn[j])
			}
			if rs[j].Name != r || !rs[j].Simulated {
				t.Errorf("step %d: reader %d = %+v", i, j, rs[j])
			}
			if got, want := rs[j].Present, st.wantIn[j] != ""; got != want {
				t.Errorf("step %d: %s Present = %v, want %v", i, r, got, want)
			}
			if got := rs[j].CardType; got != st.wantTypes[j] {
				t.Errorf("step %d: %s CardType = %q, want %q", i, r, got, st.wantTypes[j])
			}
		}
	}
	_, err := s.Read(ctx, sim.Reader1)
	if got, want := code(err), agent.ErrNoCard; got != want {
		t.Errorf("Read on an empty reader: %q, want %q", got, want)
	}
	_, err = s.Read(ctx, "沒有這台")
	if got, want := code(err), agent.ErrNoReader; got != want {
		t.Errorf("Read on an unknown reader: %q, want %q", got, want)
	}
	if got := len(s.Wallet()); got != 3 {
		t.Errorf("wallet has %d cards, want 3", got)
	}
}

func TestNoReaders(t *testing.T) {
	rs, err := sim.New().Readers(context.Background())
	if err != nil || len(rs) != 0 {
		t.Errorf("Readers() = %v, %v; want none", rs, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := newSim(t)
	d := digest()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := []string{sim.Reader1, sim.Reader2}[i%2]
			for j := range 20 {
				switch j % 5 {
				case 0:
					s.Insert(r, []string{"nhi", "citizen"}[j%2])
				case 1:
					s.Read(ctx, r)
				case 2:
					s.Sign(ctx, r, "123456", d) // always the right PIN: never locks
				case 3:
					s.Readers(ctx)
					s.Wallet()
				case 4:
					s.Remove(r)
				}
			}
		}()
	}
	wg.Wait()
	s.Insert(sim.Reader1, "citizen")
	rs, _ := s.Readers(ctx)
	if got := rs[0].PINTriesLeft; got != sim.MaxPINTries {
		t.Errorf("after concurrent right-PIN signs PINTriesLeft = %d, want %d", got, sim.MaxPINTries)
	}
	// The wallet and the readers agree: one card per occupied reader.
	inWallet := map[string]int{}
	for _, c := range s.Wallet() {
		if c.Reader != "" {
			inWallet[c.Reader]++
		}
	}
	for _, r := range rs {
		if got, want := inWallet[r.Name], map[bool]int{true: 1}[r.Present]; got != want {
			t.Errorf("%s: %d wallet cards say they are in it, want %d", r.Name, got, want)
		}
	}
}
