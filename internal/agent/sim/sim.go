// Package sim is a simulated card reader for the card agent: named readers
// (模擬讀卡機) and a wallet of NHI and certificate cards that can be inserted
// into them and removed again. It implements agent.Backend, and
// agent.Controller for the demo's insert and remove buttons. It is pure Go,
// so the cgo-free server can embed it for its demo mode.
package sim

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/card"
)

// Names of the demo's two simulated readers.
const (
	Reader1 = "模擬讀卡機 1"
	Reader2 = "模擬讀卡機 2"
)

// MaxPINTries is how many wrong PINs in a row lock a simulated card, as on
// a real 自然人憑證 or 工商憑證.
const MaxPINTries = 3

// Card is a simulated card. An NHI card (Type agent.CardNHI) has NHI; a
// certificate card (agent.CardCitizenCert or agent.CardBusinessCert) has
// Cert, Key and PIN. Once added to a Sim, a Card belongs to it: do not
// change it.
type Card struct {
	Label       string // unique in a Sim, e.g. "王小明的自然人憑證"
	Type        string // one of agent.Card*
	NHI         *agent.NHIData
	Cert        *x509.Certificate
	Chain       []*x509.Certificate
	Key         crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
	PIN         string
	TokenSerial string
	triesLeft   int
}

// CardInfo is one card of the wallet, for a demo UI.
type CardInfo = agent.WalletCard

// Sim is a set of simulated readers and a wallet of cards. Its methods are
// safe for concurrent use.
type Sim struct {
	mu      sync.Mutex
	readers []string          // in the order given to New
	in      map[string]string // reader → label of the card in it
	cards   map[string]*Card  // label → card
	order   []string          // labels, in the order added
}

var (
	_ agent.Backend    = (*Sim)(nil)
	_ agent.Controller = (*Sim)(nil)
)

// New returns a Sim with the named readers, all empty, and an empty wallet.
// Duplicate and empty names are dropped; with no names it has no reader.
func New(readers ...string) *Sim {
	s := &Sim{in: map[string]string{}, cards: map[string]*Card{}}
	for _, r := range readers {
		if _, dup := s.in[r]; r == "" || dup {
			continue
		}
		s.in[r] = ""
		s.readers = append(s.readers, r)
	}
	return s
}

// AddCard puts c into the wallet with its PIN tries reset to MaxPINTries. A
// card with the same label is replaced, in whatever reader it is.
func (s *Sim) AddCard(c *Card) {
	if c == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.triesLeft = MaxPINTries
	if _, ok := s.cards[c.Label]; !ok {
		s.order = append(s.order, c.Label)
	}
	s.cards[c.Label] = c
}

// Insert puts the card labelled label into reader. A card that is in
// another reader moves; a card already in reader goes back to the wallet.
func (s *Sim) Insert(reader, label string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.in[reader]; !ok {
		return noReader(reader)
	}
	if _, ok := s.cards[label]; !ok {
		return &agent.Error{Code: agent.ErrBadRequest, Message: "找不到這張模擬卡片。"}
	}
	for r, l := range s.in {
		if l == label {
			s.in[r] = ""
		}
	}
	s.in[reader] = label
	return nil
}

// Remove takes the card out of reader, back into the wallet.
func (s *Sim) Remove(reader string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.in[reader]
	if !ok {
		return noReader(reader)
	}
	if l == "" {
		return noCard()
	}
	s.in[reader] = ""
	return nil
}

// Wallet lists the cards in the order added, with the reader each is in.
func (s *Sim) Wallet() []CardInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	where := map[string]string{}
	for r, l := range s.in {
		if l != "" {
			where[l] = r
		}
	}
	out := make([]CardInfo, 0, len(s.order))
	for _, l := range s.order {
		out = append(out, CardInfo{Label: l, Type: s.cards[l].Type, Reader: where[l]})
	}
	return out
}

// Readers lists the simulated readers and the cards in them.
func (s *Sim) Readers(ctx context.Context) ([]agent.ReaderStatus, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]agent.ReaderStatus, 0, len(s.readers))
	for _, r := range s.readers {
		st := agent.ReaderStatus{Name: r, Simulated: true, PINTriesLeft: -1}
		if c := s.cards[s.in[r]]; c != nil {
			st.Present = true
			st.CardType = c.Type
			if isCertCard(c.Type) {
				st.PINTriesLeft = c.triesLeft
				st.PINLocked = c.triesLeft == 0
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// Read reads the card in reader: an NHI card's data or a certificate card's
// certificate.
func (s *Sim) Read(ctx context.Context, reader string) (*agent.CardData, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.card(reader)
	if err != nil {
		return nil, err
	}
	cd := &agent.CardData{Reader: reader, Type: c.Type}
	switch {
	case c.Type == agent.CardNHI && c.NHI != nil:
		nhi := *c.NHI
		if nhi.NameRaw == "" { // what a card would hold
			if raw, err := card.EncodeName(nhi.Name); err == nil {
				nhi.NameRaw = hex.EncodeToString(raw)
			}
		}
		cd.NHI = &nhi
	case isCertCard(c.Type) && c.Cert != nil:
		cd.Cert = agent.NewCertData(c.Cert, c.TokenSerial)
	default:
		return nil, unsupported()
	}
	return cd, nil
}

// Sign checks pin against the card in reader and signs digest, a SHA-256
// hash, with the card's key: PKCS#1 v1.5 for RSA, ASN.1 ECDSA for EC keys.
// A wrong PIN costs a try; the last try locks the card for good; the right
// PIN restores MaxPINTries.
func (s *Sim) Sign(ctx context.Context, reader, pin string, digest []byte) (*agent.Signature, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(digest) != 32 {
		return nil, &agent.Error{Code: agent.ErrBadRequest, Message: "簽章內容須為 SHA-256 雜湊值。"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.card(reader)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Type == agent.CardNHI:
		return nil, &agent.Error{Code: agent.ErrUnsupportedCard, Message: "健保卡不能簽章，請使用自然人憑證或工商憑證"}
	case !isCertCard(c.Type) || c.Cert == nil || c.Key == nil:
		return nil, unsupported()
	}
	var alg string
	switch c.Key.Public().(type) {
	case *rsa.PublicKey:
		alg = "RSA-PKCS1v15-SHA256"
	case *ecdsa.PublicKey:
		alg = "ECDSA-SHA256"
	default:
		return nil, unsupported()
	}
	if c.triesLeft <= 0 {
		return nil, locked()
	}
	if subtle.ConstantTimeCompare([]byte(pin), []byte(c.PIN)) != 1 {
		c.triesLeft--
		if c.triesLeft == 0 {
			return nil, locked()
		}
		n := c.triesLeft
		return nil, &agent.Error{Code: agent.ErrWrongPIN, Message: fmt.Sprintf("PIN 碼錯誤，還可以再試 %d 次。", n), TriesLeft: &n}
	}
	c.triesLeft = MaxPINTries
	sig, err := c.Key.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sim: sign: %w", err)
	}
	out := &agent.Signature{Algorithm: alg, Signature: sig, Certificate: append([]byte(nil), c.Cert.Raw...)}
	for _, ca := range c.Chain {
		out.Chain = append(out.Chain, append([]byte(nil), ca.Raw...))
	}
	return out, nil
}

// card is the card in reader; s.mu must be held.
func (s *Sim) card(reader string) (*Card, error) {
	l, ok := s.in[reader]
	if !ok {
		return nil, noReader(reader)
	}
	if l == "" {
		return nil, noCard()
	}
	return s.cards[l], nil
}

func isCertCard(t string) bool {
	return t == agent.CardCitizenCert || t == agent.CardBusinessCert
}

func noReader(name string) error {
	return &agent.Error{Code: agent.ErrNoReader, Message: fmt.Sprintf("找不到讀卡機「%s」。", name)}
}

func noCard() error {
	return &agent.Error{Code: agent.ErrNoCard, Message: "讀卡機中沒有卡片，請插入卡片。"}
}

func unsupported() error {
	return &agent.Error{Code: agent.ErrUnsupportedCard, Message: "無法辨識這張卡片，請使用健保卡、自然人憑證或工商憑證。"}
}

func locked() error {
	zero := 0
	return &agent.Error{Code: agent.ErrPINLocked, Message: "PIN 碼錯誤次數過多，卡片已鎖卡，請洽發卡單位解鎖。", TriesLeft: &zero}
}
