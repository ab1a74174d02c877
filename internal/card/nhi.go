package card

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/multicert/multicert/internal/rocdate"
)

// The NHI card (健保卡) commands, as used by the public NHI card readers.
var (
	// SelectNHI selects the NHI application by its 16-byte AID
	// D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00:
	// 00 A4 04 00 10 D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00
	// (no Le byte). Some newer cards answer it with 6D00 and still answer
	// ReadNHIBasic, so the answer to the read, not to the select, decides
	// whether the card is an NHI card.
	SelectNHI = Command{
		CLA: 0x00, INS: 0xA4, P1: 0x04, P2: 0x00,
		Data: []byte{0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00},
		Le: LeAbsent,
	}
	// ReadNHIBasic reads the basic data (基本資料): 00 CA 11 00 02 00 00,
	// two data bytes and no Le byte, exactly as the NHI card readers send
	// it. The card answers NHIBasicLen bytes and 90 00.
	ReadNHIBasic = Command{
		CLA: 0x00, INS: 0xCA, P1: 0x11, P2: 0x00,
		Data: []byte{0x00, 0x00},
		Le:   LeAbsent,
	}
)

// Layout of the basic data returned by ReadNHIBasic.
const (
	NHIBasicLen = 57 // total length

	nhiCardNoEnd = 12 // card number: bytes 0-11, ASCII digits
	nhiNameEnd   = 32 // name: bytes 12-31, Big5, NUL (or space) padded
	nhiIDEnd     = 42 // ID number: bytes 32-41, ASCII
	nhiBirthEnd  = 49 // birth date: bytes 42-48, ROC YYYMMDD
	nhiSexEnd    = 50 // sex: byte 49, 'M' or 'F'
	nhiIssuedEnd = 57 // issue date: bytes 50-56, ROC YYYMMDD

	nhiNameLen = nhiNameEnd - nhiCardNoEnd
)

// NHIBasic is the basic data on an NHI card.
type NHIBasic struct {
	CardNo string    // card number, 12 digits
	IDNo   string    // national ID or resident certificate number, 10 characters
	Birth  time.Time // date of birth, midnight UTC
	Sex    string    // "M" or "F"
	Issued time.Time // issue date of the card, midnight UTC

	// Name is the holder's name decoded from Big5 (see DecodeBig5). A
	// character that cannot be decoded for sure, such as a
	// government-made character (造字) in a user-defined area, is U+FFFD,
	// never another character.
	Name string
	// NameRaw is the name field as the card holds it: Big5, cut at the
	// first NUL, without the ASCII spaces around it.
	NameRaw []byte
	// NameHasUserDefined reports that NameRaw holds a character in one of
	// Big5's user-defined areas, which Name lacks.
	NameHasUserDefined bool
}

// ErrNHIData is wrapped by every error of ParseNHIBasic and EncodeNHIBasic.
var ErrNHIData = errors.New("健保卡資料格式錯誤")

func nhiErr(format string, args ...any) error {
	return fmt.Errorf("%w：%s", ErrNHIData, fmt.Sprintf(format, args...))
}

// ParseNHIBasic parses the answer to ReadNHIBasic (without the status
// word). It needs at least NHIBasicLen bytes; bytes past them are ignored.
//
// The card number must be 12 ASCII digits, the ID number 10 upper-case
// letters or digits, the sex 'M' or 'F' and both dates valid 7-digit ROC
// dates (YYYMMDD). The name is decoded from Big5 (DecodeBig5) after
// cutting it at the first NUL and trimming spaces; a character that cannot
// be decoded for sure, such as a government-made character (造字) in a
// user-defined area, becomes U+FFFD rather than failing the read, because
// the card number and ID number, not the name, identify the holder.
// NameRaw keeps the bytes, and NameHasUserDefined tells a 造字.
func ParseNHIBasic(b []byte) (NHIBasic, error) {
	if len(b) < NHIBasicLen {
		return NHIBasic{}, nhiErr("資料長度 %d 不足 %d 位元組", len(b), NHIBasicLen)
	}
	var p NHIBasic
	var err error
	cardNo := b[:nhiCardNoEnd]
	if !allASCIIDigits(cardNo) {
		return NHIBasic{}, nhiErr("卡號不是 12 位數字")
	}
	p.CardNo = string(cardNo)

	if p.NameRaw, p.Name, p.NameHasUserDefined, err = decodeName(b[nhiCardNoEnd:nhiNameEnd]); err != nil {
		return NHIBasic{}, err
	}

	id := b[nhiNameEnd:nhiIDEnd]
	if !validID(id) {
		return NHIBasic{}, nhiErr("身分證號格式錯誤")
	}
	p.IDNo = string(id)

	if p.Birth, err = parseROC(b[nhiIDEnd:nhiBirthEnd], "出生日期"); err != nil {
		return NHIBasic{}, err
	}
	switch sex := b[nhiBirthEnd]; sex {
	case 'M', 'F':
		p.Sex = string(rune(sex))
	default:
		return NHIBasic{}, nhiErr("性別欄位不是 M 或 F")
	}
	if p.Issued, err = parseROC(b[nhiSexEnd:nhiIssuedEnd], "發卡日期"); err != nil {
		return NHIBasic{}, err
	}
	return p, nil
}

// EncodeNHIBasic encodes p as an NHI card stores it (NHIBasicLen bytes),
// for the card emulator. It fails when a field would not parse back: the
// card number is not 12 digits, the ID number not 10 upper-case letters or
// digits, the sex not "M" or "F", a date before 1912 or after ROC year
// 999, or the name empty, holding a control character or a character Big5
// lacks, or longer than 20 bytes in Big5.
//
// When NameRaw is not empty it is written as is, and Name and
// NameHasUserDefined are ignored: that is how the emulator holds a name
// with a government-made character (造字). It must then be at most 20
// bytes without NUL and decode to a name (see ParseNHIBasic).
func EncodeNHIBasic(p NHIBasic) ([]byte, error) {
	if len(p.CardNo) != nhiCardNoEnd || !allASCIIDigits([]byte(p.CardNo)) {
		return nil, nhiErr("卡號必須是 12 位數字")
	}
	if len(p.IDNo) != nhiIDEnd-nhiNameEnd || !validID([]byte(p.IDNo)) {
		return nil, nhiErr("身分證號必須是 10 位英文大寫字母或數字")
	}
	if p.Sex != "M" && p.Sex != "F" {
		return nil, nhiErr("性別必須是 M 或 F")
	}
	birth, err := formatROC(p.Birth, "出生日期")
	if err != nil {
		return nil, err
	}
	issued, err := formatROC(p.Issued, "發卡日期")
	if err != nil {
		return nil, err
	}
	big5 := p.NameRaw
	if len(big5) == 0 {
		if big5, err = EncodeName(p.Name); err != nil {
			return nil, err
		}
	} else if len(big5) > nhiNameLen || indexByte(big5, 0) >= 0 {
		return nil, nhiErr("姓名原始資料必須是 1 到 %d 位元組，且不含 NUL", nhiNameLen)
	} else if _, _, _, err := decodeName(big5); err != nil {
		return nil, err
	}

	b := make([]byte, NHIBasicLen)
	copy(b, p.CardNo)
	copy(b[nhiCardNoEnd:], big5) // the rest of the field stays NUL
	copy(b[nhiNameEnd:], p.IDNo)
	copy(b[nhiIDEnd:], birth)
	b[nhiBirthEnd] = p.Sex[0]
	copy(b[nhiSexEnd:], issued)
	return b, nil
}

// EncodeName encodes a holder's name in Big5 as an NHI card holds it. It
// fails when the name is empty or has spaces around it, holds a control
// character, U+FFFD or a character Big5 lacks or puts in a user-defined
// area, or is longer than 20 bytes in Big5.
func EncodeName(name string) ([]byte, error) {
	if strings.TrimSpace(name) == "" || strings.TrimSpace(name) != name {
		return nil, nhiErr("姓名不可為空白，也不可前後有空白")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return nil, nhiErr("姓名含有無法寫入卡片的字元")
		}
	}
	big5, err := traditionalchinese.Big5.NewEncoder().Bytes([]byte(name))
	if err != nil {
		return nil, nhiErr("姓名含有 Big5 無法表示的字")
	}
	if len(big5) > nhiNameLen {
		return nil, nhiErr("姓名以 Big5 編碼後為 %d 位元組，超過 %d 位元組", len(big5), nhiNameLen)
	}
	// The encoder puts HKSCS characters (𠕇 as FA 40) in the user-defined
	// areas, where ParseNHIBasic reads 造字.
	if back, userDefined := DecodeBig5(big5); userDefined || back != name {
		return nil, nhiErr("姓名含有 Big5 造字區的字")
	}
	return big5, nil
}

// decodeName decodes the Big5 name field: raw is the field cut at the
// first NUL without the ASCII spaces around it (0x20 is never part of a
// double-byte character), name its decoding without spaces around it.
func decodeName(field []byte) (raw []byte, name string, userDefined bool, err error) {
	if i := indexByte(field, 0); i >= 0 {
		field = field[:i]
	}
	raw = bytes.Trim(field, " ")
	name, userDefined = DecodeBig5(raw)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", false, nhiErr("姓名欄位是空的")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return nil, "", false, nhiErr("姓名欄位含有控制字元")
		}
	}
	return append([]byte(nil), raw...), name, userDefined, nil
}

func parseROC(field []byte, what string) (time.Time, error) {
	if !allASCIIDigits(field) {
		return time.Time{}, nhiErr("%s不是 7 位數字的民國日期", what)
	}
	t, err := rocdate.Parse(string(field))
	if err != nil {
		return time.Time{}, nhiErr("%s無效：%v", what, err)
	}
	return t, nil
}

func formatROC(t time.Time, what string) (string, error) {
	if y := rocdate.Year(t); y < 1 || y > 999 {
		return "", nhiErr("%s必須在民國 1 年到 999 年之間", what)
	}
	return rocdate.FormatCompact(t), nil
}

func allASCIIDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// validID reports whether b is 10 upper-case ASCII letters or digits. The
// check digit is not verified: the card is the authority on its holder's
// number.
func validID(b []byte) bool {
	if len(b) != nhiIDEnd-nhiNameEnd {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
