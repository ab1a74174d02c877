package cardemu

import (
	"bytes"
	"fmt"

	"github.com/multicert/multicert/internal/card"
)

// certCard is an emulated HiCOS certificate card.
type certCard struct {
	locked
	atr  []byte
	gen2 bool
	root *node

	appletSelected bool  // second generation: card.SelectHiCOSGen2 done
	df             *node // current DF; nil until one is selected
	ef             *node // current EF; nil when none
}

// node is a file of the emulated card.
type node struct {
	fid      uint16
	children []*node // nil for an EF
	data     []byte  // EF contents
}

func (n *node) isDF() bool { return n.children != nil }

func (n *node) child(fid uint16) *node {
	for _, c := range n.children {
		if c.fid == fid {
			return c
		}
	}
	return nil
}

// NewCertCard returns an emulated HiCOS card of kind card.TypeCitizenCert or
// card.TypeBusinessCert holding certDER as the user's certificate (in
// slot card.CertSlotUser2 of EF 08F2; the other slots are erased, FF,
// unless WithSlot1 puts a second certificate in card.CertSlotUser1) and
// tokenSerial as the card serial in EF 0903 (at most card.SerialLen ASCII
// bytes, padded with spaces). A citizen card answers reset with
// card.ATRMOICA, any other with DefaultHiCOSATR.
//
// The card answers the read path of package card: SELECT of 3F00, 5030
// and 08F2 and of 0900 and 0903/0905 by file identifier, and READ BINARY of
// the selected EF, up to 256 bytes at a time. A read starting at or past
// the end of the EF gets 6B00, one running past the end gets the bytes up
// to the end and 6282, short EF addressing (P1 bit 8) gets 6A86 and a read
// with no EF selected 6986. It returns no FCP to SELECT, as real cards do.
// A first-generation card (the default) takes only CLA 80 and rejects CLA
// 00 with 6E00, as real ones do; a second-generation card (WithGen2) takes
// only CLA 00 and needs card.SelectHiCOSGen2 first. It does not sign.
//
// NewCertCard panics when the certificate does not fit the EF or the
// serial is too long.
func NewCertCard(certDER []byte, kind card.Type, tokenSerial string, opts ...Option) Card {
	cfg := newConfig(opts)
	atr := cfg.atr
	if atr == nil {
		atr = DefaultHiCOSATR
		if kind == card.TypeCitizenCert {
			atr = card.ATRMOICA
		}
	}
	if card.CertSlotUser2+len(certDER) > card.MaxBinaryOffset+1 {
		panic(fmt.Sprintf("cardemu: NewCertCard: certificate of %d bytes does not fit", len(certDER)))
	}
	if len(tokenSerial) > card.SerialLen {
		panic(fmt.Sprintf("cardemu: NewCertCard: serial %q longer than %d bytes", tokenSerial, card.SerialLen))
	}

	if len(cfg.slot1) > card.CertSlotSize {
		panic(fmt.Sprintf("cardemu: NewCertCard: slot 1 certificate of %d bytes does not fit", len(cfg.slot1)))
	}
	size := card.CertSlotUser2 + max(card.CertSlotSize, len(certDER))
	certEF := bytes.Repeat([]byte{0xFF}, size)
	copy(certEF[card.CertSlotUser2:], certDER)
	copy(certEF[card.CertSlotUser1:], cfg.slot1)
	serial := append([]byte(tokenSerial), bytes.Repeat([]byte(" "), card.SerialLen-len(tokenSerial))...)
	version := append([]byte("CHT V32N"), make([]byte, 12)...)

	pki := &node{fid: card.FilePKIDF, children: []*node{{fid: card.FileCertEF, data: certEF}}}
	var root *node
	if cfg.gen2 {
		// The applet's own DF; the card serial is not emulated.
		root = &node{fid: 0x7FFF, children: []*node{pki}}
	} else {
		info := &node{fid: card.FileInfoDF, children: []*node{
			{fid: card.FileSerialEF, data: serial},
			{fid: card.FileVersionEF, data: version},
		}}
		root = &node{fid: card.FileMF, children: []*node{pki, info}}
	}
	return &certCard{atr: atr, gen2: cfg.gen2, root: root}
}

// ATR returns the card's ATR.
func (c *certCard) ATR() []byte { return append([]byte(nil), c.atr...) }

// Reset forgets the selected applet and files, as a power-on does.
func (c *certCard) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.appletSelected, c.df, c.ef = false, nil, nil
}

// Transmit answers one command APDU.
func (c *certCard) Transmit(apdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd, err := card.ParseCommand(apdu)
	if err != nil {
		return status(card.SWWrongLength)
	}
	cla := card.CLAHiCOS
	if c.gen2 {
		cla = card.CLAHiCOSGen2
	}
	if cmd.CLA != cla {
		return status(card.SWCLANotSupported)
	}
	switch cmd.INS {
	case 0xA4:
		return c.selectFile(cmd)
	case 0xB0:
		return c.readBinary(cmd)
	}
	return status(card.SWINSNotSupported)
}

func (c *certCard) selectFile(cmd card.Command) []byte {
	if cmd.P1 == 0x04 { // by AID
		if c.gen2 && bytes.Equal(cmd.Data, card.HiCOSGen2AID) {
			c.appletSelected, c.df, c.ef = true, c.root, nil
			return status(card.SWOK)
		}
		return status(card.SWFileNotFound)
	}
	if cmd.P1 != 0x00 || cmd.P2 != 0x00 {
		return status(card.SWIncorrectP1P2)
	}
	if len(cmd.Data) != 2 {
		return status(card.SWWrongLength)
	}
	fid := uint16(cmd.Data[0])<<8 | uint16(cmd.Data[1])
	if c.gen2 && !c.appletSelected {
		return status(card.SWFileNotFound)
	}
	var found *node
	switch {
	case fid == c.root.fid:
		found = c.root
	case c.df != nil:
		found = c.df.child(fid)
	}
	if found == nil {
		return status(card.SWFileNotFound)
	}
	if found.isDF() {
		c.df, c.ef = found, nil
	} else {
		c.ef = found
	}
	return status(card.SWOK) // HiCOS cards return no FCP
}

func (c *certCard) readBinary(cmd card.Command) []byte {
	if cmd.P1&0x80 != 0 { // short EF identifier: not supported
		return status(card.SWIncorrectP1P2)
	}
	if len(cmd.Data) != 0 || cmd.Le == card.LeAbsent {
		return status(card.SWWrongLength)
	}
	if c.ef == nil {
		return status(card.SWNoCurrentEF)
	}
	off := int(cmd.P1)<<8 | int(cmd.P2)
	data := c.ef.data
	if off >= len(data) {
		return status(card.SWWrongP1P2)
	}
	n := cmd.Le
	if n == 0 {
		n = card.MaxLe
	}
	if off+n > len(data) {
		return respond(data[off:], card.SWEndOfFile)
	}
	return respond(data[off:off+n], card.SWOK)
}
