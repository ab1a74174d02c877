// Package twid validates, normalises, masks and generates Taiwanese
// identification numbers: the national ID (國民身分證統一編號), the old and
// new resident certificate numbers (居留證統一證號), the business
// administration number (統一編號), the labour insurance number (勞保證號)
// and the insured unit code (投保單位代號).
//
// The Check functions expect input that has already been trimmed and
// upper-cased; pass user input through Normalize first. Every error they
// return is, or wraps, one of ErrEmpty, ErrFormat or ErrChecksum, so callers
// can branch with errors.Is, while Error() gives a Traditional Chinese
// message that can be shown to the end user as is.
package twid

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Errors returned by this package are one of these or wrap
// one of them with a more specific message.
var (
	// ErrEmpty reports that no number was entered.
	ErrEmpty = errors.New("請輸入號碼")
	// ErrFormat reports that the number has the wrong length or characters.
	ErrFormat = errors.New("號碼格式錯誤")
	// ErrChecksum reports that the number is well formed but its check
	// digit does not match.
	ErrChecksum = errors.New("號碼檢查碼錯誤，請確認是否輸入正確")
)

// idError carries a user-facing message and the sentinel it belongs to.
type idError struct {
	msg  string
	kind error
}

func (e *idError) Error() string { return e.msg }
func (e *idError) Unwrap() error { return e.kind }

func newErr(kind error, msg string) error { return &idError{msg: msg, kind: kind} }

// PersonIDKind identifies which kind of personal identification number
// CheckPersonID recognised.
type PersonIDKind int

const (
	// NationalID is the national ID number (國民身分證統一編號): an upper-case
	// letter, 1 (male) or 2 (female), then 8 digits.
	NationalID PersonIDKind = iota + 1
	// ResidentOld is the resident certificate number in the format used
	// before 2021: two upper-case letters, the second one A to D, then 8
	// digits.
	ResidentOld
	// ResidentNew is the resident certificate number in the format used
	// since 2021: an upper-case letter, 8 (male) or 9 (female), then 8
	// digits.
	ResidentNew
)

// String returns the Traditional Chinese name of the kind.
func (k PersonIDKind) String() string {
	switch k {
	case NationalID:
		return "國民身分證"
	case ResidentOld:
		return "居留證（舊式）"
	case ResidentNew:
		return "居留證（新式）"
	}
	return fmt.Sprintf("未知證號種類(%d)", int(k))
}

// letterCodes maps 'A'..'Z' to the two-digit area codes used by the
// national ID and resident certificate checksums.
var letterCodes = [26]int{
	10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, // A-M
	22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33, // N-Z
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// personSum computes the weighted checksum of a 10-character personal ID
// whose second character is given as the digit second.
// The area code gives two digits (weights 1 and 9), followed by the second
// digit and the remaining 8 digits with weights 8,7,...,1,1.
func personSum(letter byte, second int, rest string) int {
	code := letterCodes[letter-'A']
	sum := code/10 + (code%10)*9 + second*8
	for i := 0; i < 8; i++ {
		w := 7 - i
		if w < 1 {
			w = 1
		}
		sum += int(rest[i]-'0') * w
	}
	return sum
}

const personFormatMsg = "身分證號格式錯誤：應為 1 個英文字母加 9 位數字（居留證號亦可為 2 個英文字母加 8 位數字）"

// CheckPersonID validates a national ID or resident certificate number and
// reports which kind it is. s must already be trimmed and upper-cased (see
// Normalize); lower-case letters are rejected. On error the returned kind is
// 0.
func CheckPersonID(s string) (PersonIDKind, error) {
	if s == "" {
		return 0, newErr(ErrEmpty, "請輸入身分證號或居留證號")
	}
	if len(s) != 10 {
		return 0, newErr(ErrFormat, fmt.Sprintf("%s，目前為 %d 碼", personFormatMsg, utf8.RuneCountInString(s)))
	}
	if !isUpper(s[0]) {
		return 0, newErr(ErrFormat, "身分證號格式錯誤：第 1 碼應為大寫英文字母")
	}
	if !allDigits(s[2:]) {
		return 0, newErr(ErrFormat, "身分證號格式錯誤：第 3 碼到第 10 碼應為數字")
	}
	var (
		kind   PersonIDKind
		second int
	)
	switch c := s[1]; {
	case c == '1' || c == '2':
		kind, second = NationalID, int(c-'0')
	case c == '8' || c == '9':
		kind, second = ResidentNew, int(c-'0')
	case c >= 'A' && c <= 'D':
		kind, second = ResidentOld, letterCodes[c-'A']%10
	default:
		return 0, newErr(ErrFormat, "身分證號格式錯誤：第 2 碼應為 1 或 2（居留證號為 8、9 或 A、B、C、D）")
	}
	if personSum(s[0], second, s[2:])%10 != 0 {
		if kind == NationalID {
			return 0, newErr(ErrChecksum, "身分證號檢查碼錯誤，請確認是否輸入正確")
		}
		return 0, newErr(ErrChecksum, "居留證號檢查碼錯誤，請確認是否輸入正確")
	}
	return kind, nil
}

// banWeights are the 統一編號 weights.
var banWeights = [8]int{1, 2, 1, 2, 1, 2, 4, 1}

// banSum returns the 統一編號 checksum of the 8 digits in s: each digit is
// multiplied by its weight and the tens and units of every product are
// added. When the 7th digit is 7 its product 28 contributes 2+8 = 10; that
// 10 may count as 1 or 0, which is handled by validBANSum.
func banSum(s string) int {
	sum := 0
	for i, w := range banWeights {
		p := int(s[i]-'0') * w
		sum += p/10 + p%10
	}
	return sum
}

// validBANSum applies the divisibility rule with modulus 10 (before 2023)
// or 5 (since 2023), including the 7th-digit-7 exception.
func validBANSum(sum int, seventhIsSeven bool, mod int) bool {
	if sum%mod == 0 {
		return true
	}
	// The contribution 10 of the 7th digit may also be read as 1 or 0;
	// 10 and 0 are the same modulo 5 and 10, so only 1 needs a retry.
	return seventhIsSeven && (sum-10+1)%mod == 0
}

// CheckBAN validates a business administration number (營利事業統一編號,
// 統一編號): 8 digits whose weighted checksum (weights 1,2,1,2,1,2,4,1,
// adding the digits of each product) is divisible by 5, the rule in force
// since 2023, which also accepts every number valid under the older
// divisible-by-10 rule. If the 7th digit is 7, the number is also valid when
// the sum with that digit counted as 1 instead of 0 is divisible by 5.
func CheckBAN(s string) error {
	if s == "" {
		return newErr(ErrEmpty, "請輸入統一編號")
	}
	if len(s) != 8 || !allDigits(s) {
		return newErr(ErrFormat, "統一編號格式錯誤：應為 8 位數字")
	}
	if !validBANSum(banSum(s), s[6] == '7', 5) {
		return newErr(ErrChecksum, "統一編號檢查碼錯誤，請確認是否輸入正確")
	}
	return nil
}

// CheckLaborInsuranceNo checks the format of a labour insurance number
// (勞保證號): 9 characters, 8 digits followed by one check character that is
// a digit or an upper-case letter A-Z, e.g. "12345678A". The check
// character's algorithm is not public, so only the format is verified and
// ErrChecksum is never returned.
func CheckLaborInsuranceNo(s string) error {
	if s == "" {
		return newErr(ErrEmpty, "請輸入勞保證號")
	}
	if len(s) != 9 || !allDigits(s[:8]) || !(isDigit(s[8]) || isUpper(s[8])) {
		return newErr(ErrFormat, "勞保證號格式錯誤：應為 8 位數字加 1 個檢查碼（大寫英文字母或數字），共 9 碼")
	}
	return nil
}

// CheckUnitCode checks the format of an insured unit code (投保單位代號):
// exactly 9 digits. Only the format is verified; ErrChecksum is never
// returned.
func CheckUnitCode(s string) error {
	if s == "" {
		return newErr(ErrEmpty, "請輸入投保單位代號")
	}
	if len(s) != 9 || !allDigits(s) {
		return newErr(ErrFormat, "投保單位代號格式錯誤：應為 9 位數字")
	}
	return nil
}

// Normalize prepares user input for the Check functions: it converts
// full-width digits and Latin letters (e.g. "Ａ１２３") to their ASCII forms,
// upper-cases letters and trims leading and trailing white space, including
// the ideographic space U+3000. Inner spaces are kept, so "A12 3" still fails
// the format check instead of being silently repaired. Normalize is
// idempotent.
func Normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r -= 0xFEE0 // offset from the full-width forms to ASCII
		}
		return unicode.ToUpper(r)
	}, s)
	return strings.TrimSpace(s)
}

// Mask hides all but the last 4 characters (runes) of s behind '*', for
// showing an identifier on screen or in logs, e.g. "A123456789" becomes
// "******6789". Strings of 4 or fewer characters, including the empty
// string, are returned fully masked as "****", so that the length of a
// short value is not revealed either.
func Mask(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 4 {
		return "****"
	}
	// Find the byte offset of the 4th rune from the end.
	i := len(s)
	for k := 0; k < 4; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return strings.Repeat("*", n-4) + s[i:]
}

// MaskMail shows the first 3 and last 3 characters (runes) of an ID and
// hides the rest behind four '*', e.g. "A123456789" becomes "A12****789":
// how e-mail names a person, enough for the reader to tell whom a line is
// about without the mail carrying the number. Anything shorter than 10
// characters is returned fully masked as "****", so that no more than
// 6 of fewer characters are ever shown.
func MaskMail(s string) string {
	r := []rune(s)
	if len(r) < 10 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-3:])
}

// personIDs matches what looks like a national ID or resident
// certificate number standing on its own, checked or not.
var personIDs = regexp.MustCompile(`\b[A-Z][1289A-D][0-9]{8}\b`)

// MaskIDsIn masks, with MaskMail, every personal ID in free text (a
// reason a member of staff typed, say) before it goes out by e-mail.
func MaskIDsIn(text string) string {
	return personIDs.ReplaceAllStringFunc(text, MaskMail)
}

// normLetter maps any byte onto 'A'..'Z': lower-case letters are
// upper-cased and anything else outside the range is reduced modulo 26.
func normLetter(letter byte) byte {
	if letter >= 'a' && letter <= 'z' {
		return letter - 'a' + 'A'
	}
	if isUpper(letter) {
		return letter
	}
	return 'A' + byte((int(letter)-'A'+26*10)%26)
}

// normSerial reduces serial into 0..max-1.
func normSerial(serial, max int) int {
	serial %= max
	if serial < 0 {
		serial += max
	}
	return serial
}

// makePerson builds a 10-character personal ID from an area letter, a
// second digit and a 7-digit serial, appending the check digit.
func makePerson(letter byte, second int, serial int) string {
	letter = normLetter(letter)
	body := fmt.Sprintf("%07d", normSerial(serial, 10_000_000))
	sum := personSum(letter, second, body+"0")
	check := (10 - sum%10) % 10
	return fmt.Sprintf("%c%d%s%d", letter, second, body, check)
}

// MakeNationalID returns a valid national ID number for demo data and
// tests, built from an area letter 'A'..'Z', sex 1 (male) or 2 (female) and
// a 7-digit serial 0..9999999, followed by the computed check digit. The
// result is deterministic. Out-of-range arguments are brought into range so
// that the result is always valid: lower-case letters are upper-cased and
// other letters reduced modulo 26, any sex other than 2 counts as 1, and
// the serial is taken modulo 10000000.
func MakeNationalID(letter byte, sex int, serial int) string {
	second := 1
	if sex == 2 {
		second = 2
	}
	return makePerson(letter, second, serial)
}

// MakeResidentIDNew returns a valid resident certificate number in the
// 2021 format for demo data and tests: the area letter, '8' for sex 1
// (male) or '9' for sex 2 (female), a 7-digit serial and the check digit.
// Arguments are brought into range as described for MakeNationalID.
func MakeResidentIDNew(letter byte, sex int, serial int) string {
	second := 8
	if sex == 2 {
		second = 9
	}
	return makePerson(letter, second, serial)
}

// MakeBAN returns a valid 統一編號 for demo data and tests: prefix
// (0..9999999, taken modulo 10000000 if out of range) zero-padded to 7
// digits followed by a check digit. The check digit is chosen so that the
// weighted sum is divisible by 10, which satisfies the current divisible-by-5
// rule as well as the pre-2023 rule, so the number is also accepted by
// older validators.
func MakeBAN(prefix int) string {
	body := fmt.Sprintf("%07d", normSerial(prefix, 10_000_000))
	sum := banSum(body + "0")
	check := (10 - sum%10) % 10
	return body + string(rune('0'+check))
}
