package agent_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/sim"
)

const (
	originA = "https://portal.example"
	originB = "http://127.0.0.1:8080"
	// The PINs contain letters so that no number in a log line (a duration,
	// a port) can contain them by chance.
	citizenPIN  = "Kq7Zx9Wm"
	businessPIN = "Hv3Tn8Rb"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

var nhiData = agent.NHIData{CardNo: "000012345678", Name: "王小明", IDNo: "A123456789", Birth: "1980-01-02", Sex: "M", Issued: "2020-03-04"}

// newSim returns a Sim with two readers and three cards in the wallet:
// "nhi", "citizen" (RSA) and "business" (ECDSA).
func newSim(t testing.TB) *sim.Sim {
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
	s := sim.New(sim.Reader1, sim.Reader2)
	nhi := nhiData
	s.AddCard(&sim.Card{Label: "nhi", Type: agent.CardNHI, NHI: &nhi})
	for _, c := range []struct {
		label, typ, cn, pin string
		key                 crypto.Signer
	}{
		{"citizen", agent.CardCitizenCert, "王小明", citizenPIN, rsaKey},
		{"business", agent.CardBusinessCert, "範例股份有限公司", businessPIN, ecKey},
	} {
		card, err := sim.NewSelfSignedCard(c.label, c.typ, c.cn, c.pin, c.key)
		if err != nil {
			t.Fatal(err)
		}
		s.AddCard(card)
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testServer is an agent Server over b, allowing originA and originB, with
// its log captured.
type testServer struct {
	h     http.Handler
	log   *syncBuffer
	clock *clock
}

func newServer(t testing.TB, b agent.Backend) *testServer {
	t.Helper()
	ts := &testServer{log: &syncBuffer{}, clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	srv := agent.NewServer(b, agent.Config{
		Version:        "1.2.3",
		AllowedOrigins: []string{originA, originB},
		Logger:         slogTo(ts.log),
		Now:            ts.clock.Now,
	})
	ts.h = srv.Handler()
	return ts
}

// do sends a request; body, when not nil, is marshalled as JSON.
func (ts *testServer) do(t testing.TB, method, path, origin string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:56161"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	rec := httptest.NewRecorder()
	ts.h.ServeHTTP(rec, req)
	return rec
}

// errorCode is the code of an error answer, or "".
func errorCode(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var out struct {
		Error *agent.Error `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, rec.Body.String())
	}
	if out.Error == nil {
		return ""
	}
	if out.Error.Message == "" {
		t.Errorf("error %s has no message", out.Error.Code)
	}
	return out.Error.Code
}

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, rec.Body.String())
	}
	return v
}

func nonce(t testing.TB, n int) ([]byte, string) {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b, base64.StdEncoding.EncodeToString(b)
}

// stubBackend answers every call with err, and has one reader with a card.
type stubBackend struct{ err error }

func (b stubBackend) Readers(context.Context) ([]agent.ReaderStatus, error) {
	return []agent.ReaderStatus{{Name: "r", Present: true, CardType: agent.CardCitizenCert, PINTriesLeft: -1}}, nil
}

func (b stubBackend) Read(context.Context, string) (*agent.CardData, error) { return nil, b.err }

func (b stubBackend) Sign(context.Context, string, string, []byte) (*agent.Signature, error) {
	return nil, b.err
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
