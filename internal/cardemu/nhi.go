package cardemu

import (
	"bytes"
	"fmt"

	"github.com/multicert/multicert/internal/card"
)

// nhiCard is an emulated NHI card.
type nhiCard struct {
	locked
	atr      []byte
	basic    []byte
	selectSW uint16
}

// NewNHICard returns an emulated NHI card holding b. The card answers
// card.SelectNHI with 9000, or with the status word set by WithSelectSW,
// and card.ReadNHIBasic with the basic data and 9000. Like the newer real
// cards, it answers the read whether or not the select succeeded. Other
// commands get 6E00 (CLA other than 00), 6D00 (unknown INS), 6A82 (another
// AID) or 6A86 (other P1-P2).
//
// A name with a government-made character (造字) is given as b.NameRaw,
// its Big5 bytes with the user-defined code, as card.EncodeNHIBasic takes
// it. NewNHICard panics when b cannot be encoded; use NewNHICardRaw for
// data a real card should never hold.
func NewNHICard(b card.NHIBasic, opts ...Option) Card {
	raw, err := card.EncodeNHIBasic(b)
	if err != nil {
		panic(fmt.Sprintf("cardemu: NewNHICard: %v", err))
	}
	return NewNHICardRaw(raw, opts...)
}

// NewNHICardRaw returns an emulated NHI card that answers card.ReadNHIBasic
// with basic as is, even when it is not valid basic data.
func NewNHICardRaw(basic []byte, opts ...Option) Card {
	cfg := newConfig(opts)
	atr := cfg.atr
	if atr == nil {
		atr = DefaultNHIATR
	}
	return &nhiCard{atr: atr, basic: append([]byte(nil), basic...), selectSW: cfg.selectSW}
}

// ATR returns the card's ATR.
func (c *nhiCard) ATR() []byte { return append([]byte(nil), c.atr...) }

// Transmit answers one command APDU.
func (c *nhiCard) Transmit(apdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd, err := card.ParseCommand(apdu)
	if err != nil {
		return status(card.SWWrongLength)
	}
	if cmd.CLA != 0x00 {
		return status(card.SWCLANotSupported)
	}
	switch cmd.INS {
	case 0xA4: // SELECT
		if cmd.P1 != 0x04 {
			return status(card.SWIncorrectP1P2)
		}
		if !bytes.Equal(cmd.Data, card.SelectNHI.Data) {
			return status(card.SWFileNotFound)
		}
		return status(c.selectSW)
	case 0xCA: // GET DATA: the basic data
		if cmd.P1 != card.ReadNHIBasic.P1 || cmd.P2 != card.ReadNHIBasic.P2 {
			return status(card.SWIncorrectP1P2)
		}
		if !bytes.Equal(cmd.Data, card.ReadNHIBasic.Data) {
			return status(card.SWWrongLength)
		}
		return respond(c.basic, card.SWOK)
	}
	return status(card.SWINSNotSupported)
}
