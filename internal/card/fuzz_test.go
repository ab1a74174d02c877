package card_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multicert/multicert/internal/card"
)

func FuzzParseCommand(f *testing.F) {
	for _, c := range []card.Command{card.SelectNHI, card.ReadNHIBasic, card.SelectMF, card.SelectHiCOSGen2} {
		f.Add(c.MustBytes())
	}
	for _, s := range [][]byte{nil, {0}, {0, 0xA4, 0, 0}, {0, 0xB0, 0, 0, 0}, {0, 0xB0, 0, 0, 0, 1, 0}, {0x80, 0xB0, 0x15, 0, 0xC8}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := card.ParseCommand(b)
		if err != nil {
			if !errors.Is(err, card.ErrAPDU) {
				t.Fatalf("ParseCommand(% X) error %v does not wrap ErrAPDU", b, err)
			}
			return
		}
		out, err := c.Bytes()
		if err != nil {
			t.Fatalf("ParseCommand(% X) = %+v, but Bytes() error %v", b, c, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("ParseCommand(% X).Bytes() = % X, want the input back", b, out)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range [][]byte{nil, {0x90}, {0x90, 0x00}, {1, 2, 3, 0x6A, 0x82}, {0x63, 0xC2}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := card.ParseResponse(b)
		if err != nil {
			if len(b) >= 2 || !errors.Is(err, card.ErrAPDU) {
				t.Fatalf("ParseResponse(% X) error %v", b, err)
			}
			return
		}
		if out := r.Bytes(); !bytes.Equal(out, b) {
			t.Fatalf("ParseResponse(% X).Bytes() = % X, want the input back", b, out)
		}
		if err := card.SWError(r.SW); (err == nil) != (r.SW == card.SWOK) || (err != nil && err.Error() == "") {
			t.Fatalf("SWError(%04X) = %v", r.SW, err)
		}
		if n, ok := card.TriesLeft(r.SW); ok && (n < 0 || n > 15) {
			t.Fatalf("TriesLeft(%04X) = %d", r.SW, n)
		}
	})
}

func FuzzParseNHIBasic(f *testing.F) {
	f.Add(nhiRaw("000012345678", big5WangXiaoMing, "A123456789", "0680101", "M", "1081211"))
	f.Add(nhiRaw("987654321098", []byte("JOHN SMITH  "), "AC01234567", "1130229", "F", "1130301"))
	f.Add(nhiRaw("000012345678", []byte{0x87, 0x40, 0xA4, 0xFD}, "A123456789", "0010101", "F", "9991231"))
	f.Add(make([]byte, card.NHIBasicLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := card.ParseNHIBasic(b)
		if err != nil {
			if !errors.Is(err, card.ErrNHIData) {
				t.Fatalf("ParseNHIBasic(% X) error %v does not wrap ErrNHIData", b, err)
			}
			return
		}
		if len(p.CardNo) != 12 || len(p.IDNo) != 10 || (p.Sex != "M" && p.Sex != "F") || p.Name == "" {
			t.Fatalf("ParseNHIBasic(% X) = %+v, fields out of shape", b, p)
		}
		// A 造字 is never read as another character.
		if p.NameHasUserDefined && !strings.ContainsRune(p.Name, utf8.RuneError) {
			t.Fatalf("ParseNHIBasic(% X) name %q has a user-defined character but no U+FFFD", b, p.Name)
		}
		// The raw name is written back as is, so every parsed card encodes.
		enc, err := card.EncodeNHIBasic(p)
		if err != nil {
			t.Fatalf("EncodeNHIBasic(%+v) error %v", p, err)
		}
		if len(enc) != card.NHIBasicLen {
			t.Fatalf("EncodeNHIBasic(%+v) gave %d bytes, want %d", p, len(enc), card.NHIBasicLen)
		}
		again, err := card.ParseNHIBasic(enc)
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("ParseNHIBasic(EncodeNHIBasic(%+v)) = %+v, %v; want the same data", p, again, err)
		}
	})
}

func FuzzCertLength(f *testing.F) {
	for _, s := range [][]byte{nil, {0x30}, {0x30, 0x03}, {0x30, 0x81, 0x80}, {0x30, 0x82, 0x05, 0xDC}, {0x30, 0x82, 0x7F, 0xFC}, {0xFF, 0xFF}, {0x30, 0x80}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := card.CertLength(b)
		if err != nil {
			if !errors.Is(err, card.ErrNoCert) {
				t.Fatalf("CertLength(% X) error %v does not wrap ErrNoCert", b, err)
			}
			return
		}
		if n < 3 || n > card.MaxCertLen {
			t.Fatalf("CertLength(% X) = %d, out of range", b, n)
		}
		// Re-encode the header in minimal DER: it must be what b begins with.
		body := n - 2
		var hdr []byte
		switch {
		case body < 0x80:
			hdr = []byte{0x30, byte(body)}
		case body-1 < 0x100:
			hdr = []byte{0x30, 0x81, byte(body - 1)}
		default:
			hdr = []byte{0x30, 0x82, byte((body - 2) >> 8), byte(body - 2)}
		}
		if !bytes.HasPrefix(b, hdr) {
			t.Fatalf("CertLength(% X) = %d, but its header re-encodes as % X", b, n, hdr)
		}
	})
}
