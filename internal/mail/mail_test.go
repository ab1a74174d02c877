package mail_test

import (
	"context"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/mail"
	"github.com/multicert/multicert/internal/mail/mailtest"
)

func TestSendOverSMTP(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.New(mail.Config{Addr: srv.Addr, From: "noreply@nhi.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	body := "豐聯實業企業社（投保單位代號 100000001）您好：\n\n貴單位已恢復正常，可立即登入。\n"
	if err := s.Send(context.Background(), "unit.reopen:1:2", []string{"a@example.com", "b@example.com"}, "【健保署多憑證網路】貴單位已恢復正常", body); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "noreply@nhi.example.com" || strings.Join(m.To, ",") != "a@example.com,b@example.com" {
		t.Errorf("envelope %s → %v", m.From, m.To)
	}
	if m.Subject != "【健保署多憑證網路】貴單位已恢復正常" || !strings.Contains(m.Body, "貴單位已恢復正常，可立即登入。") {
		t.Errorf("subject %q body %q", m.Subject, m.Body)
	}
	if !strings.HasSuffix(m.MessageID, "@multicert") {
		t.Errorf("Message-ID %q", m.MessageID)
	}
	// The same key gives the same Message-ID: a retried delivery is recognisable.
	if err := s.Send(context.Background(), "unit.reopen:1:2", []string{"a@example.com"}, "x", "y"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages()[1].MessageID; got != m.MessageID {
		t.Errorf("Message-ID %q then %q for one key", m.MessageID, got)
	}
	srv.SetFailing(true)
	if err := s.Send(context.Background(), "k", []string{"a@example.com"}, "x", "y"); err == nil {
		t.Error("a refused delivery returned no error")
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []mail.Config{{Addr: "nohost", From: "a@b.c"}, {Addr: "h:x", From: "a@b.c"}, {Addr: "h:25"}, {Addr: "h:25", From: "a@b.c", TLS: "maybe"}} {
		if _, err := mail.New(c); err == nil {
			t.Errorf("New(%+v): want an error", c)
		}
	}
}
