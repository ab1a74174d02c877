package filingcsv_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/filingcsv"
)

// FuzzParse checks that Parse never panics, that its errors are coded
// errors with a message for the unit, and that the rows it returns are
// within the limit, in file order, and have errors naming their line.
func FuzzParse(f *testing.F) {
	f.Add(filingcsv.Template())
	f.Add(filingcsv.TemplateBig5())
	f.Add([]byte(lines("\n", header, rowAdd, "", `加保,"眷屬",,A1,"王""小""美",女,790315,子女,死亡,"1,000",1150302,,`)))
	f.Add([]byte(header + "\n加保,本人,健保專用,A123456789,,\"王\n大明"))
	f.Add([]byte(header + "\r\n加保,本人,,,,王\ue000明,,90101\r\n"))
	f.Add([]byte{0xEF, 0xBB, 0xBF, 0xFA, 0x40, 0xA4, 0x40, 0x81})
	f.Add([]byte("PK\x03\x04"))
	const maxRows = 20
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := filingcsv.Parse(bytes.NewReader(data), 1<<16, maxRows)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || e.Message == "" {
				t.Fatalf("error without a message: %v", err)
			}
			known := false
			for _, s := range []error{filingcsv.ErrTooLarge, filingcsv.ErrTooManyRows, filingcsv.ErrEmpty, filingcsv.ErrHeader, filingcsv.ErrEncoding} {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if res.Encoding != filingcsv.EncodingUTF8 && res.Encoding != filingcsv.EncodingBig5 {
			t.Fatalf("Encoding = %q", res.Encoding)
		}
		if len(res.Rows) == 0 || len(res.Rows) > maxRows {
			t.Fatalf("%d rows", len(res.Rows))
		}
		last := 1
		for _, r := range res.Rows {
			if r.Line <= last {
				t.Fatalf("row on line %d after line %d", r.Line, last)
			}
			last = r.Line
			if r.Err != "" && !strings.HasPrefix(r.Err, fmt.Sprintf("第 %d 行", r.Line)) {
				t.Fatalf("line %d: Err %q does not name the line", r.Line, r.Err)
			}
		}
	})
}
