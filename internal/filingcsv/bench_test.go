package filingcsv_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/twid"
)

// file10000 is a file of 10,000 filings, half of them dependents, with
// varied IDs, names and dates.
func file10000(tb testing.TB) string {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("\ufeff" + header + "\r\n")
	names := []string{"王大明", "陳美玲", "林志強", "張雅婷", "李建宏"}
	for i := range 10000 {
		insured := twid.MakeNationalID('A'+byte(i%26), 1, i/2)
		if i%2 == 0 {
			fmt.Fprintf(&b, "加保,本人,健保專用,%s,,%s,男,0%02d%02d%02d,,A1,45800,1150302\r\n",
				insured, names[i%5], 60+i%30, 1+i%12, 1+i%28)
		} else {
			fmt.Fprintf(&b, "加保,眷屬,健保專用,%s,%s,%s,女,1%02d/%d/%d,3,D1,,1150302\r\n",
				insured, twid.MakeNationalID('B', 2, i), names[i%5], i%14, 1+i%12, 1+i%28)
		}
	}
	return b.String()
}

func benchmarkParse(b *testing.B, data []byte) {
	res, err := filingcsv.Parse(bytes.NewReader(data), 10<<20, 10000)
	if err != nil || len(res.Rows) != 10000 {
		b.Fatalf("Parse: %v", err)
	}
	for _, r := range res.Rows {
		if r.Err != "" {
			b.Fatalf("line %d: %s", r.Line, r.Err)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filingcsv.Parse(bytes.NewReader(data), 10<<20, 10000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkParse10000(b *testing.B) {
	benchmarkParse(b, []byte(file10000(b)))
}

func BenchmarkParse10000Big5(b *testing.B) {
	benchmarkParse(b, big5(b, file10000(b)[len("\ufeff"):]))
}
