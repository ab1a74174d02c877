package card_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/card"
)

// nhiRaw builds basic data field by field, independently of EncodeNHIBasic.
func nhiRaw(cardNo string, name []byte, id, birth, sex, issued string) []byte {
	b := make([]byte, 0, card.NHIBasicLen)
	b = append(b, cardNo...)
	nameField := make([]byte, 20)
	copy(nameField, name)
	b = append(b, nameField...)
	b = append(b, id...)
	b = append(b, birth...)
	b = append(b, sex...)
	b = append(b, issued...)
	return b
}

// big5WangXiaoMing is 王小明 in Big5.
var big5WangXiaoMing = []byte{0xA4, 0xFD, 0xA4, 0x70, 0xA9, 0xFA}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestSelectAndReadNHIBytes(t *testing.T) {
	tests := []struct {
		name string
		cmd  card.Command
		want string
	}{
		{"SelectNHI", card.SelectNHI, "00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00"},
		{"ReadNHIBasic", card.ReadNHIBasic, "00 CA 11 00 02 00 00"},
	}
	for _, tt := range tests {
		got, err := tt.cmd.Bytes()
		if err != nil {
			t.Fatalf("%s.Bytes() error %v", tt.name, err)
		}
		if want := unhex(t, tt.want); !bytes.Equal(got, want) {
			t.Errorf("%s.Bytes() = % X, want % X", tt.name, got, want)
		}
	}
}

func TestParseNHIBasic(t *testing.T) {
	want := card.NHIBasic{
		CardNo:  "000012345678",
		Name:    "王小明",
		NameRaw: big5WangXiaoMing,
		IDNo:    "A123456789",
		Birth:   date(1979, 1, 1),
		Sex:     "M",
		Issued:  date(2019, 12, 11),
	}
	spacePadded := append(append([]byte{}, big5WangXiaoMing...), bytes.Repeat([]byte(" "), 14)...)
	tests := []struct {
		name string
		in   []byte
		want card.NHIBasic
	}{
		{"NUL padded", nhiRaw("000012345678", big5WangXiaoMing, "A123456789", "0680101", "M", "1081211"), want},
		{"space padded", nhiRaw("000012345678", spacePadded, "A123456789", "0680101", "M", "1081211"), want},
		{"trailing bytes ignored", append(nhiRaw("000012345678", big5WangXiaoMing, "A123456789", "0680101", "M", "1081211"), 0x90, 0x00), want},
		{"female, resident number, ASCII name", nhiRaw("987654321098", []byte("JOHN SMITH"), "AC01234567", "1130229", "F", "1130301"),
			card.NHIBasic{CardNo: "987654321098", Name: "JOHN SMITH", NameRaw: []byte("JOHN SMITH"), IDNo: "AC01234567", Birth: date(2024, 2, 29), Sex: "F", Issued: date(2024, 3, 1)}},
		{"undecodable pair becomes U+FFFD", nhiRaw("000012345678", []byte{0xA4, 0xFD, 0x80, 0x41}, "A123456789", "0680101", "M", "1081211"),
			card.NHIBasic{CardNo: "000012345678", Name: "王\ufffdA", NameRaw: []byte{0xA4, 0xFD, 0x80, 0x41}, IDNo: "A123456789", Birth: date(1979, 1, 1), Sex: "M", Issued: date(2019, 12, 11)}},
		{"government-made character (造字) in area 3, space padded", nhiRaw("000012345678", []byte{0xA4, 0xFD, 0xFE, 0xFE, 0xA9, 0xFA, ' ', ' '}, "A123456789", "0680101", "M", "1081211"),
			card.NHIBasic{CardNo: "000012345678", Name: "王\ufffd明", NameRaw: []byte{0xA4, 0xFD, 0xFE, 0xFE, 0xA9, 0xFA}, NameHasUserDefined: true,
				IDNo: "A123456789", Birth: date(1979, 1, 1), Sex: "M", Issued: date(2019, 12, 11)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := card.ParseNHIBasic(tt.in)
			if err != nil {
				t.Fatalf("ParseNHIBasic error %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseNHIBasic = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseNHIBasicErrors(t *testing.T) {
	good := nhiRaw("000012345678", big5WangXiaoMing, "A123456789", "0680101", "M", "1081211")
	with := func(off int, s string) []byte {
		b := append([]byte{}, good...)
		copy(b[off:], s)
		return b
	}
	tests := []struct {
		name     string
		in       []byte
		wantPart string
	}{
		{"empty", nil, "長度"},
		{"56 bytes", good[:56], "長度"},
		{"card number not digits", with(3, "X"), "卡號"},
		{"empty name", nhiRaw("000012345678", nil, "A123456789", "0680101", "M", "1081211"), "姓名"},
		{"blank name", nhiRaw("000012345678", []byte("    "), "A123456789", "0680101", "M", "1081211"), "姓名"},
		{"control character in name", nhiRaw("000012345678", []byte{0xA4, 0xFD, 0x01}, "A123456789", "0680101", "M", "1081211"), "控制字元"},
		{"lower-case ID", with(32, "a"), "身分證號"},
		{"ID with a space", with(40, " "), "身分證號"},
		{"birth month 13", with(42, "0681301"), "出生日期"},
		{"birth not digits", with(42, "068/101"), "出生日期"},
		{"birth year 0", with(42, "0000101"), "出生日期"},
		{"sex X", with(49, "X"), "性別"},
		{"issue date 2/30", with(50, "1080230"), "發卡日期"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := card.ParseNHIBasic(tt.in)
			if err == nil {
				t.Fatalf("ParseNHIBasic = %+v, want an error", got)
			}
			if !errors.Is(err, card.ErrNHIData) {
				t.Errorf("error %v does not wrap ErrNHIData", err)
			}
			if !strings.Contains(err.Error(), tt.wantPart) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantPart)
			}
		})
	}
}

func TestEncodeNHIBasic(t *testing.T) {
	p := card.NHIBasic{CardNo: "000012345678", Name: "王小明", IDNo: "A123456789", Birth: date(1979, 1, 1), Sex: "M", Issued: date(2019, 12, 11)}
	got, err := card.EncodeNHIBasic(p)
	if err != nil {
		t.Fatalf("EncodeNHIBasic error %v", err)
	}
	if want := nhiRaw("000012345678", big5WangXiaoMing, "A123456789", "0680101", "M", "1081211"); !bytes.Equal(got, want) {
		t.Errorf("EncodeNHIBasic = % X, want % X", got, want)
	}
	back, err := card.ParseNHIBasic(got)
	want := p
	want.NameRaw = big5WangXiaoMing
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Errorf("ParseNHIBasic(EncodeNHIBasic(p)) = %+v, %v; want %+v", back, err, want)
	}

	// A 10-character name fills the 20-byte field exactly.
	ten := p
	ten.Name = strings.Repeat("明", 10)
	if b, err := card.EncodeNHIBasic(ten); err != nil {
		t.Errorf("EncodeNHIBasic(10-character name) error %v", err)
	} else if back, err := card.ParseNHIBasic(b); err != nil || back.Name != ten.Name {
		t.Errorf("round trip of a 10-character name = %q, %v; want %q", back.Name, err, ten.Name)
	}
}

// TestEncodeNHIBasicRawName: the emulator holds a name with a 造字 through
// NameRaw, written as is; the name read back has U+FFFD in its place.
func TestEncodeNHIBasicRawName(t *testing.T) {
	raw := []byte{0xA4, 0xFD, 0xFA, 0x40, 0xA9, 0xFA} // 王, FA40 (x/text: 𠕇), 明
	p := card.NHIBasic{CardNo: "000012345678", Name: "ignored", NameRaw: raw, IDNo: "A123456789", Birth: date(1979, 1, 1), Sex: "M", Issued: date(2019, 12, 11)}
	got, err := card.EncodeNHIBasic(p)
	if err != nil {
		t.Fatalf("EncodeNHIBasic error %v", err)
	}
	if want := nhiRaw("000012345678", raw, "A123456789", "0680101", "M", "1081211"); !bytes.Equal(got, want) {
		t.Errorf("EncodeNHIBasic = % X, want % X", got, want)
	}
	back, err := card.ParseNHIBasic(got)
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != "王\ufffd明" || !bytes.Equal(back.NameRaw, raw) || !back.NameHasUserDefined {
		t.Errorf("read back: Name %q, NameRaw % X, NameHasUserDefined %v; want %q, % X, true", back.Name, back.NameRaw, back.NameHasUserDefined, "王\ufffd明", raw)
	}
}

func TestEncodeNHIBasicErrors(t *testing.T) {
	base := card.NHIBasic{CardNo: "000012345678", Name: "王小明", IDNo: "A123456789", Birth: date(1979, 1, 1), Sex: "M", Issued: date(2019, 12, 11)}
	tests := []struct {
		name     string
		change   func(p *card.NHIBasic)
		wantPart string
	}{
		{"name with a character Big5 lacks", func(p *card.NHIBasic) { p.Name = "王😀" }, "Big5"},
		{"name with a Thai letter", func(p *card.NHIBasic) { p.Name = "王\u0E01" }, "Big5"},
		{"name 22 bytes", func(p *card.NHIBasic) { p.Name = strings.Repeat("明", 11) }, "超過 20"},
		{"name Big5 puts in a user-defined area", func(p *card.NHIBasic) { p.Name = "王𠕇" }, "造字"},
		{"raw name 21 bytes", func(p *card.NHIBasic) {
			p.NameRaw = bytes.Repeat([]byte{0xA4, 0xFD}, 10)
			p.NameRaw = append(p.NameRaw, 'A')
		}, "20"},
		{"raw name with NUL", func(p *card.NHIBasic) { p.NameRaw = []byte{0xA4, 0xFD, 0, 0xA4, 0xFD} }, "NUL"},
		{"raw name of spaces", func(p *card.NHIBasic) { p.NameRaw = []byte("   ") }, "姓名"},
		{"raw name with control character", func(p *card.NHIBasic) { p.NameRaw = []byte{0xA4, 0xFD, 0x1B} }, "控制字元"},
		{"empty name", func(p *card.NHIBasic) { p.Name = "" }, "姓名"},
		{"name with leading space", func(p *card.NHIBasic) { p.Name = " 王小明" }, "姓名"},
		{"name with control character", func(p *card.NHIBasic) { p.Name = "王\n明" }, "姓名"},
		{"card number 11 digits", func(p *card.NHIBasic) { p.CardNo = "00001234567" }, "卡號"},
		{"card number with letter", func(p *card.NHIBasic) { p.CardNo = "00001234567A" }, "卡號"},
		{"ID lower case", func(p *card.NHIBasic) { p.IDNo = "a123456789" }, "身分證號"},
		{"sex lower case", func(p *card.NHIBasic) { p.Sex = "m" }, "性別"},
		{"birth before 1912", func(p *card.NHIBasic) { p.Birth = date(1911, 12, 31) }, "出生日期"},
		{"issued after ROC 999", func(p *card.NHIBasic) { p.Issued = date(2911, 1, 1) }, "發卡日期"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			tt.change(&p)
			got, err := card.EncodeNHIBasic(p)
			if err == nil {
				t.Fatalf("EncodeNHIBasic = % X, want an error", got)
			}
			if !errors.Is(err, card.ErrNHIData) || !strings.Contains(err.Error(), tt.wantPart) {
				t.Errorf("error %q, want one wrapping ErrNHIData that mentions %q", err, tt.wantPart)
			}
		})
	}
}
