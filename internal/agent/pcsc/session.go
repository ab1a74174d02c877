//go:build pcsc || windows

package pcsc

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/card"
)

// session is one connection to a card, inside a PC/SC transaction.
type session struct {
	ctx    context.Context
	sc     *scard.Context
	reader string
	card   *scard.Card
	atr    []byte
}

// withCard connects to the card in reader (shared, any protocol), begins a
// transaction, runs f and ends the transaction and the connection, both
// leaving the card as it is. Errors of f that come from PC/SC are mapped
// as errors during a transaction; when the card is gone afterwards, the
// error is ErrCardRemoved whatever PC/SC said.
//
// A card reset by another application, or taken out and replaced by
// another, between the connection and the transaction (SCARD_W_RESET_CARD,
// SCARD_W_REMOVED_CARD), or reset during f, is connected to again, once:
// the new connection sees the card that is in the reader now, and f reads
// it from the start.
func withCard(ctx context.Context, sc *scard.Context, reader string, f func(*session) error) error {
	if reader == "" {
		return &agent.Error{Code: agent.ErrNoReader, Message: msgNoReaderName}
	}
	again, err := connectOnce(ctx, sc, reader, f)
	if again {
		_, err = connectOnce(ctx, sc, reader, f)
	}
	return err
}

// connected, when set (by tests), runs between the connection to the card
// and the transaction.
var connected func(reader string)

// connectOnce is one connection of withCard; again reports that the card
// was reset or replaced and a new connection may succeed.
func connectOnce(ctx context.Context, sc *scard.Context, reader string, f func(*session) error) (again bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	c, err := sc.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		if staleContext(err) {
			return false, err // PCSC.do establishes a new context and retries
		}
		return false, mapErr(err, false)
	}
	defer c.Disconnect(scard.LeaveCard)
	if connected != nil {
		connected(reader)
	}
	if err := c.BeginTransaction(); err != nil {
		return isSCard(err, scard.ErrResetCard, scard.ErrRemovedCard), mapErr(err, false)
	}
	defer c.EndTransaction(scard.LeaveCard)

	// Transmit panics on any other protocol.
	if p := c.ActiveProtocol(); p != scard.ProtocolT0 && p != scard.ProtocolT1 {
		return false, errUnsupported("讀卡機與卡片無法以 T=0 或 T=1 通訊")
	}
	s := &session{ctx: ctx, sc: sc, reader: reader, card: c, atr: cardATR(c)}
	err = f(s)
	var se scard.Error
	if errors.As(err, &se) {
		if se == scard.ErrRemovedCard || se == scard.ErrNoSmartcard || goneSoon(sc, reader) {
			return false, errRemoved
		}
		return se == scard.ErrResetCard, mapErr(err, true)
	}
	return false, err
}

// isSCard reports whether err is one of the PC/SC errors codes.
func isSCard(err error, codes ...scard.Error) bool {
	var se scard.Error
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se == c {
			return true
		}
	}
	return false
}

// removalWait bounds how long goneSoon waits for the reader to report a
// removal: readers (and vpcd) poll for the card a few times a second.
const removalWait = 1500 * time.Millisecond

// goneSoon reports whether the card in reader is gone now or within
// removalWait. It is asked after a failed transmit, to tell a removed card
// from another failure.
func goneSoon(sc *scard.Context, reader string) bool {
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	if err := sc.GetStatusChange(rs, 0); err != nil {
		return false
	}
	deadline := time.Now().Add(removalWait)
	for {
		if rs[0].EventState&scard.StatePresent == 0 {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
		if err := sc.GetStatusChange(rs, left); err != nil {
			return false // timeout: still there
		}
	}
}

// cardATR returns the ATR of the connected card, or nil.
func cardATR(c *scard.Card) (atr []byte) {
	if b, err := c.GetAttrib(scard.AttrAtrString); err == nil && len(b) > 0 {
		return b
	}
	defer func() {
		if recover() != nil { // Status indexes the reader list without checking
			atr = nil
		}
	}()
	if st, err := c.Status(); err == nil {
		return st.Atr
	}
	return nil
}

// maxResponseParts bounds the GET RESPONSE rounds of one command.
const maxResponseParts = 64

// transmit sends cmd and returns the card's answer. It follows 61xx with
// GET RESPONSE and answers 6Cxx by sending the command again with Le xx,
// as T=0 cards need.
func (s *session) transmit(cmd card.Command) (card.Response, error) {
	resp, err := s.send(cmd)
	if err != nil {
		return card.Response{}, err
	}
	if resp.SW1() == 0x6C {
		cmd.Le = int(resp.SW2())
		if cmd.Le == 0 {
			cmd.Le = card.MaxLe
		}
		if resp, err = s.send(cmd); err != nil {
			return card.Response{}, err
		}
	}
	data := resp.Data
	for i := 0; resp.SW1() == 0x61; i++ {
		if i == maxResponseParts {
			return card.Response{}, errUnsupported("卡片回應過長")
		}
		le := int(resp.SW2())
		if le == 0 {
			le = card.MaxLe
		}
		if resp, err = s.send(card.Command{CLA: 0x00, INS: 0xC0, Le: le}); err != nil {
			return card.Response{}, err
		}
		data = append(data, resp.Data...)
	}
	resp.Data = data
	return resp, nil
}

// send transmits one APDU.
func (s *session) send(cmd card.Command) (card.Response, error) {
	if err := s.ctx.Err(); err != nil {
		return card.Response{}, err
	}
	b, err := cmd.Bytes()
	if err != nil || len(b) == 0 { // Transmit panics on an empty APDU
		return card.Response{}, &agent.Error{Code: agent.ErrInternal, Message: "讀卡指令格式錯誤"}
	}
	raw, err := s.card.Transmit(b)
	if err != nil {
		return card.Response{}, err
	}
	resp, err := card.ParseResponse(raw)
	if err != nil {
		// Some drivers (vpcd among them) answer nothing, without an
		// error, when the card is pulled out during the command.
		if goneSoon(s.sc, s.reader) {
			return card.Response{}, errRemoved
		}
		return card.Response{}, errUnsupported("卡片回應格式錯誤")
	}
	return resp, nil
}

// readNHI sends SelectNHI and ReadNHIBasic. The answer to the read decides:
// some cards answer the select with 6D00 and still answer the read.
func (s *session) readNHI() (card.NHIBasic, error) {
	if _, err := s.transmit(card.SelectNHI); err != nil {
		return card.NHIBasic{}, err
	}
	resp, err := s.transmit(card.ReadNHIBasic)
	if err != nil {
		return card.NHIBasic{}, err
	}
	if !resp.OK() {
		return card.NHIBasic{}, &agent.Error{Code: agent.ErrUnsupportedCard,
			Message: fmt.Sprintf("這張卡片不是健保卡，或無法讀取健保卡資料（%04X）", resp.SW)}
	}
	basic, err := card.ParseNHIBasic(resp.Data)
	if err != nil {
		return card.NHIBasic{}, &agent.Error{Code: agent.ErrUnsupportedCard, Message: err.Error()}
	}
	return basic, nil
}

// errNotHiCOS is returned when neither HiCOS read path selects the
// certificate EF.
var errNotHiCOS = errUnsupported("這張卡片不是自然人憑證或工商憑證，或無法讀取卡片上的憑證")

// selectCertEF selects 3F00/5030/08F2 and returns the class byte for READ
// BINARY: first the first-generation path (CLA 80), then the
// second-generation one (applet AID, then CLA 00).
func (s *session) selectCertEF() (byte, error) {
	ok, err := s.selectAll(card.SelectMF, card.SelectPKIDF, card.SelectCertEF)
	if err != nil || ok {
		return card.CLAHiCOS, err
	}
	ok, err = s.selectAll(card.SelectHiCOSGen2,
		card.SelectFile(card.CLAHiCOSGen2, card.FilePKIDF),
		card.SelectFile(card.CLAHiCOSGen2, card.FileCertEF))
	if err != nil || ok {
		return card.CLAHiCOSGen2, err
	}
	return 0, errNotHiCOS
}

// selectAll sends the SELECTs in turn; ok is false as soon as one fails.
func (s *session) selectAll(cmds ...card.Command) (ok bool, err error) {
	for _, c := range cmds {
		resp, err := s.transmit(c)
		if err != nil {
			return false, err
		}
		if !resp.OK() {
			return false, nil
		}
	}
	return true, nil
}

// readBinary reads up to n bytes at off of the current EF. An answer cut
// short at the end of the file (6282) is accepted.
func (s *session) readBinary(cla byte, off, n int) ([]byte, error) {
	cmd, err := card.ReadBinary(cla, off, n)
	if err != nil {
		return nil, errUnsupported("卡片上的憑證超出可讀取的範圍")
	}
	resp, err := s.transmit(cmd)
	if err != nil {
		return nil, err
	}
	if !resp.OK() && !(resp.SW == card.SWEndOfFile && len(resp.Data) > 0) {
		return nil, &card.StatusError{SW: resp.SW}
	}
	if len(resp.Data) == 0 || len(resp.Data) > n {
		return nil, errUnsupported("卡片回應的資料長度不正確")
	}
	return resp.Data, nil
}

// readCertAt reads the certificate starting at off of the current EF in
// chunks of card.MaxReadChunk bytes: the first chunk gives the length.
func (s *session) readCertAt(cla byte, off int) ([]byte, error) {
	buf, err := s.readBinary(cla, off, card.MaxReadChunk)
	if err != nil {
		return nil, err
	}
	n, err := card.CertLength(buf)
	if err != nil {
		return nil, err
	}
	if len(buf) > n {
		buf = buf[:n]
	}
	for len(buf) < n {
		part, err := s.readBinary(cla, off+len(buf), min(card.MaxReadChunk, n-len(buf)))
		if err != nil {
			return nil, err
		}
		buf = append(buf, part...)
	}
	return buf[:n], nil
}

// readCert reads the user's certificates of a HiCOS card (slots 1 and 2)
// and returns the one to sign with, chosen by key usage
// (agent.ChooseSigning), not by slot: cards with two certificates hold a
// signing and an encryption one, in an order that is not documented. With
// withSerial on a first-generation card it reads the card serial too.
func (s *session) readCert(withSerial bool) (der []byte, serial string, err error) {
	cla, err := s.selectCertEF()
	if err != nil {
		return nil, "", err
	}
	var found [][]byte
	for _, slot := range []int{card.CertSlotUser1, card.CertSlotUser2} {
		d, err := s.readCertAt(cla, slot)
		if err == nil {
			found = append(found, d)
			continue
		}
		var se *card.StatusError
		if !errors.Is(err, card.ErrNoCert) && !errors.As(err, &se) {
			return nil, "", err
		}
	}
	switch i := agent.ChooseSigning(found); {
	case len(found) == 0:
		return nil, "", errUnsupported("卡片上找不到使用者憑證")
	case i >= 0:
		der = found[i]
	default:
		// None may sign: give the last one read, whose issuer still tells
		// the card's type; signing with it is refused later.
		der = found[len(found)-1]
	}
	if withSerial && cla == card.CLAHiCOS {
		serial, err = s.readSerial()
		if err != nil && !isCardStatus(err) {
			return nil, "", err
		}
	}
	return der, serial, nil
}

// isCardStatus reports whether err is the card saying no (a status word,
// or data that is not what was asked for), as opposed to a failure to talk
// to it.
func isCardStatus(err error) bool {
	var se *card.StatusError
	if errors.As(err, &se) {
		return true
	}
	var ae *agent.Error
	return errors.As(err, &ae) && ae.Code == agent.ErrUnsupportedCard
}

// readSerial reads the card serial, 3F00/0900/0903, of a first-generation
// card. A card without it gives "" and a *card.StatusError.
func (s *session) readSerial() (string, error) {
	ok, err := s.selectAll(card.SelectMF,
		card.SelectFile(card.CLAHiCOS, card.FileInfoDF),
		card.SelectFile(card.CLAHiCOS, card.FileSerialEF))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", &card.StatusError{SW: card.SWFileNotFound}
	}
	b, err := s.readBinary(card.CLAHiCOS, 0, card.SerialLen)
	if err != nil {
		return "", err
	}
	return trimSerial(b), nil
}

// trimSerial keeps the printable ASCII of a serial, without the padding
// (NUL, FF, spaces) around it.
func trimSerial(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c > 0x20 && c < 0x7F {
			out = append(out, c)
		} else if len(out) > 0 && c == ' ' {
			out = append(out, c)
		}
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return string(out)
}

// identified is what identify found on a card.
type identified struct {
	nhi    card.NHIBasic
	der    []byte
	serial string
}

// identify tells the card's type: from the ATR, then by reading the NHI
// basic data, then by reading the certificate and looking at its issuer.
// A certificate type from the ATR is checked against the certificate when
// it can be read, since business and citizen cards may share an ATR; it
// stands when the certificate is unreadable or its issuer unknown. A card
// that is neither is TypeUnknown. The data read is returned too (the card
// serial only with withSerial); it is nil when nothing could be read.
func (s *session) identify(withSerial bool) (card.Type, *identified, error) {
	atrType := card.TypeFromATR(s.atr)
	if !atrType.IsCert() {
		basic, err := s.readNHI()
		if err == nil {
			return card.TypeNHI, &identified{nhi: basic}, nil
		}
		if !isCardStatus(err) {
			return "", nil, err
		}
	}
	fallback := card.TypeUnknown
	if atrType.IsCert() {
		fallback = atrType
	}
	der, serial, err := s.readCert(withSerial)
	if err != nil {
		if !isCardStatus(err) {
			return "", nil, err
		}
		return fallback, nil, nil
	}
	got := &identified{der: der, serial: serial}
	if cert, err := x509.ParseCertificate(der); err == nil {
		if t := card.TypeFromCert(cert); t != card.TypeUnknown {
			return t, got, nil
		}
	}
	return fallback, got, nil
}
