// Package card knows the smart cards multicert reads: the NHI card (健保卡)
// and the HiCOS PKI cards that carry the citizen digital certificate
// (自然人憑證, MOICA) and the business certificate (工商憑證, MOEACA).
//
// It encodes and parses ISO 7816-4 short APDUs, holds the commands the
// cards answer, parses what they return and tells the card types apart. It
// is pure Go and talks to no hardware: the PC/SC reader access lives in
// internal/agent/pcsc and the card emulator used by the tests in
// internal/cardemu.
//
// Error messages are in Traditional Chinese and can be shown to the user.
package card

import (
	"errors"
	"fmt"
)

// LeAbsent is the Command.Le value for a command that expects no response
// data (ISO 7816-4 cases 1 and 3).
const LeAbsent = -1

// MaxLe is the largest Le of a short APDU; it is encoded as 00.
const MaxLe = 256

// MaxData is the largest command data field of a short APDU.
const MaxData = 255

// Command is a command APDU.
type Command struct {
	CLA, INS, P1, P2 byte
	// Data is the command data field; nil or empty when there is none.
	Data []byte
	// Le is the number of response bytes expected: LeAbsent (-1) when the
	// field is absent, otherwise 0 to 256. Both 0 and 256 are encoded as
	// the byte 00, which ISO 7816-4 reads as "up to 256 bytes";
	// ParseCommand returns 256 for it.
	Le int
}

// ErrAPDU is wrapped by the errors of Command.Bytes, ParseCommand and
// ParseResponse.
var ErrAPDU = errors.New("APDU 格式錯誤")

func apduErr(format string, args ...any) error {
	return fmt.Errorf("%w：%s", ErrAPDU, fmt.Sprintf(format, args...))
}

// Bytes encodes c as a short APDU. It fails when the data field is longer
// than 255 bytes or Le is out of range.
func (c Command) Bytes() ([]byte, error) {
	if len(c.Data) > MaxData {
		return nil, apduErr("資料長度 %d 超過 %d 位元組", len(c.Data), MaxData)
	}
	if c.Le < LeAbsent || c.Le > MaxLe {
		return nil, apduErr("Le 值 %d 超出範圍", c.Le)
	}
	b := make([]byte, 0, 4+1+len(c.Data)+1)
	b = append(b, c.CLA, c.INS, c.P1, c.P2)
	if len(c.Data) > 0 {
		b = append(b, byte(len(c.Data)))
		b = append(b, c.Data...)
	}
	if c.Le != LeAbsent {
		b = append(b, byte(c.Le)) // 256 wraps to 00
	}
	return b, nil
}

// MustBytes is Bytes for commands known to be valid, such as the package's
// own command variables; it panics on an invalid command.
func (c Command) MustBytes() []byte {
	b, err := c.Bytes()
	if err != nil {
		panic(err)
	}
	return b
}

// String returns the command in hex, "00 A4 04 00 ...".
func (c Command) String() string {
	b, err := c.Bytes()
	if err != nil {
		return fmt.Sprintf("invalid command (%v)", err)
	}
	return hexBytes(b)
}

// ParseCommand decodes a short command APDU of ISO 7816-4 case 1 (header
// only), 2 (header and Le), 3 (header, Lc and data) or 4 (header, Lc, data
// and Le). Extended-length APDUs are rejected.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, apduErr("指令長度 %d 不足 4 位元組", len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3], Le: LeAbsent}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2
		c.Le = leValue(body[0])
		return c, nil
	}
	lc := int(body[0])
	if lc == 0 {
		return Command{}, apduErr("不支援延伸長度 APDU")
	}
	switch len(body) {
	case 1 + lc: // case 3
	case 1 + lc + 1: // case 4
		c.Le = leValue(body[1+lc])
	default:
		return Command{}, apduErr("Lc 為 %d，但資料長度為 %d", lc, len(body)-1)
	}
	c.Data = append([]byte(nil), body[1:1+lc]...)
	return c, nil
}

func leValue(b byte) int {
	if b == 0 {
		return MaxLe
	}
	return int(b)
}

// Response is a response APDU: the response data and the status word.
type Response struct {
	Data []byte
	SW   uint16
}

// ParseResponse splits a response APDU into data and status word. It needs
// at least the two status bytes.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, apduErr("回應長度 %d 不足 2 位元組", len(b))
	}
	n := len(b) - 2
	return Response{
		Data: append([]byte(nil), b[:n]...),
		SW:   uint16(b[n])<<8 | uint16(b[n+1]),
	}, nil
}

// Bytes encodes r as a response APDU: the data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	b := make([]byte, 0, len(r.Data)+2)
	b = append(b, r.Data...)
	return append(b, byte(r.SW>>8), byte(r.SW))
}

// OK reports whether the status word is 9000.
func (r Response) OK() bool { return r.SW == SWOK }

// Err returns SWError(r.SW): nil for 9000, otherwise an error with a
// Traditional Chinese message.
func (r Response) Err() error { return SWError(r.SW) }

// SW1 returns the first status byte.
func (r Response) SW1() byte { return byte(r.SW >> 8) }

// SW2 returns the second status byte.
func (r Response) SW2() byte { return byte(r.SW) }

func hexBytes(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[c>>4], digits[c&0x0F])
	}
	return string(out)
}
