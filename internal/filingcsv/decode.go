package filingcsv

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/traditionalchinese"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	magicZIP   = []byte("PK\x03\x04")                                   // .xlsx, .ods and other zipped files
	magicOLE   = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1} // .xls
)

// saveAsCSV tells how to save a workbook as a file Parse reads.
const saveAsCSV = "請在 Excel 以「另存新檔」選擇「CSV UTF-8（逗號分隔）(*.csv)」儲存後再上傳。"

// decode detects the encoding of data and returns its text in UTF-8, without
// a byte order mark.
func decode(data []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		text := data[len(bomUTF8):]
		if !utf8.Valid(text) {
			return nil, "", fileErr(ErrEncoding, "檔案開頭標示為 UTF-8，但%s有不是 UTF-8 的文字，可能是檔案損壞或以其他編碼儲存。%s", where(text, firstInvalidUTF8(text)), saveAsCSV)
		}
		return text, EncodingUTF8, checkText(text)
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		return nil, "", fileErr(ErrEncoding, "檔案是 UTF-16 編碼（Excel 的「Unicode 文字」），不是 CSV 檔。%s", saveAsCSV)
	case bytes.HasPrefix(data, magicZIP):
		return nil, "", fileErr(ErrEncoding, "檔案是 Excel 活頁簿（.xlsx）或壓縮檔，不是 CSV 文字檔。%s", saveAsCSV)
	case bytes.HasPrefix(data, magicOLE):
		return nil, "", fileErr(ErrEncoding, "檔案是舊版 Excel 活頁簿（.xls），不是 CSV 文字檔。%s", saveAsCSV)
	case utf8.Valid(data):
		return data, EncodingUTF8, checkText(data)
	}
	text, err := decodeBig5(data)
	if err != nil {
		return nil, "", err
	}
	return text, EncodingBig5, checkText(text)
}

// checkText refuses text with NUL characters, which no CSV file has but
// binary files and UTF-16 text without a byte order mark do.
func checkText(text []byte) error {
	if i := bytes.IndexByte(text, 0); i >= 0 {
		return fileErr(ErrEncoding, "檔案%s有 NUL 字元，不是 CSV 文字檔。%s", where(text, i), saveAsCSV)
	}
	return nil
}

// decodeBig5 decodes Big5 as Windows code page 950 reads it: the
// user-defined areas (造字) become private-use characters instead of the
// Hong Kong characters that golang.org/x/text puts there, and any byte
// sequence that is not Big5 is an ErrEncoding naming its line.
func decodeBig5(data []byte) ([]byte, error) {
	dec := traditionalchinese.Big5.NewDecoder()
	var out []byte
	start := 0
	flush := func(end int) error {
		if start == end {
			return nil
		}
		b, err := dec.Bytes(data[start:end])
		if err != nil {
			return notBig5(data, start)
		}
		if out == nil && end == len(data) {
			out = b
		} else {
			out = append(out, b...)
		}
		return nil
	}
	for i := 0; i < len(data); {
		lead := data[i]
		if lead < 0x80 {
			i++
			continue
		}
		if lead == 0x80 || lead == 0xFF || i+1 == len(data) || !big5Trail(data[i+1]) {
			return nil, notBig5(data, i)
		}
		if r, ok := userDefined(lead, data[i+1]); ok {
			if err := flush(i); err != nil {
				return nil, err
			}
			out = utf8.AppendRune(out, r)
			start = i + 2
		}
		i += 2
	}
	if err := flush(len(data)); err != nil {
		return nil, err
	}
	// A well-formed pair with no character (A3C0–A3FE and the like) comes
	// out as U+FFFD.
	if i := bytes.Index(out, []byte(string(utf8.RuneError))); i >= 0 {
		return nil, fileErr(ErrEncoding, "檔案不是 UTF-8 也不是 Big5 編碼：%s有無法辨識的文字。%s", where(out, i), saveAsCSV)
	}
	return out, nil
}

func notBig5(data []byte, i int) error {
	return fileErr(ErrEncoding, "檔案不是 UTF-8 也不是 Big5 編碼：%s有無法辨識的位元組。%s", where(data, i), saveAsCSV)
}

// big5Trail reports whether b can be the second byte of a Big5 character.
func big5Trail(b byte) bool {
	return b >= 0x40 && b <= 0x7E || b >= 0xA1 && b <= 0xFE
}

// userDefined maps a Big5 character in a user-defined area (造字區) to the
// private-use character code page 950 gives it, and reports false for the
// other characters. The areas, in code page 950's order: FA40–FEFE,
// 8E40–A0FE, 8140–8DFE and C6A1–C8FE.
func userDefined(lead, trail byte) (rune, bool) {
	t := rune(trail) - 0x40
	if trail >= 0xA1 {
		t = rune(trail) - 0xA1 + 63
	}
	const perLead = 157 // 63 + 94 trail bytes
	switch {
	case lead >= 0xFA:
		return 0xE000 + rune(lead-0xFA)*perLead + t, true
	case lead >= 0x8E && lead <= 0xA0:
		return 0xE311 + rune(lead-0x8E)*perLead + t, true
	case lead >= 0x81 && lead <= 0x8D:
		return 0xEEB8 + rune(lead-0x81)*perLead + t, true
	case lead == 0xC6 && trail >= 0xA1:
		return 0xF6B1 + rune(trail-0xA1), true
	case lead == 0xC7 || lead == 0xC8:
		return 0xF6B1 + 94 + rune(lead-0xC7)*perLead + t, true
	}
	return 0, false
}

// where names the line of text holding byte i, for a message.
func where(text []byte, i int) string {
	return "第 " + strconv.Itoa(bytes.Count(text[:i], []byte{'\n'})+1) + " 行"
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// EncodeBig5 encodes s in Big5 as Windows code page 950 does, for files
// meant for software that cannot read UTF-8, and returns an error naming the
// first character Big5 cannot carry (峯, 堃 and other rare characters, which
// only exist there as each office's own 造字).
//
// golang.org/x/text's Big5 encoder cannot be used for this: it writes some
// common characters, 婷 and 瑜 among them, as their Hong Kong (HKSCS) codes
// in the user-defined area (婷 as FBB8 instead of B440), which Taiwanese
// software shows as some other character or as a blank (golang/go#43581).
// EncodeBig5 writes only the codes of standard Big5, as Parse reads them.
func EncodeBig5(s string) ([]byte, error) {
	table := big5Table()
	out := make([]byte, 0, len(s))
	for i, r := range s {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
			continue
		}
		code, ok := table[r]
		if !ok {
			return nil, fmt.Errorf("第 %d 個字元「%c」（U+%04X）無法以 Big5 表示，請改用 UTF-8", utf8.RuneCountInString(s[:i])+1, r, r)
		}
		out = append(out, byte(code>>8), byte(code))
	}
	return out, nil
}

// big5Table maps every character of standard Big5 to its code: the code
// page 950 characters A140–F9FE outside the user-defined area C6A1–C8FE,
// without the unassigned A3C0–A3FE except A3E1 (€). A character with two
// codes gets the first, except the six for which the WHATWG encoder (and
// code page 950) uses the last.
var big5Table = sync.OnceValue(func() map[rune]uint16 {
	var pairs []byte
	var codes []uint16
	for lead := 0xA1; lead <= 0xF9; lead++ {
		for trail := 0x40; trail <= 0xFE; trail++ {
			code := uint16(lead<<8 | trail)
			switch {
			case !big5Trail(byte(trail)):
				continue
			case code >= 0xA3C0 && code <= 0xA3FE && code != 0xA3E1:
				continue
			case code >= 0xC6A1 && code <= 0xC8FE:
				continue
			}
			pairs = append(pairs, byte(lead), byte(trail))
			codes = append(codes, code)
		}
	}
	text, err := traditionalchinese.Big5.NewDecoder().Bytes(pairs)
	if err != nil {
		panic("filingcsv: decoding the Big5 table: " + err.Error())
	}
	table := make(map[rune]uint16, len(codes))
	i := 0
	for _, r := range string(text) {
		code := codes[i]
		i++
		if _, dup := table[r]; r == utf8.RuneError || dup && !lastCodeWins(r) {
			continue
		}
		table[r] = code
	}
	if i != len(codes) {
		panic("filingcsv: the Big5 table does not decode one character a code")
	}
	return table
})

// lastCodeWins lists the characters with two standard Big5 codes for which
// the later one is used.
func lastCodeWins(r rune) bool {
	switch r {
	case 0x2550, 0x255E, 0x2561, 0x256A, 0x5341, 0x5345:
		return true
	}
	return false
}
