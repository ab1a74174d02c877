package rocdate_test

import (
	"errors"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/rocdate"
)

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"document style", "108 年 12 月 11 日", date(2019, 12, 11)},
		{"no spaces", "108年12月11日", date(2019, 12, 11)},
		{"form style with leading zeros", "068年01月01日", date(1979, 1, 1)},
		{"irregular spaces", " 68年 1 月1日 ", date(1979, 1, 1)},
		{"ideographic spaces", "\u3000108\u3000年\u300012\u3000月\u300011\u3000日\u3000", date(2019, 12, 11)},
		{"民國 prefix", "民國108年12月11日", date(2019, 12, 11)},
		{"民國 prefix with space", "民國 108/12/11", date(2019, 12, 11)},
		{"slash", "108/12/11", date(2019, 12, 11)},
		{"slash unpadded", "108/1/1", date(2019, 1, 1)},
		{"slash two-digit year", "68/1/1", date(1979, 1, 1)},
		{"slash padded year", "068/01/01", date(1979, 1, 1)},
		{"hyphen", "108-12-11", date(2019, 12, 11)},
		{"dot", "108.12.11", date(2019, 12, 11)},
		{"full-width digits and slash", "１０８／１２／１１", date(2019, 12, 11)},
		{"full-width Chinese style", "１０８年１２月１１日", date(2019, 12, 11)},
		{"compact", "1081211", date(2019, 12, 11)},
		{"compact padded year", "0680101", date(1979, 1, 1)},
		{"compact full-width", "１０８１２１１", date(2019, 12, 11)},
		{"surrounding spaces", "  108/12/11\t", date(2019, 12, 11)},
		{"first ROC day", "1/01/01", date(1912, 1, 1)},
		{"first ROC day compact", "0010101", date(1912, 1, 1)},
		{"first ROC day Chinese", "1 年 1 月 1 日", date(1912, 1, 1)},
		{"leap day", "109/02/29", date(2020, 2, 29)},
		{"leap day compact", "1090229", date(2020, 2, 29)},
		{"largest year", "999/12/31", date(2910, 12, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rocdate.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", rocdate.ErrFormat},
		{"only spaces", " \u3000 ", rocdate.ErrFormat},
		{"letters", "abc", rocdate.ErrFormat},
		{"letters in date", "108/I2/11", rocdate.ErrFormat},
		{"8 digits", "20191211", rocdate.ErrFormat},
		{"8 digits not Gregorian", "01081211", rocdate.ErrFormat},
		{"6 digits", "108121", rocdate.ErrFormat},
		{"missing day", "108年12月", rocdate.ErrFormat},
		{"missing day slash", "108/12", rocdate.ErrFormat},
		{"four fields", "108/12/11/1", rocdate.ErrFormat},
		{"double minus", "--5/03/01", rocdate.ErrFormat},
		{"minus and 民前", "民前-5年3月1日", rocdate.ErrFormat},
		{"negative month", "108/-1/11", rocdate.ErrFormat},
		{"民前 year 0", "-000/03/01", rocdate.ErrInvalid},
		{"民前 year 0 Chinese", "民前 0 年 3 月 1 日", rocdate.ErrInvalid},
		{"民前 Feb 29 in 1911", "-001/02/29", rocdate.ErrInvalid},
		{"Gregorian year slash", "2019/12/11", rocdate.ErrFormat},
		{"Gregorian year Chinese", "2019年12月11日", rocdate.ErrFormat},
		{"mixed separators", "108/12-11", rocdate.ErrFormat},
		{"empty field", "108//11", rocdate.ErrFormat},
		{"three-digit month", "108/012/11", rocdate.ErrFormat},
		{"spaces around slash", "108 / 12 / 11", rocdate.ErrFormat},
		{"trailing text", "108年12月11日星期三", rocdate.ErrFormat},
		{"time suffix", "108/12/11 10:00", rocdate.ErrFormat},
		{"month 13", "108/13/01", rocdate.ErrInvalid},
		{"month 0", "108/00/10", rocdate.ErrInvalid},
		{"day 0", "108/12/00", rocdate.ErrInvalid},
		{"year 0", "0/01/01", rocdate.ErrInvalid},
		{"year 0 compact", "0000101", rocdate.ErrInvalid},
		{"February 30", "108/02/30", rocdate.ErrInvalid},
		{"not a leap year", "108/02/29", rocdate.ErrInvalid},
		{"April 31", "108年4月31日", rocdate.ErrInvalid},
		{"day 32 compact", "1080132", rocdate.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rocdate.Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) = (%v, %v), want error %q", tt.in, got, err, tt.want)
			}
			if !got.IsZero() {
				t.Errorf("Parse(%q) time = %v, want zero time on error", tt.in, got)
			}
		})
	}
}

func TestParseErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"format", "abc", "日期格式錯誤，請輸入民國年月日，例如 108/12/11"},
		{"Gregorian", "2019/12/11", "日期格式錯誤：請輸入民國年而非西元年，例如 2019 年 12 月 11 日應輸入 108/12/11"},
		{"February", "108/02/29", "日期不存在：民國 108 年 2 月的日期應為 1 到 28 日"},
		{"month", "108/13/01", "日期不存在：月份應為 1 到 12"},
		{"year 0", "0/01/01", "日期不存在：民國年應從 1 年開始"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rocdate.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want %q", tt.in, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%q) message = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name        string
		in          time.Time
		wantYear    int
		wantFormat  string
		wantSlash   string
		wantCompact string
		wantForm    string
	}{
		{"2019-12-11", date(2019, 12, 11), 108, "108 年 12 月 11 日", "108/12/11", "1081211", "108年12月11日"},
		{"1979-01-01", date(1979, 1, 1), 68, "68 年 1 月 1 日", "68/01/01", "0680101", "068年01月01日"},
		{"1912-01-01", date(1912, 1, 1), 1, "1 年 1 月 1 日", "1/01/01", "0010101", "001年01月01日"},
		{"leap day", date(2020, 2, 29), 109, "109 年 2 月 29 日", "109/02/29", "1090229", "109年02月29日"},
		{"late in the day", time.Date(2019, 12, 11, 23, 59, 59, 0, time.UTC), 108, "108 年 12 月 11 日", "108/12/11", "1081211", "108年12月11日"},
		{"local zone not converted", time.Date(2019, 12, 11, 1, 0, 0, 0, time.FixedZone("CST", 8*3600)), 108, "108 年 12 月 11 日", "108/12/11", "1081211", "108年12月11日"},
		{"4-digit ROC year", date(2911, 1, 1), 1000, "1000 年 1 月 1 日", "1000/01/01", "10000101", "1000年01月01日"},
		{"民前 1 年 (1911-12-31)", date(1911, 12, 31), 0, "民前 1 年 12 月 31 日", "-001/12/31", "-0011231", "民前 1 年 12 月 31 日"},
		{"民前 5 年 (1907-03-01)", date(1907, 3, 1), -4, "民前 5 年 3 月 1 日", "-005/03/01", "-0050301", "民前 5 年 3 月 1 日"},
		{"民前 999 年 (913)", date(913, 1, 1), -998, "民前 999 年 1 月 1 日", "-999/01/01", "-9990101", "民前 999 年 1 月 1 日"},
		{"before 民前 999 年", date(912, 12, 31), -999, "0912-12-31", "0912-12-31", "0912-12-31", "0912-12-31"},
		{"long before 1912", date(1, 1, 1), -1910, "0001-01-01", "0001-01-01", "0001-01-01", "0001-01-01"},
		{"zero time", time.Time{}, -1910, "0001-01-01", "0001-01-01", "0001-01-01", "0001-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rocdate.Year(tt.in); got != tt.wantYear {
				t.Errorf("Year(%v) = %d, want %d", tt.in, got, tt.wantYear)
			}
			if got := rocdate.Format(tt.in); got != tt.wantFormat {
				t.Errorf("Format(%v) = %q, want %q", tt.in, got, tt.wantFormat)
			}
			if got := rocdate.FormatSlash(tt.in); got != tt.wantSlash {
				t.Errorf("FormatSlash(%v) = %q, want %q", tt.in, got, tt.wantSlash)
			}
			if got := rocdate.FormatCompact(tt.in); got != tt.wantCompact {
				t.Errorf("FormatCompact(%v) = %q, want %q", tt.in, got, tt.wantCompact)
			}
			if got := rocdate.FormatForm(tt.in); got != tt.wantForm {
				t.Errorf("FormatForm(%v) = %q, want %q", tt.in, got, tt.wantForm)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	formats := []struct {
		name string
		fn   func(time.Time) string
	}{
		{"Format", rocdate.Format},
		{"FormatSlash", rocdate.FormatSlash},
		{"FormatCompact", rocdate.FormatCompact},
		{"FormatForm", rocdate.FormatForm},
	}
	dates := []time.Time{
		date(2019, 12, 11),
		date(1979, 1, 1),
		date(1912, 1, 1),
		date(2020, 2, 29),
		date(2000, 2, 29),
		date(1999, 12, 31),
		date(2910, 12, 31),
	}
	for _, f := range formats {
		for _, d := range dates {
			t.Run(f.name+" "+d.Format(time.DateOnly), func(t *testing.T) {
				s := f.fn(d)
				got, err := rocdate.Parse(s)
				if err != nil {
					t.Fatalf("Parse(%s(%v) = %q) error: %v", f.name, d, s, err)
				}
				if !got.Equal(d) {
					t.Errorf("Parse(%s(%v) = %q) = %v, want %v", f.name, d, s, got, d)
				}
			})
		}
	}
}

// TestEveryDay checks the round trip for every day from 1912 through 2100.
func TestEveryDay(t *testing.T) {
	for d := date(1912, 1, 1); d.Year() <= 2100; d = d.AddDate(0, 0, 1) {
		for _, s := range []string{rocdate.Format(d), rocdate.FormatSlash(d), rocdate.FormatCompact(d), rocdate.FormatForm(d)} {
			got, err := rocdate.Parse(s)
			if err != nil || !got.Equal(d) {
				t.Fatalf("Parse(%q) = (%v, %v), want %v", s, got, err, d)
			}
		}
	}
}

// TestBeforeROC covers 民前 dates (issue 13.8): the bureau's form asks for
// 「民國前出生請加-」, and there is no year 0.
func TestBeforeROC(t *testing.T) {
	t.Run("Parse", func(t *testing.T) {
		for _, in := range []string{"-005/03/01", "-5/3/1", "-0050301", "民前 5 年 3 月 1 日", "民前5年3月1日", "民國前5年3月1日", "民國前 005/03/01", "－００５／０３／０１", " -005.03.01 "} {
			got, err := rocdate.Parse(in)
			if err != nil {
				t.Errorf("Parse(%q) error: %v", in, err)
			} else if want := date(1907, 3, 1); got != want {
				t.Errorf("Parse(%q) = %v, want %v", in, got, want)
			}
		}
	})
	t.Run("edges", func(t *testing.T) {
		for in, want := range map[string]time.Time{
			"-001/12/31": date(1911, 12, 31), "民前 1 年 1 月 1 日": date(1911, 1, 1),
			"1/01/01": date(1912, 1, 1), "001年01月01日": date(1912, 1, 1),
			"-0011231": date(1911, 12, 31), "0010101": date(1912, 1, 1),
		} {
			if got, err := rocdate.Parse(in); err != nil || got != want {
				t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
			}
		}
	})
	t.Run("message", func(t *testing.T) {
		_, err := rocdate.Parse("-001/02/29")
		if want := "日期不存在：民前 1 年 2 月的日期應為 1 到 28 日"; err == nil || err.Error() != want {
			t.Errorf("Parse(-001/02/29) error %v, want %q", err, want)
		}
	})
	t.Run("round trip 1890-1912", func(t *testing.T) {
		formats := map[string]func(time.Time) string{"Format": rocdate.Format, "FormatSlash": rocdate.FormatSlash,
			"FormatCompact": rocdate.FormatCompact, "FormatForm": rocdate.FormatForm}
		for y := 1890; y <= 1912; y++ {
			for _, d := range []time.Time{date(y, 1, 1), date(y, 2, 28), date(y, 12, 31)} {
				for name, format := range formats {
					out := format(d)
					got, err := rocdate.Parse(out)
					if err != nil || got != d {
						t.Errorf("Parse(%s(%v) = %q) = %v, %v", name, d, out, got, err)
					}
				}
				want := 0
				if y < 1912 {
					want = 1912 - y
				}
				if b := rocdate.BeforeYear(d); b != want {
					t.Errorf("BeforeYear(%v) = %d, want %d", d, b, want)
				}
			}
		}
	})
}
