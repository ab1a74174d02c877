// Package mail sends the outbox's messages over SMTP (github.com/wneessen/go-mail):
// plain text in UTF-8, a Message-ID made from the outbox key so that a
// retried delivery can be recognised.
package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Config says how to reach the SMTP server.
type Config struct {
	Addr     string // host:port
	From     string // sender address
	Username string // optional; with Password, SMTP AUTH PLAIN/LOGIN
	Password string
	// TLS is "none" (plain, e.g. a mail catcher on the same host),
	// "starttls" (required), or "tls" (implicit TLS, port 465).
	TLS string
}

// SMTP delivers messages.
type SMTP struct {
	cfg  Config
	host string
	port int
}

// New checks cfg and returns a sender.
func New(cfg Config) (*SMTP, error) {
	host, p, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp port %q: %w", p, err)
	}
	if cfg.From == "" {
		return nil, errors.New("mail: no sender address")
	}
	switch cfg.TLS {
	case "", "none", "starttls", "tls":
	default:
		return nil, fmt.Errorf("mail: tls %q: want none, starttls or tls", cfg.TLS)
	}
	return &SMTP{cfg: cfg, host: host, port: port}, nil
}

// Send delivers one message to its recipients.
func (s *SMTP) Send(ctx context.Context, key string, to []string, subject, body string) error {
	m := gomail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := m.To(to...); err != nil {
		return fmt.Errorf("mail: to: %w", err)
	}
	m.Subject(subject)
	m.SetBodyString(gomail.TypeTextPlain, body)
	sum := sha256.Sum256([]byte(key))
	m.SetMessageIDWithValue(hex.EncodeToString(sum[:16]) + "@multicert")
	m.SetDate()

	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(30 * time.Second)}
	switch s.cfg.TLS {
	case "", "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSLPort(false))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("mail: send to %v: %w", to, err)
	}
	return nil
}
