package agent_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/agenttest"
	"github.com/multicert/multicert/internal/agent/sim"
)

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		in, want string // want "" means an error
	}{
		{"https://portal.example", "https://portal.example"},
		{"HTTPS://Portal.Example", "https://portal.example"},
		{"https://portal.example:443", "https://portal.example"},
		{"http://portal.example:80", "http://portal.example"},
		{"https://portal.example:8443", "https://portal.example:8443"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"https://portal.example/", ""},
		{"https://portal.example/login", ""},
		{"https://portal.example?x=1", ""},
		{"https://portal.example#x", ""},
		{"https://user@portal.example", ""},
		{"https://portal.example:", ""},
		{"https://portal.example:0", ""},
		{"https://portal.example:65536", ""},
		{"https://portal.example:08080", ""},
		{"ftp://portal.example", ""},
		{"portal.example", ""},
		{"null", ""},
		{"*", ""},
		{"", ""},
		{"https://", ""},
		{"https://健保.example", ""},
		{"https://portal.example\\@evil.com", ""},
	}
	for _, tt := range tests {
		got, err := agent.ParseOrigin(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseOrigin(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestOriginPolicy(t *testing.T) {
	ts := newServer(t, newSim(t))
	tests := []struct {
		name    string
		origins []string // Origin headers sent
		want    int
		wantACA string // Access-Control-Allow-Origin
	}{
		{"allowed", []string{originA}, 200, originA},
		{"allowed, second", []string{originB}, 200, originB},
		{"upper-case scheme and host", []string{"HTTPS://PORTAL.EXAMPLE"}, 200, originA},
		{"default port spelled out", []string{"https://portal.example:443"}, 200, originA},
		{"missing", nil, 403, ""},
		{"empty", []string{""}, 403, ""},
		{"null", []string{"null"}, 403, ""},
		{"wrong scheme", []string{"http://portal.example"}, 403, ""},
		{"wrong port", []string{"https://portal.example:8443"}, 403, ""},
		{"wrong port, second", []string{"http://127.0.0.1:8081"}, 403, ""},
		{"localhost is not 127.0.0.1", []string{"http://localhost:8080"}, 403, ""},
		{"suffix trick", []string{"https://portal.example.evil.com"}, 403, ""},
		{"prefix trick", []string{"https://evil-portal.example"}, 403, ""},
		{"subdomain", []string{"https://a.portal.example"}, 403, ""},
		{"trailing slash", []string{"https://portal.example/"}, 403, ""},
		{"path", []string{"https://portal.example/x"}, 403, ""},
		{"user info", []string{"https://portal.example@evil.com"}, 403, ""},
		{"two Origin headers", []string{originA, originA}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://127.0.0.1:56161/v1/version", nil)
			for _, o := range tt.origins {
				req.Header.Add("Origin", o)
			}
			rec := httptest.NewRecorder()
			ts.h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.wantACA {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantACA)
			}
			if tt.want == 403 {
				if got := errorCode(t, rec); got != agent.ErrForbiddenOrigin {
					t.Errorf("code = %q, want %q", got, agent.ErrForbiddenOrigin)
				}
				return
			}
			if got := rec.Header().Get("Vary"); got != "Origin" {
				t.Errorf("Vary = %q, want Origin", got)
			}
		})
	}
}

func TestOriginRequiredEverywhere(t *testing.T) {
	ts := newServer(t, newSim(t))
	for _, p := range []struct{ method, path string }{
		{"GET", "/v1/version"}, {"GET", "/v1/readers"}, {"POST", "/v1/read"}, {"POST", "/v1/sign"},
		{"GET", "/v1/sim/cards"}, {"POST", "/v1/sim/insert"}, {"POST", "/v1/sim/remove"},
		{"GET", "/v1/nothing"}, {"OPTIONS", "/v1/sign"},
	} {
		rec := ts.do(t, p.method, p.path, "https://evil.example", map[string]string{})
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s %s from another origin: status %d, want 403", p.method, p.path, rec.Code)
		}
	}
}

func TestPreflight(t *testing.T) {
	ts := newServer(t, newSim(t))
	tests := []struct {
		name       string
		origin     string
		pna        string // Access-Control-Request-Private-Network
		wantStatus int
		wantPNA    string
	}{
		{"plain", originA, "", 204, ""},
		{"private network", originA, "true", 204, "true"},
		{"forbidden origin", "https://evil.example", "true", 403, ""},
		{"missing origin", "", "true", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("OPTIONS", "http://127.0.0.1:56161/v1/sign", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type")
			if tt.pna != "" {
				req.Header.Set("Access-Control-Request-Private-Network", tt.pna)
			}
			rec := httptest.NewRecorder()
			ts.h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Access-Control-Allow-Private-Network"); got != tt.wantPNA {
				t.Errorf("Access-Control-Allow-Private-Network = %q, want %q", got, tt.wantPNA)
			}
			if tt.wantStatus != 204 {
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
					t.Errorf("Access-Control-Allow-Origin = %q on a refusal", got)
				}
				return
			}
			for h, want := range map[string]string{
				"Access-Control-Allow-Origin":  tt.origin,
				"Access-Control-Allow-Methods": "GET, POST",
				"Access-Control-Allow-Headers": "Content-Type",
				"Access-Control-Max-Age":       "600",
				"Vary":                         "Origin",
			} {
				if got := rec.Header().Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	ts := newServer(t, newSim(t))
	rec := ts.do(t, "GET", "/v1/version", originA, nil)
	got := decode[map[string]any](t, rec)
	if rec.Code != 200 || got["version"] != "1.2.3" || got["api"] != float64(1) {
		t.Errorf("GET /v1/version = %d %v, want 200 version 1.2.3 api 1", rec.Code, got)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

func TestReaders(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader2, "citizen")
	ts := newServer(t, s)
	rec := ts.do(t, "GET", "/v1/readers", originA, nil)
	got := decode[struct{ Readers []agent.ReaderStatus }](t, rec)
	want := []agent.ReaderStatus{
		{Name: sim.Reader1, Simulated: true, PINTriesLeft: -1},
		{Name: sim.Reader2, Present: true, CardType: agent.CardCitizenCert, Simulated: true, PINTriesLeft: 3},
	}
	if rec.Code != 200 || fmt.Sprint(got.Readers) != fmt.Sprint(want) {
		t.Errorf("GET /v1/readers = %d %+v, want 200 %+v", rec.Code, got.Readers, want)
	}

	// No reader at all: an empty list, not null.
	rec = newServer(t, sim.New()).do(t, "GET", "/v1/readers", originA, nil)
	if body := strings.TrimSpace(rec.Body.String()); body != `{"readers":[]}` {
		t.Errorf("GET /v1/readers without readers = %s, want {\"readers\":[]}", body)
	}
}

// TestReadNameJSON: the page gets a name with a 造字 as U+FFFD, with the
// card's bytes in hexadecimal and nameNeedsCheck; an ordinary name says
// nameNeedsCheck false.
func TestReadNameJSON(t *testing.T) {
	s := sim.New(sim.Reader1, sim.Reader2)
	odd := nhiData
	odd.Name, odd.NameRaw, odd.NameNeedsCheck = "王\ufffd明", "a4fdfefea9fa", true
	plain := nhiData
	s.AddCard(&sim.Card{Label: "odd", Type: agent.CardNHI, NHI: &odd})
	s.AddCard(&sim.Card{Label: "plain", Type: agent.CardNHI, NHI: &plain})
	s.Insert(sim.Reader1, "odd")
	s.Insert(sim.Reader2, "plain")
	ts := newServer(t, s)
	tests := []struct {
		reader string
		want   map[string]any
	}{
		{sim.Reader1, map[string]any{"name": "王\ufffd明", "nameRaw": "a4fdfefea9fa", "nameNeedsCheck": true}},
		{sim.Reader2, map[string]any{"name": "王小明", "nameRaw": "a4fda470a9fa", "nameNeedsCheck": false}},
	}
	for _, tt := range tests {
		rec := ts.do(t, "POST", "/v1/read", originA, map[string]string{"reader": tt.reader})
		var got struct {
			NHI map[string]any `json:"nhi"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
			t.Fatalf("read %q = %d %s (%v)", tt.reader, rec.Code, rec.Body, err)
		}
		for k, v := range tt.want {
			if got.NHI[k] != v {
				t.Errorf("read %q: nhi.%s = %#v, want %#v (body %s)", tt.reader, k, got.NHI[k], v, rec.Body)
			}
		}
	}
}

func TestRead(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader1, "nhi")
	ts := newServer(t, s)
	want := nhiData
	want.NameRaw = "a4fda470a9fa"
	for _, reader := range []string{sim.Reader1, ""} { // "" = the only reader with a card
		rec := ts.do(t, "POST", "/v1/read", originA, map[string]string{"reader": reader})
		got := decode[agent.CardData](t, rec)
		if rec.Code != 200 || got.Type != agent.CardNHI || got.NHI == nil || *got.NHI != want || got.Reader != sim.Reader1 {
			t.Errorf("read %q = %d %+v, want the NHI card in %s", reader, rec.Code, got, sim.Reader1)
		}
	}
	s.Insert(sim.Reader2, "business")
	rec := ts.do(t, "POST", "/v1/read", originA, map[string]string{"reader": sim.Reader2})
	got := decode[agent.CardData](t, rec)
	if rec.Code != 200 || got.Type != agent.CardBusinessCert || got.Cert == nil || len(got.Cert.DER) == 0 {
		t.Errorf("read business card = %d %+v", rec.Code, got)
	}
	rec = ts.do(t, "POST", "/v1/read", originA, map[string]string{})
	if got := errorCode(t, rec); rec.Code != 400 || got != agent.ErrBadRequest {
		t.Errorf("read with two cards and no reader = %d %s, want 400 bad_request", rec.Code, got)
	}
}

func TestSign(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader1, "citizen")
	s.Insert(sim.Reader2, "business")
	ts := newServer(t, s)
	tests := []struct {
		reader, pin, wantAlg string
	}{
		{sim.Reader1, citizenPIN, "RSA-PKCS1v15-SHA256"},
		{sim.Reader2, businessPIN, "ECDSA-SHA256"},
	}
	for _, tt := range tests {
		raw, n := nonce(t, 32)
		rec := ts.do(t, "POST", "/v1/sign", originA, map[string]string{"reader": tt.reader, "pin": tt.pin, "nonce": n})
		if rec.Code != 200 {
			t.Fatalf("sign in %s: status %d: %s", tt.reader, rec.Code, rec.Body)
		}
		sig := decode[agent.Signature](t, rec)
		if sig.Algorithm != tt.wantAlg {
			t.Errorf("Algorithm = %q, want %q", sig.Algorithm, tt.wantAlg)
		}
		if !agenttest.Verify(t, &sig, agent.Digest(originA, raw)) {
			t.Errorf("sign in %s: signature does not verify over Digest(origin, nonce)", tt.reader)
		}
	}
}

func TestDigestBindsOrigin(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader1, "citizen")
	ts := newServer(t, s)
	raw, n := nonce(t, 32)
	// A body field named origin must not count: only the Origin header does.
	rec := ts.do(t, "POST", "/v1/sign", originA, map[string]string{"pin": citizenPIN, "nonce": n, "origin": originB})
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	sig := decode[agent.Signature](t, rec)
	tests := []struct {
		origin string
		want   bool
	}{
		{originA, true},
		{originB, false},
		{"https://portal.example.evil.com", false},
	}
	for _, tt := range tests {
		if got := agenttest.Verify(t, &sig, agent.Digest(tt.origin, raw)); got != tt.want {
			t.Errorf("verifies against Digest(%q, nonce) = %v, want %v", tt.origin, got, tt.want)
		}
	}
	other := append([]byte{}, raw...)
	other[0] ^= 1
	if agenttest.Verify(t, &sig, agent.Digest(originA, other)) {
		t.Error("signature verifies against another nonce")
	}
}

func TestSignRequestChecks(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader1, "citizen")
	ts := newServer(t, s)
	_, good := nonce(t, 32)
	_, short := nonce(t, 15)
	_, long := nonce(t, 129)
	_, min := nonce(t, 16)
	_, max := nonce(t, 128)
	tests := []struct {
		name, pin, nonce string
		want             int
	}{
		{"ok", citizenPIN, good, 200},
		{"16-byte nonce", citizenPIN, min, 200},
		{"128-byte nonce", citizenPIN, max, 200},
		{"15-byte nonce", citizenPIN, short, 400},
		{"129-byte nonce", citizenPIN, long, 400},
		{"no nonce", citizenPIN, "", 400},
		{"nonce not base64", citizenPIN, "***not base64***", 400},
		{"no PIN", "", good, 400},
		{"3-character PIN", "123", good, 400},
		{"17-character PIN", "12345678901234567", good, 400},
		{"PIN with a space", "1234 56", good, 400},
		{"PIN with a symbol", "1234-56", good, 400},
		{"PIN with non-ASCII digits", "１２３４５６", good, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ts.do(t, "POST", "/v1/sign", originA, map[string]string{"pin": tt.pin, "nonce": tt.nonce})
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 400 {
				if got := errorCode(t, rec); got != agent.ErrBadRequest {
					t.Errorf("code = %q, want bad_request", got)
				}
				if tt.pin != "" && strings.Contains(rec.Body.String(), tt.pin) {
					t.Errorf("answer echoes the PIN: %s", rec.Body)
				}
			}
		})
	}
	// Bad PINs are refused before the card: the tries are intact.
	rec := ts.do(t, "GET", "/v1/readers", originA, nil)
	if got := decode[struct{ Readers []agent.ReaderStatus }](t, rec); got.Readers[0].PINTriesLeft != 3 {
		t.Errorf("PINTriesLeft = %d after malformed requests, want 3", got.Readers[0].PINTriesLeft)
	}
}

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{agent.ErrBadRequest, 400},
		{agent.ErrNoReader, 404},
		{agent.ErrNoCard, 404},
		{agent.ErrCardRemoved, 409},
		{agent.ErrUnsupportedCard, 422},
		{agent.ErrWrongPIN, 422},
		{agent.ErrPINLocked, 423},
		{agent.ErrRateLimited, 429},
		{agent.ErrInternal, 500},
		{"something_new", 500},
	}
	_, n := nonce(t, 32)
	for _, tt := range tests {
		ts := newServer(t, stubBackend{&agent.Error{Code: tt.code, Message: "訊息"}})
		for _, path := range []string{"/v1/read", "/v1/sign"} {
			rec := ts.do(t, "POST", path, originA, map[string]string{"reader": "r", "pin": "123456", "nonce": n})
			if rec.Code != tt.want {
				t.Errorf("%s answering %s: status %d, want %d", path, tt.code, rec.Code, tt.want)
			}
			wantCode := tt.code
			if tt.want == 500 {
				wantCode = agent.ErrInternal
			}
			if got := errorCode(t, rec); got != wantCode {
				t.Errorf("%s answering %s: code %q, want %q", path, tt.code, got, wantCode)
			}
		}
	}
	// A plain error is internal, and its text is not shown.
	ts := newServer(t, stubBackend{errors.New("SCardTransmit: secret detail")})
	rec := ts.do(t, "POST", "/v1/read", originA, map[string]string{"reader": "r"})
	if got := errorCode(t, rec); rec.Code != 500 || got != agent.ErrInternal || strings.Contains(rec.Body.String(), "secret detail") {
		t.Errorf("plain error: %d %s %s, want 500 internal without the detail", rec.Code, got, rec.Body)
	}
	// A wrong PIN keeps its TriesLeft.
	two := 2
	ts = newServer(t, stubBackend{&agent.Error{Code: agent.ErrWrongPIN, Message: "PIN 碼錯誤", TriesLeft: &two}})
	rec = ts.do(t, "POST", "/v1/sign", originA, map[string]string{"pin": "123456", "nonce": n})
	if !strings.Contains(rec.Body.String(), `"triesLeft":2`) {
		t.Errorf("wrong PIN answer %s lacks triesLeft 2", rec.Body)
	}
}

func TestRequestErrors(t *testing.T) {
	s := newSim(t)
	ts := newServer(t, s)
	big := `{"reader":"` + strings.Repeat("x", agent.MaxBodyBytes) + `"}`
	tests := []struct {
		name, method, path, ctype, body string
		want                            int
		wantCode                        string
	}{
		{"text/plain body", "POST", "/v1/read", "text/plain", `{}`, 415, agent.ErrBadRequest},
		{"form body", "POST", "/v1/sign", "application/x-www-form-urlencoded", `pin=1`, 415, agent.ErrBadRequest},
		{"no content type", "POST", "/v1/read", "", `{}`, 415, agent.ErrBadRequest},
		{"json with charset", "POST", "/v1/read", "application/json; charset=utf-8", `{}`, 404, agent.ErrNoCard},
		{"bad JSON", "POST", "/v1/read", "application/json", `{"reader":`, 400, agent.ErrBadRequest},
		{"body too large", "POST", "/v1/read", "application/json", big, 413, agent.ErrBadRequest},
		{"unknown reader", "POST", "/v1/read", "application/json", `{"reader":"沒有這台"}`, 404, agent.ErrNoReader},
		{"empty reader", "POST", "/v1/read", "application/json", `{"reader":"` + sim.Reader1 + `"}`, 404, agent.ErrNoCard},
		{"unknown path", "GET", "/v1/nothing", "", "", 404, agent.ErrBadRequest},
		{"wrong method", "GET", "/v1/sign", "", "", 405, agent.ErrBadRequest},
		{"wrong method 2", "POST", "/v1/readers", "application/json", `{}`, 405, agent.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://127.0.0.1:56161"+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Origin", originA)
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			rec := httptest.NewRecorder()
			ts.h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if got := errorCode(t, rec); got != tt.wantCode {
				t.Errorf("code = %q, want %q", got, tt.wantCode)
			}
		})
	}
	rec := newServer(t, sim.New()).do(t, "POST", "/v1/read", originA, map[string]string{})
	if got := errorCode(t, rec); rec.Code != 404 || got != agent.ErrNoReader {
		t.Errorf("read with no reader at all = %d %s, want 404 no_reader", rec.Code, got)
	}
}

func TestWrongPINAndLock(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader1, "citizen")
	ts := newServer(t, s)
	_, n := nonce(t, 32)
	steps := []struct {
		pin      string
		want     int
		wantCode string
	}{
		{"Wrong111", 422, agent.ErrWrongPIN},
		{"Wrong222", 422, agent.ErrWrongPIN},
		{"Wrong333", 423, agent.ErrPINLocked},
		{citizenPIN, 423, agent.ErrPINLocked},
	}
	for i, st := range steps {
		rec := ts.do(t, "POST", "/v1/sign", originA, map[string]string{"pin": st.pin, "nonce": n})
		if got := errorCode(t, rec); rec.Code != st.want || got != st.wantCode {
			t.Errorf("step %d: %d %s, want %d %s", i, rec.Code, got, st.want, st.wantCode)
		}
	}
}

func TestRateLimit(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader1, "citizen")
	ts := newServer(t, s)
	_, n := nonce(t, 32)
	sign := func(origin string) int {
		return ts.do(t, "POST", "/v1/sign", origin, map[string]string{"pin": citizenPIN, "nonce": n}).Code
	}
	for i := range agent.DefaultSignPerMinute {
		if got := sign(originA); got != 200 {
			t.Fatalf("sign %d: status %d, want 200", i+1, got)
		}
	}
	// The 11th sign within the same minute.
	ts.clock.Advance(time.Second)
	rec := ts.do(t, "POST", "/v1/sign", originA, map[string]string{"pin": citizenPIN, "nonce": n})
	if got := errorCode(t, rec); rec.Code != 429 || got != agent.ErrRateLimited {
		t.Fatalf("11th sign: %d %s, want 429 rate_limited", rec.Code, got)
	}
	if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q, want a positive number of seconds", ra)
	}
	if !strings.Contains(rec.Body.String(), "太頻繁") {
		t.Errorf("rate-limit message %s is not the zh-TW one", rec.Body)
	}
	// Another origin has its own bucket.
	if got := sign(originB); got != 200 {
		t.Errorf("sign from another origin: %d, want 200", got)
	}
	// Reading is not limited.
	if got := ts.do(t, "GET", "/v1/readers", originA, nil).Code; got != 200 {
		t.Errorf("readers while limited: %d, want 200", got)
	}
	// A token comes back every 6 s.
	ts.clock.Advance(6 * time.Second)
	if got := sign(originA); got != 200 {
		t.Errorf("sign after 6 s: %d, want 200", got)
	}
	if got := sign(originA); got != 429 {
		t.Errorf("second sign after 6 s: %d, want 429", got)
	}
	ts.clock.Advance(time.Minute)
	for i := range agent.DefaultSignPerMinute {
		if got := sign(originA); got != 200 {
			t.Fatalf("after a minute, sign %d: %d, want 200", i+1, got)
		}
	}
	if got := sign(originA); got != 429 {
		t.Errorf("after a minute, sign 11: %d, want 429", got)
	}
}

func TestPINNeverLogged(t *testing.T) {
	s := newSim(t)
	s.Insert(sim.Reader1, "citizen")
	ts := newServer(t, s)
	_, n := nonce(t, 32)
	const wrong = "Zx8Qw7Pl"
	for _, pin := range []string{wrong, citizenPIN} {
		rec := ts.do(t, "POST", "/v1/sign", originA, map[string]string{"reader": sim.Reader1, "pin": pin, "nonce": n})
		if strings.Contains(rec.Body.String(), pin) {
			t.Errorf("the answer contains the PIN: %s", rec.Body)
		}
	}
	// A backend whose error text carries the PIN: scrubbed from the log and
	// from the answer.
	const leaky = "Lk5Mn4Op"
	ts2 := newServer(t, stubBackend{fmt.Errorf("login with %s failed", leaky)})
	rec := ts2.do(t, "POST", "/v1/sign", originA, map[string]string{"pin": leaky, "nonce": n})
	if strings.Contains(rec.Body.String(), leaky) {
		t.Errorf("the answer contains the PIN: %s", rec.Body)
	}
	ts3 := newServer(t, stubBackend{&agent.Error{Code: agent.ErrWrongPIN, Message: "PIN " + leaky + " 錯誤"}})
	rec = ts3.do(t, "POST", "/v1/sign", originA, map[string]string{"pin": leaky, "nonce": n})
	if strings.Contains(rec.Body.String(), leaky) {
		t.Errorf("the answer contains the PIN: %s", rec.Body)
	}

	logs := ts.log.String() + ts2.log.String() + ts3.log.String()
	for _, pin := range []string{wrong, citizenPIN, leaky} {
		if strings.Contains(logs, pin) {
			t.Errorf("the log contains PIN %q:\n%s", pin, logs)
		}
	}
	// The log does have the request lines.
	for _, want := range []string{"method=POST", "path=/v1/sign", "status=422", "status=200", "status=500", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, n) {
		t.Error("the log contains the request body (the nonce)")
	}
}

func TestPage(t *testing.T) {
	ts := newServer(t, newSim(t))
	rec := ts.do(t, "GET", "/", "", nil)
	if rec.Code != 200 {
		t.Fatalf("GET / = %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{"1.2.3", originA, originB, "區域網路", "網站設定", `lang="zh-Hant-TW"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(body), "<script") {
		t.Error("page has a script")
	}
	for h, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := rec.Header().Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if got := ts.do(t, "POST", "/", "", nil).Code; got != 405 {
		t.Errorf("POST / = %d, want 405", got)
	}
	if got := ts.do(t, "GET", "/favicon.ico", "", nil).Code; got != 404 {
		t.Errorf("GET /favicon.ico = %d, want 404", got)
	}
}

func TestSimEndpoints(t *testing.T) {
	ts := newServer(t, newSim(t))
	type wallet struct{ Cards []agent.WalletCard }
	rec := ts.do(t, "GET", "/v1/sim/cards", originA, nil)
	if got := decode[wallet](t, rec); rec.Code != 200 || len(got.Cards) != 3 || got.Cards[0].Reader != "" {
		t.Fatalf("GET /v1/sim/cards = %d %+v", rec.Code, got)
	}
	rec = ts.do(t, "POST", "/v1/sim/insert", originA, map[string]string{"reader": sim.Reader2, "label": "nhi"})
	got := decode[wallet](t, rec)
	if rec.Code != 200 || got.Cards[0] != (agent.WalletCard{Label: "nhi", Type: agent.CardNHI, Reader: sim.Reader2}) {
		t.Errorf("insert = %d %+v", rec.Code, got)
	}
	rec = ts.do(t, "POST", "/v1/read", originA, map[string]string{})
	if cd := decode[agent.CardData](t, rec); cd.Reader != sim.Reader2 || cd.Type != agent.CardNHI {
		t.Errorf("read after insert = %+v", cd)
	}
	rec = ts.do(t, "POST", "/v1/sim/insert", originA, map[string]string{"reader": sim.Reader2, "label": "沒有這張"})
	if code := errorCode(t, rec); rec.Code != 400 || code != agent.ErrBadRequest {
		t.Errorf("insert an unknown card = %d %s, want 400 bad_request", rec.Code, code)
	}
	rec = ts.do(t, "POST", "/v1/sim/remove", originA, map[string]string{"reader": sim.Reader2})
	if got := decode[wallet](t, rec); rec.Code != 200 || got.Cards[0].Reader != "" {
		t.Errorf("remove = %d %+v", rec.Code, got)
	}
	rec = ts.do(t, "POST", "/v1/sim/remove", originA, map[string]string{"reader": sim.Reader2})
	if code := errorCode(t, rec); rec.Code != 404 || code != agent.ErrNoCard {
		t.Errorf("remove from an empty reader = %d %s, want 404 no_card", rec.Code, code)
	}

	// A backend that is not a Controller has no sim endpoints.
	ts = newServer(t, stubBackend{})
	for _, p := range []string{"/v1/sim/cards", "/v1/sim/insert", "/v1/sim/remove"} {
		method := "POST"
		if strings.HasSuffix(p, "cards") {
			method = "GET"
		}
		if got := ts.do(t, method, p, originA, map[string]string{}).Code; got != 404 {
			t.Errorf("%s %s on a real backend = %d, want 404", method, p, got)
		}
	}
}

func TestInvalidAllowedOriginsIgnored(t *testing.T) {
	var log syncBuffer
	srv := agent.NewServer(newSim(t), agent.Config{
		AllowedOrigins: []string{"*", "null", "https://portal.example/"},
		Logger:         slogTo(&log),
	})
	for _, o := range []string{"*", "null", "https://portal.example"} {
		req := httptest.NewRequest("GET", "/v1/version", nil)
		req.Header.Set("Origin", o)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 403 {
			t.Errorf("origin %q with invalid allowed origins: %d, want 403", o, rec.Code)
		}
	}
	if !bytes.Contains([]byte(log.String()), []byte("ignoring allowed origin")) {
		t.Errorf("no warning logged: %s", log.String())
	}
}
