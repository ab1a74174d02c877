package filingcsv

import (
	"bytes"
	"encoding/csv"
)

// examples are the template's data rows: an employee's enrollment and the
// enrollment of the employee's child. Dates are 7-digit 民國 dates, the form
// that survives Excel best (it only drops the leading zero, which Parse
// restores).
var examples = [][numColumns]string{
	{"加保", "本人", "健保專用", "A123456789", "", "王大明", "男", "0790315", "", "A1", "45800", "1150302", ""},
	{"加保", "眷屬", "健保專用", "A123456789", "A223456781", "王小美", "女", "1130520", "3", "D1", "", "1150302", ""},
}

// Template returns the template to download: the header row and two
// example rows, an employee's enrollment and a dependent's, in UTF-8 with a
// byte order mark (so that Excel opens it as UTF-8) and CRLF line ends.
// Each call returns a new slice.
func Template() []byte {
	var buf bytes.Buffer
	buf.Write(bomUTF8)
	writeTemplate(&buf)
	return buf.Bytes()
}

// TemplateBig5 returns the same template in Big5, without a byte order
// mark, for older software that cannot read UTF-8. Each call returns a new
// slice.
func TemplateBig5() []byte {
	var buf bytes.Buffer
	writeTemplate(&buf)
	b, err := EncodeBig5(buf.String())
	if err != nil {
		// The template is fixed text; a test makes sure Big5 can carry it.
		panic("filingcsv: " + err.Error())
	}
	return b
}

func writeTemplate(buf *bytes.Buffer) {
	w := csv.NewWriter(buf)
	w.UseCRLF = true
	header := make([]string, numColumns)
	for i, c := range layout {
		header[i] = c.Name
	}
	w.Write(header) //nolint:errcheck // a bytes.Buffer does not fail
	for _, ex := range examples {
		w.Write(ex[:]) //nolint:errcheck // a bytes.Buffer does not fail
	}
	w.Flush()
}
