package rocdate_test

import (
	"errors"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/rocdate"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "108 年 12 月 11 日", "108年12月11日", "068年01月01日", "108/12/11",
		"108/1/1", "68-1-1", "108.12.11", "1081211", "0680101", "１０８／１２／１１",
		"-005/03/01", "民前 5 年 3 月 1 日", "民國108年12月11日", "109/02/29", "108/02/29", "0/01/01", "2019/12/11",
		"20191211", "108年12月", "-1/1/1", "999/12/31", "\xff/1/1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := rocdate.Parse(s)
		if err != nil {
			if !errors.Is(err, rocdate.ErrFormat) && !errors.Is(err, rocdate.ErrInvalid) {
				t.Fatalf("Parse(%q) error %v wraps no sentinel", s, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("Parse(%q) = %v, want midnight UTC", s, got)
		}
		if y := rocdate.Year(got); y < -998 || y > 999 {
			t.Fatalf("Parse(%q) = %v, ROC year %d out of range", s, got, y)
		}
		formats := []func(time.Time) string{rocdate.Format, rocdate.FormatSlash, rocdate.FormatForm}
		if rocdate.Year(got) <= 999 {
			formats = append(formats, rocdate.FormatCompact)
		}
		for _, format := range formats {
			out := format(got)
			again, err := rocdate.Parse(out)
			if err != nil {
				t.Fatalf("Parse(%q) = %v, but Parse(%q) error: %v", s, got, out, err)
			}
			if again != got {
				t.Fatalf("Parse(%q) = %v, but Parse(%q) = %v", s, got, out, again)
			}
		}
	})
}
