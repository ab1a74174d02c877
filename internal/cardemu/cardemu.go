// Package cardemu emulates the smart cards multicert reads, for tests and
// demos: an NHI card (健保卡) and a HiCOS certificate card (自然人憑證 or
// 工商憑證). A Card answers APDUs directly (Transmit), and a Reader plugs a
// Card into the virtual reader of vsmartcard's vpcd driver for pcscd, so
// the whole PC/SC stack can be exercised without hardware.
//
// The cards answer the commands of package card, the way the public
// analyses of the real cards describe them; they hold no keys and do not
// sign (signing goes through PKCS#11).
//
// The package is pure Go.
package cardemu

import (
	"sync"

	"github.com/multicert/multicert/internal/card"
)

// Card is an emulated smart card.
type Card interface {
	// ATR returns the card's answer to reset.
	ATR() []byte
	// Transmit answers a command APDU with a response APDU: response
	// data followed by SW1 SW2. It never returns fewer than two bytes.
	Transmit(apdu []byte) []byte
}

// Resetter is implemented by cards that keep state between commands (the
// selected file); the Reader calls Reset when the card is powered on or
// reset.
type Resetter interface {
	Reset()
}

// Option configures an emulated card. Options that do not apply to a card
// type are ignored.
type Option func(*config)

type config struct {
	atr      []byte
	selectSW uint16
	gen2     bool
	slot1    []byte
}

func newConfig(opts []Option) config {
	c := config{selectSW: card.SWOK}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithATR makes the card answer reset with atr instead of its default ATR.
func WithATR(atr []byte) Option {
	return func(c *config) { c.atr = append([]byte(nil), atr...) }
}

// WithSelectSW makes an NHI card answer card.SelectNHI with sw instead of
// 9000; newer NHI cards answer it with card.SWINSNotSupported (6D00) and
// still answer the read.
func WithSelectSW(sw uint16) Option {
	return func(c *config) { c.selectSW = sw }
}

// WithGen2 makes a certificate card behave like a second-generation HiCOS
// card: it rejects CLA 80, and its files can be selected (with CLA 00)
// only after card.SelectHiCOSGen2. The card serial is then not readable.
// This follows a less well documented public analysis than the
// first-generation path.
func WithGen2() Option {
	return func(c *config) { c.gen2 = true }
}

// WithSlot1 puts a second certificate into slot card.CertSlotUser1 of a
// certificate card, as on two-certificate cards (a HiCOS 自然人憑證 holds a
// signing and an encryption certificate). Which slot holds which is not
// documented: put the encryption certificate in slot 2 (NewCertCard's) and
// the signing one here, and a reader that chooses by position rather than
// key usage takes the wrong one.
func WithSlot1(certDER []byte) Option {
	return func(c *config) { c.slot1 = append([]byte(nil), certDER...) }
}

// T1ATR returns a well-formed ATR that offers only the T=1 protocol and
// carries historical (at most 15 bytes; longer is cut).
func T1ATR(historical string) []byte {
	h := []byte(historical)
	if len(h) > 15 {
		h = h[:15]
	}
	// TS, T0 (TD1 present, K historical bytes), TD1 (TD2 present, T=1),
	// TD2 (T=1), historical bytes, TCK.
	atr := []byte{0x3B, 0x80 | byte(len(h)), 0x81, 0x01}
	atr = append(atr, h...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}

// Default ATRs of the emulated cards. The NHI card's ATR is made up: no
// public record of the real one could be confirmed, so card.TypeFromATR
// does not know it, as it does not know the real one. A citizen
// certificate card answers with card.ATRMOICA, the ATR of real
// first-generation cards; a business certificate card with a made-up
// HiCOS ATR that card.TypeFromATR does not know.
var (
	DefaultNHIATR   = T1ATR("MCEMU NHI")
	DefaultHiCOSATR = T1ATR("MCEMU HiCOS")
)

// respond encodes a response APDU.
func respond(data []byte, sw uint16) []byte {
	return card.Response{Data: data, SW: sw}.Bytes()
}

// status encodes a response APDU without data.
func status(sw uint16) []byte { return respond(nil, sw) }

// locked serialises a card's Transmit and Reset.
type locked struct{ mu sync.Mutex }
