package twid_test

import (
	"errors"
	"testing"

	"github.com/multicert/multicert/internal/twid"
)

func FuzzCheckPersonID(f *testing.F) {
	for _, s := range []string{"", "A123456789", "AC01234567", "A800000014", "A12345678", "a123456789", "ＡＣ０１２３４５６７", "\xff\xfe123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, err := twid.CheckPersonID(s)
		if err != nil {
			if kind != 0 {
				t.Fatalf("CheckPersonID(%q) = (%v, %v): want kind 0 on error", s, kind, err)
			}
			if !errors.Is(err, twid.ErrEmpty) && !errors.Is(err, twid.ErrFormat) && !errors.Is(err, twid.ErrChecksum) {
				t.Fatalf("CheckPersonID(%q) error %v wraps no sentinel", s, err)
			}
			return
		}
		if kind < twid.NationalID || kind > twid.ResidentNew {
			t.Fatalf("CheckPersonID(%q) = kind %d with nil error", s, kind)
		}
		if len(s) != 10 {
			t.Fatalf("CheckPersonID(%q) accepted a string of length %d", s, len(s))
		}
		if twid.Normalize(s) != s {
			t.Fatalf("CheckPersonID(%q) accepted a non-normalised string", s)
		}
	})
}

func FuzzCheckBAN(f *testing.F) {
	for _, s := range []string{"", "04595257", "10458575", "00238778", "04595252", "0459525A", "123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := twid.CheckBAN(s)
		if err != nil {
			if !errors.Is(err, twid.ErrEmpty) && !errors.Is(err, twid.ErrFormat) && !errors.Is(err, twid.ErrChecksum) {
				t.Fatalf("CheckBAN(%q) error %v wraps no sentinel", s, err)
			}
			return
		}
		if len(s) != 8 {
			t.Fatalf("CheckBAN(%q) accepted a string of length %d", s, len(s))
		}
		// Adding 2 to the last digit shifts the sum by 2 modulo 5. Valid
		// sums are 0 modulo 5, or also 4 modulo 5 when the 7th digit is 7,
		// so the result must be invalid either way.
		d := s[7] - '0'
		other := s[:7] + string(rune('0'+(d+2)%10))
		if twid.CheckBAN(other) == nil {
			t.Fatalf("CheckBAN accepted both %q and %q", s, other)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " a123456789 ", "\u3000Ｆ１２３４５６７８９\u3000", "ａｂｃ", "\xff", "ǅ", "ß", "\u0345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := twid.Normalize(s)
		if twice := twid.Normalize(once); twice != once {
			t.Fatalf("Normalize not idempotent: Normalize(%q) = %q, Normalize(%q) = %q", s, once, once, twice)
		}
		_ = twid.Mask(s)
		_ = twid.Mask(once)
	})
}
