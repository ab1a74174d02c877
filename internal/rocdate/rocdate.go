// Package rocdate parses and formats dates in the Republic of China (ROC,
// 民國) calendar used by Taiwanese government documents, where year 1 is
// 1912 and ROC year = Gregorian year - 1911 (2019-12-11 is 民國 108 年 12 月
// 11 日).
//
// Parse accepts the spellings clerks commonly type; the Format functions
// produce the spellings printed on documents and forms. Dates are handled as
// calendar dates: Parse returns midnight UTC, and the Format functions read
// t's own year, month and day without converting its time zone.
package rocdate

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Sentinel errors. Errors returned by Parse are one of these or wrap one of
// them with a more specific Traditional Chinese message.
var (
	// ErrFormat reports input that is not a date in a recognised format.
	ErrFormat = errors.New("日期格式錯誤，請輸入民國年月日，例如 108/12/11")
	// ErrInvalid reports a well-formed date that does not exist, such as
	// 108/02/30, month 13, day 0 or year 0.
	ErrInvalid = errors.New("日期不存在，請確認年月日")
)

// dateError carries a user-facing message and the sentinel it belongs to.
type dateError struct {
	msg  string
	kind error
}

func (e *dateError) Error() string { return e.msg }
func (e *dateError) Unwrap() error { return e.kind }

func newErr(kind error, msg string) error { return &dateError{msg: msg, kind: kind} }

// yearOffset is the difference between Gregorian and ROC years.
const yearOffset = 1911

// Maximum digits per field: ROC years up to 999 (Gregorian 2910), months
// and days up to 2 digits. Four-digit years are rejected because they are
// almost always Gregorian years typed by mistake.
const (
	maxYearDigits = 3
	maxMDDigits   = 2
)

// Parse parses an ROC date and returns it as a time.Time at 00:00 UTC.
// Surrounding white space (including the ideographic space U+3000) is
// ignored, full-width digits and the full-width separators '／', '－' and
// '．' are accepted, and an optional leading "民國" is allowed. Accepted
// forms:
//
//	108 年 12 月 11 日    spaces optional; leading zeros allowed ("068年01月01日")
//	108/12/11             also "108/1/1" and "68/1/1"; '-' or '.' may replace '/'
//	1081211               exactly 7 digits YYYMMDD, year zero padded ("0680101")
//
// Dates before 1912 are written with 民前 years, as the bureau's forms ask
// (「民國前出生請加-」): a leading '-' or "民前" / "民國前", so that
// "-005/03/01", "-0050301" and "民前 5 年 3 月 1 日" are all 1907-03-01. There
// is no year 0: 民前 1 年 is 1911 and 民國 1 年 is 1912.
//
// The year must be 1 or more and have at most 3 digits. Input in
// none of these forms yields an error wrapping ErrFormat; a date that does
// not exist (month 13, day 0, 108/02/29, year 0) yields an error wrapping
// ErrInvalid.
func Parse(s string) (time.Time, error) {
	s = strings.TrimSpace(normalize(s))
	before := false
	for _, p := range []string{"民國前", "民前", "-"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			s, before = strings.TrimSpace(rest), true
			break
		}
	}
	if !before {
		if rest, ok := strings.CutPrefix(s, "民國"); ok {
			s = strings.TrimSpace(rest)
		}
	}
	if s == "" {
		return time.Time{}, newErr(ErrFormat, "請輸入日期，格式為民國年月日，例如 108/12/11")
	}
	var (
		fields [3]string
		ok     bool
	)
	switch {
	case strings.Contains(s, "年"):
		fields, ok = splitChinese(s)
	case allDigits(s):
		if len(s) != 7 {
			if len(s) == 8 && looksGregorian(s[:4]) {
				return time.Time{}, gregorianErr()
			}
			return time.Time{}, newErr(ErrFormat, fmt.Sprintf("日期格式錯誤：純數字日期應為 7 碼（年 3 碼、月 2 碼、日 2 碼，例如 1081211），目前為 %d 碼", len(s)))
		}
		fields, ok = [3]string{s[:3], s[3:5], s[5:]}, true
	default:
		fields, ok = splitSeparated(s)
	}
	if !ok {
		return time.Time{}, ErrFormat
	}
	if len(fields[0]) > maxYearDigits {
		if len(fields[0]) == 4 && looksGregorian(fields[0]) {
			return time.Time{}, gregorianErr()
		}
		return time.Time{}, ErrFormat
	}
	if len(fields[1]) > maxMDDigits || len(fields[2]) > maxMDDigits {
		return time.Time{}, ErrFormat
	}
	y := atoi(fields[0])
	if before {
		if y < 1 {
			return time.Time{}, newErr(ErrInvalid, "日期不存在：民前年應從 1 年開始（民前 1 年是西元 1911 年）")
		}
		// 民前 y 年 is the ROC year 1-y: 民前 1 年 (1911) is year 0 here.
		y = 1 - y
	} else if y < 1 {
		return time.Time{}, newErr(ErrInvalid, "日期不存在：民國年應從 1 年開始")
	}
	return makeDate(y, atoi(fields[1]), atoi(fields[2]))
}

// normalize maps full-width digits and separators to ASCII.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '／':
			return '/'
		case r == '－':
			return '-'
		case r == '．':
			return '.'
		}
		return r
	}, s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi converts a short, non-empty string of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// leadingDigits returns the run of ASCII digits at the start of s and the
// remainder.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// splitChinese splits "108 年 12 月 11 日" into its three numbers. White
// space is allowed around every part.
func splitChinese(s string) ([3]string, bool) {
	var fields [3]string
	for i, unit := range []string{"年", "月", "日"} {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		fields[i], s = leadingDigits(s)
		if fields[i] == "" {
			return fields, false
		}
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		var ok bool
		if s, ok = strings.CutPrefix(s, unit); !ok {
			return fields, false
		}
	}
	return fields, s == ""
}

// splitSeparated splits "108/12/11" into its three numbers. The separator
// is '/', '-' or '.', and both separators must be the same character.
func splitSeparated(s string) ([3]string, bool) {
	var fields [3]string
	year, rest := leadingDigits(s)
	if year == "" || rest == "" {
		return fields, false
	}
	sep := rest[0]
	if sep != '/' && sep != '-' && sep != '.' {
		return fields, false
	}
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return fields, false
	}
	for i, p := range parts {
		if p == "" || !allDigits(p) {
			return fields, false
		}
		fields[i] = p
	}
	return fields, true
}

// looksGregorian reports whether a 4-digit year field is plausibly a
// Gregorian year typed instead of an ROC year.
func looksGregorian(year string) bool {
	y := atoi(year)
	return y >= 1912 && y <= 2999
}

func gregorianErr() error {
	return newErr(ErrFormat, "日期格式錯誤：請輸入民國年而非西元年，例如 2019 年 12 月 11 日應輸入 108/12/11")
}

// makeDate validates a month and day of an ROC year (0 or less for 民前
// years: 0 is 民前 1 年) and builds the date.
func makeDate(y, m, d int) (time.Time, error) {
	if m < 1 || m > 12 {
		return time.Time{}, newErr(ErrInvalid, "日期不存在：月份應為 1 到 12")
	}
	gy := y + yearOffset
	days := time.Date(gy, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d < 1 || d > days {
		return time.Time{}, newErr(ErrInvalid, fmt.Sprintf("日期不存在：%s %d 月的日期應為 1 到 %d 日", yearName(y), m, days))
	}
	return time.Date(gy, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// yearName names an ROC year for messages: "民國 108 年", "民前 5 年".
func yearName(y int) string {
	if y < 1 {
		return fmt.Sprintf("民前 %d 年", 1-y)
	}
	return fmt.Sprintf("民國 %d 年", y)
}

// Year returns the ROC year of t, t.Year()-1911. It is 0 or negative for
// dates before 1912 (0 is 民前 1 年); BeforeYear gives the 民前 year.
func Year(t time.Time) int { return t.Year() - yearOffset }

// BeforeYear returns the 民前 year of a date before 1912 (1 for 1911, 5 for
// 1907) and 0 for a date in 1912 or later.
func BeforeYear(t time.Time) int {
	if y := Year(t); y < 1 {
		return 1 - y
	}
	return 0
}

// maxBeforeYear is the earliest 民前 year the Format functions write (1 AD,
// the zero time.Time, would be 民前 1911 年 and is no birth date); earlier
// dates fall back to the Gregorian ISO date (YYYY-MM-DD).
const maxBeforeYear = 999

func tooEarly(t time.Time) bool { return BeforeYear(t) > maxBeforeYear }

func iso(t time.Time) string { return t.Format(time.DateOnly) }

// Format returns t as "108 年 12 月 11 日": no zero padding, single spaces,
// as printed in the body text of documents. Dates before 1912 are written
// "民前 5 年 3 月 1 日" (1907-03-01).
func Format(t time.Time) string {
	if tooEarly(t) {
		return iso(t)
	}
	if b := BeforeYear(t); b > 0 {
		return fmt.Sprintf("民前 %d 年 %d 月 %d 日", b, int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%d 年 %d 月 %d 日", Year(t), int(t.Month()), t.Day())
}

// FormatSlash returns t as "108/12/11": month and day zero padded to 2
// digits, the year not padded. Dates before 1912 are written as the
// bureau's forms ask, with a minus sign and the 民前 year padded to 3
// digits: "-005/03/01" (1907-03-01).
func FormatSlash(t time.Time) string {
	if tooEarly(t) {
		return iso(t)
	}
	if b := BeforeYear(t); b > 0 {
		return fmt.Sprintf("-%03d/%02d/%02d", b, int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%d/%02d/%02d", Year(t), int(t.Month()), t.Day())
}

// FormatCompact returns t as "1081211": year zero padded to 3 digits, month
// and day to 2. ROC years above 999 (after 2910) produce more than 7 digits,
// which Parse does not accept. Dates before 1912 get a minus sign:
// "-0050301".
func FormatCompact(t time.Time) string {
	if tooEarly(t) {
		return iso(t)
	}
	if b := BeforeYear(t); b > 0 {
		return fmt.Sprintf("-%03d%02d%02d", b, int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%03d%02d%02d", Year(t), int(t.Month()), t.Day())
}

// FormatForm returns t as "068年01月01日", as printed on the bureau's paper
// forms: year zero padded to 3 digits, month and day to 2, no spaces. Dates
// before 1912 are written as Format writes them, "民前 5 年 3 月 1 日", so
// that nobody reads a padded 民前 year as a 民國 year.
func FormatForm(t time.Time) string {
	if tooEarly(t) {
		return iso(t)
	}
	if BeforeYear(t) > 0 {
		return Format(t)
	}
	return fmt.Sprintf("%03d年%02d月%02d日", Year(t), int(t.Month()), t.Day())
}
