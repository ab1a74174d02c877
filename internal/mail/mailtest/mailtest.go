// Package mailtest runs a real SMTP server in the test process
// (github.com/emersion/go-smtp) and keeps what it receives, so that tests
// check mail as it went over the wire.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received mail, decoded.
type Message struct {
	From      string
	To        []string
	Subject   string
	MessageID string
	Body      string
	Raw       []byte
}

// Server is an SMTP server on 127.0.0.1 with a random port.
type Server struct {
	Addr string

	mu   sync.Mutex
	msgs []Message
	// Fail, when set, makes the server refuse the next deliveries.
	fail bool
}

// Start starts a server that stops when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String()}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	tb.Cleanup(func() { srv.Close() })
	return s
}

// Messages returns what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// SetFailing makes the server refuse (true) or accept (false) mail.
func (s *Server) SetFailing(f bool) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error   { x.to = append(x.to, to); return nil }
func (x *session) Reset()                                      { x.from, x.to = "", nil }
func (x *session) Logout() error                               { return nil }

func (x *session) Data(r io.Reader) error {
	x.s.mu.Lock()
	fail := x.s.fail
	x.s.mu.Unlock()
	if fail {
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: x.from, To: append([]string(nil), x.to...), Raw: raw}
	if pm, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		dec := new(mime.WordDecoder)
		if subj, err := dec.DecodeHeader(pm.Header.Get("Subject")); err == nil {
			m.Subject = subj
		}
		m.MessageID = strings.Trim(pm.Header.Get("Message-Id"), "<>")
		body, _ := io.ReadAll(pm.Body)
		m.Body = decodeBody(pm.Header.Get("Content-Transfer-Encoding"), body)
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	return nil
}

// decodeBody undoes the transfer encoding of a single-part body.
func decodeBody(enc string, b []byte) string {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err == nil {
			return string(out)
		}
	case "base64":
		out, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(b, []byte("\r\n"), nil))))
		if err == nil {
			return string(out)
		}
	}
	return string(b)
}
