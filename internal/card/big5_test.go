package card_test

import (
	"testing"

	"github.com/multicert/multicert/internal/card"
)

func TestDecodeBig5(t *testing.T) {
	const bad = "\ufffd"
	tests := []struct {
		name            string
		in              []byte
		want            string
		wantUserDefined bool
	}{
		{"empty", nil, "", false},
		{"ASCII", []byte("JOHN SMITH"), "JOHN SMITH", false},
		{"standard characters", []byte{0xA4, 0xFD, 0xA4, 0x70, 0xA9, 0xFA}, "王小明", false},

		// The first user-defined area, 0x8140–0xA0FE, and its edges.
		{"8140, first of area 1", []byte{0x81, 0x40}, bad, true},
		{"8E69, inside area 1 (x/text: 箸)", []byte{0x8E, 0x69}, bad, true},
		{"A0FE, last of area 1", []byte{0xA0, 0xFE}, bad, true},
		{"A140, just after area 1", []byte{0xA1, 0x40}, "\u3000", false},
		{"80 40: 80 is no lead byte", []byte{0x80, 0x40}, bad + "@", false},

		// The second, 0xC6A1–0xC8FE.
		{"C67E, just before area 2", []byte{0xC6, 0x7E}, "籲", false},
		{"C6A1, first of area 2 (x/text: ①)", []byte{0xC6, 0xA1}, bad, true},
		{"C740, inside area 2", []byte{0xC7, 0x40}, bad, true},
		{"C8FE, last of area 2", []byte{0xC8, 0xFE}, bad, true},
		{"C940, just after area 2", []byte{0xC9, 0x40}, "乂", false},

		// The third, 0xFA40–0xFEFE.
		{"F9D5, last standard character", []byte{0xF9, 0xD5}, "龘", false},
		{"F9FE, just before area 3", []byte{0xF9, 0xFE}, "￭", false},
		{"FB69, inside area 3 (x/text: 堃)", []byte{0xFB, 0x69}, bad, true},
		{"FA40, first of area 3 (x/text: 𠕇)", []byte{0xFA, 0x40}, bad, true},
		{"FEFE, last of area 3 (x/text: 秔)", []byte{0xFE, 0xFE}, bad, true},
		{"FF: no lead byte", []byte{0xFF, 0x40}, bad + "@", false},

		// Broken sequences.
		{"odd trailing lead byte", []byte{0xA4, 0xFD, 0xA4}, "王" + bad, false},
		{"odd trailing lead byte of area 3", []byte{0xA4, 0xFD, 0xFE}, "王" + bad, false},
		{"lead byte before ASCII", []byte{0xA4, 0x30, 0x41}, bad + "0A", false},
		{"lead byte before 0x80", []byte{0xA4, 0x80, 0x41}, bad + bad + "A", false},
		{"trail byte 0x7F is none", []byte{0xA4, 0x7F}, bad + "\x7F", false},
		{"trail byte 0xA0 is none", []byte{0xA4, 0xA0}, bad + bad, false},
		{"lone 0x80", []byte{0x80}, bad, false},
		{"A3E1, the euro sign of CP950", []byte{0xA3, 0xE1}, "€", false},

		{"造字 in a name", []byte{0xA4, 0xFD, 0xFA, 0x40, 0xA9, 0xFA}, "王" + bad + "明", true},
		{"one of each area", []byte{0x81, 0x40, 0xC6, 0xA1, 0xFE, 0xFE}, bad + bad + bad, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ud := card.DecodeBig5(tt.in)
			if got != tt.want || ud != tt.wantUserDefined {
				t.Errorf("DecodeBig5(% X) = %q, %v; want %q, %v", tt.in, got, ud, tt.want, tt.wantUserDefined)
			}
		})
	}
}
