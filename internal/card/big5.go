package card

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/traditionalchinese"
)

// Big5's user-defined areas (使用者造字區), as double-byte codes (lead byte
// << 8 | trail byte). NHI cards put government-made characters (造字)
// there. golang.org/x/text decodes most of these codes as HKSCS
// characters (FE FE as 秔, FA 40 as 𠕇) without an error: a name read
// that way would be silently wrong.
var big5UserDefined = [][2]uint16{
	{0x8140, 0xA0FE},
	{0xC6A1, 0xC8FE},
	{0xFA40, 0xFEFE},
}

// isBig5UserDefined reports whether the double-byte code is in one of
// Big5's user-defined areas.
func isBig5UserDefined(code uint16) bool {
	for _, r := range big5UserDefined {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}

// isBig5Lead and isBig5Trail tell the bytes of a double-byte character.
func isBig5Lead(c byte) bool  { return c >= 0x81 && c <= 0xFE }
func isBig5Trail(c byte) bool { return (c >= 0x40 && c <= 0x7E) || (c >= 0xA1 && c <= 0xFE) }

// DecodeBig5 decodes b as Big5, one character at a time: a byte below 0x80
// is ASCII; a lead byte (0x81–0xFE) takes the next byte as its trail byte
// when it is one (0x40–0x7E or 0xA1–0xFE). Every character it cannot
// decode for sure becomes U+FFFD, never another character: a character in
// a user-defined area (0x8140–0xA0FE, 0xC6A1–0xC8FE, 0xFA40–0xFEFE), a
// standard code Big5 leaves unassigned, a lead byte without its trail
// byte (the trail byte, when there is one, is then read on its own) and a
// byte that is neither ASCII nor a lead byte (0x80, 0xFF). userDefined
// reports whether b holds a character in a user-defined area.
func DecodeBig5(b []byte) (s string, userDefined bool) {
	dec := traditionalchinese.Big5.NewDecoder()
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
			out.WriteByte(c)
			continue
		case !isBig5Lead(c) || i+1 == len(b) || !isBig5Trail(b[i+1]):
			out.WriteRune(utf8.RuneError)
			continue
		}
		code := uint16(c)<<8 | uint16(b[i+1])
		i++
		if isBig5UserDefined(code) {
			userDefined = true
			out.WriteRune(utf8.RuneError)
			continue
		}
		r, err := dec.Bytes([]byte{byte(code >> 8), byte(code)})
		if err != nil || len(r) == 0 || strings.ContainsRune(string(r), utf8.RuneError) {
			out.WriteRune(utf8.RuneError)
			continue
		}
		out.Write(r)
	}
	return out.String(), userDefined
}
