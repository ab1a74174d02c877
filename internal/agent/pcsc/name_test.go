package pcsc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/hw"
	"github.com/multicert/multicert/internal/cardemu"
)

// TestNameWithGovernmentMadeCharacter: an NHI card whose name holds a
// 造字 in each of Big5's user-defined areas reads, through the whole stack
// and the agent's HTTP API, as U+FFFD for each of them, never as the HKSCS
// characters golang.org/x/text puts there (FA40 𠕇, C6A1 ①, 8E69 箸), with
// the card's bytes in nameRaw and nameNeedsCheck true.
func TestNameWithGovernmentMadeCharacter(t *testing.T) {
	raw := []byte{0xA4, 0xFD, 0xFA, 0x40, 0xC6, 0xA1, 0x8E, 0x69, 0xA9, 0xFA} // 王 + three 造字 + 明
	const wantName = "王\ufffd\ufffd\ufffd明"
	const wantRaw = "a4fdfa40c6a18e69a9fa"
	b := wang
	b.NameRaw = raw
	s := newSlot(t)
	s.insert(cardemu.NewNHICard(b))

	want := wantWang
	want.Name, want.NameRaw, want.NameNeedsCheck = wantName, wantRaw, true
	got, err := s.p.ReadNHI(testCtx(t), s.name)
	if err != nil {
		t.Fatalf("ReadNHI: %v", err)
	}
	if *got != want {
		t.Errorf("ReadNHI() = %+v, want %+v", *got, want)
	}

	const origin = "https://portal.example"
	srv := httptest.NewServer(agent.NewServer(hw.New(s.p, nil), agent.Config{AllowedOrigins: []string{origin}, Logger: slog.New(slog.DiscardHandler)}).Handler())
	defer srv.Close()
	req, err := http.NewRequestWithContext(testCtx(t), "POST", srv.URL+"/v1/read", strings.NewReader(`{"reader":`+quote(s.name)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var cd struct {
		Type string         `json:"type"`
		NHI  map[string]any `json:"nhi"`
	}
	if err := json.Unmarshal(body, &cd); err != nil || resp.StatusCode != 200 || cd.Type != agent.CardNHI {
		t.Fatalf("POST /v1/read = %d %s (%v), want 200 with an NHI card", resp.StatusCode, body, err)
	}
	for k, v := range map[string]any{"name": wantName, "nameRaw": wantRaw, "nameNeedsCheck": true, "idNo": "A123456789"} {
		if cd.NHI[k] != v {
			t.Errorf("POST /v1/read: nhi.%s = %#v, want %#v", k, cd.NHI[k], v)
		}
	}
	for _, wrong := range []string{"𠕇", "①", "箸"} {
		if bytes.Contains(body, []byte(wrong)) {
			t.Errorf("POST /v1/read answer %s holds %s, a character the card does not hold", body, wrong)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
