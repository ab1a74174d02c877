// Package agent is the local card agent's HTTP API: it runs on the user's
// PC (127.0.0.1 only) and lets the portal's pages use the smart card in the
// reader. The package is pure Go; the card access behind it is a Backend:
// a simulated reader (package agent/sim, for the demo and tests), or PC/SC
// plus PKCS#11 (cgo, linked only into cmd/cardagent).
package agent

import (
	"context"
	"crypto/sha256"
	"time"
)

// Card types, as the agent reports them.
const (
	CardNone         = ""              // no card in the reader
	CardNHI          = "nhi_card"      // 健保卡
	CardCitizenCert  = "citizen_cert"  // 自然人憑證 (MOICA)
	CardBusinessCert = "business_cert" // 工商憑證 (MOEACA)
	CardUnknown      = "unknown"       // a card the agent cannot use
)

// ReaderStatus is one reader and what is in it.
type ReaderStatus struct {
	Name     string `json:"name"`
	Present  bool   `json:"present"`
	CardType string `json:"cardType,omitempty"`
	// Simulated is true for the demo's simulated readers (模擬讀卡機).
	Simulated bool `json:"simulated,omitempty"`
	// PINTriesLeft is known for certificate cards once the token reports it; -1 when unknown.
	PINTriesLeft int  `json:"pinTriesLeft"`
	PINLocked    bool `json:"pinLocked,omitempty"`
}

// NHIData is the basic data on an NHI card.
type NHIData struct {
	CardNo string `json:"cardNo"` // 12 digits
	// Name is the holder's name. A character the agent cannot spell, such
	// as a government-made character (造字), is U+FFFD (�), never another
	// character; NameNeedsCheck is then true.
	Name string `json:"name"`
	// NameRaw is the name as the card holds it: Big5 bytes in lower-case
	// hexadecimal. A simulated card built without it gets the Big5 of
	// Name, when Big5 has every character of it.
	NameRaw string `json:"nameRaw,omitempty"`
	// NameNeedsCheck is true when Name lacks characters the card holds (a
	// 造字, or bytes that are not Big5): the person must confirm or
	// correct the name.
	NameNeedsCheck bool   `json:"nameNeedsCheck"`
	IDNo           string `json:"idNo"`
	Birth          string `json:"birth"` // ISO date, YYYY-MM-DD
	Sex            string `json:"sex"`   // M or F
	Issued         string `json:"issued"`
}

// CertData is a certificate read from a certificate card.
type CertData struct {
	DER         []byte    `json:"der"` // base64 in JSON
	Serial      string    `json:"serial"`
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	NotBefore   time.Time `json:"notBefore"`
	NotAfter    time.Time `json:"notAfter"`
	TokenSerial string    `json:"tokenSerial,omitempty"` // the card's own serial (自然人憑證序號 / card number)
}

// CardData is what reading a card returns: NHI data or a certificate.
type CardData struct {
	Reader string    `json:"reader"`
	Type   string    `json:"type"`
	NHI    *NHIData  `json:"nhi,omitempty"`
	Cert   *CertData `json:"cert,omitempty"`
}

// Signature is the answer to a sign request.
type Signature struct {
	// Algorithm is "RSA-PKCS1v15-SHA256" or "ECDSA-SHA256".
	Algorithm string `json:"algorithm"`
	// Signature over SHA-256 of SignedMessage(origin, nonce).
	Signature   []byte   `json:"signature"`
	Certificate []byte   `json:"certificate"`     // DER of the signing certificate
	Chain       [][]byte `json:"chain,omitempty"` // DER of intermediates, if the card holds them
}

// Backend is the card access behind the API.
type Backend interface {
	// Readers lists the readers and what is in them.
	Readers(ctx context.Context) ([]ReaderStatus, error)
	// Read reads the card in reader: NHI basic data, or the certificate of a certificate card.
	Read(ctx context.Context, reader string) (*CardData, error)
	// Sign verifies the PIN on the card in reader and signs digest (a SHA-256
	// hash) with the card's key. The PIN must never be logged or kept.
	Sign(ctx context.Context, reader, pin string, digest []byte) (*Signature, error)
}

// Error codes of the API. Backends return *Error with one of these.
const (
	ErrNoReader        = "no_reader"        // 找不到讀卡機
	ErrNoCard          = "no_card"          // 讀卡機中沒有卡片
	ErrCardRemoved     = "card_removed"     // 卡片在讀取中被取出
	ErrUnsupportedCard = "unsupported_card" // 無法辨識的卡片
	ErrWrongPIN        = "wrong_pin"        // PIN 碼錯誤 (TriesLeft says how many remain)
	ErrPINLocked       = "pin_locked"       // 卡片已鎖卡
	ErrBadRequest      = "bad_request"
	ErrForbiddenOrigin = "forbidden_origin"
	ErrRateLimited     = "rate_limited"
	ErrInternal        = "internal"
)

// Error is an API error with a message in Traditional Chinese.
type Error struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	TriesLeft *int   `json:"triesLeft,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// SignedMessage is what the card signs for a login, as Web eID does:
// SHA-256(origin) followed by SHA-256(nonce). Binding the origin makes a
// signature obtained by another site useless here; the agent takes the
// origin from the request's Origin header, never from the page's data.
func SignedMessage(origin string, nonce []byte) []byte {
	a := sha256.Sum256([]byte(origin))
	b := sha256.Sum256(nonce)
	return append(a[:], b[:]...)
}

// Digest is the SHA-256 of SignedMessage, the value a backend signs.
func Digest(origin string, nonce []byte) []byte {
	d := sha256.Sum256(SignedMessage(origin, nonce))
	return d[:]
}
