package pdfform

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"unicode/utf16"
)

// gopdf v0.33.0 writes each font's ToUnicode CMap (the table viewers use to
// copy, search and extract text) with "%04X" of the code point, so a
// character beyond the BMP, such as the CJK Ext-B U+20000 printed with
// TW-Sung-Ext-B, gets "<20000>": not UTF-16BE, and lost to copy and search
// although its glyph prints. fixToUnicode rewrites those entries as
// surrogate pairs ("<D840DC00>") and then the stream lengths, the
// cross-reference offsets and startxref that the longer entries move. Render
// calls it only for documents holding such characters.

var (
	toUnicodeStart = []byte("\nstream\n/CIDInit /ProcSet findresource begin\n")
	lengthKey      = []byte("/Length ")
	wideBFRange    = regexp.MustCompile(`<([0-9A-F]{4})><([0-9A-F]{4})><([0-9A-F]{5,6})>`)
	startXref      = regexp.MustCompile(`startxref\n([0-9]+)\n%%EOF\n$`)
)

// edit replaces old[from:to] with text.
type edit struct {
	from, to int
	text     []byte
}

func fixToUnicode(pdf []byte) ([]byte, error) {
	var edits []edit
	for at := 0; ; {
		i := bytes.Index(pdf[at:], toUnicodeStart)
		if i < 0 {
			break
		}
		i += at
		// The dictionary just before is "<<\n/Length N\n>>".
		l := bytes.LastIndex(pdf[:i], lengthKey)
		if l < 0 {
			return nil, errors.New("pdfform: ToUnicode stream without /Length")
		}
		numFrom := l + len(lengthKey)
		numTo := numFrom + bytes.IndexByte(pdf[numFrom:i], '\n')
		if numTo < numFrom {
			return nil, errors.New("pdfform: ToUnicode /Length unterminated")
		}
		n, err := strconv.Atoi(string(pdf[numFrom:numTo]))
		start := i + len("\nstream\n")
		if err != nil || start+n > len(pdf) {
			return nil, fmt.Errorf("pdfform: ToUnicode /Length %q", pdf[numFrom:numTo])
		}
		cmap := pdf[start : start+n]
		fixed := wideBFRange.ReplaceAllFunc(cmap, func(m []byte) []byte {
			sub := wideBFRange.FindSubmatch(m)
			c, _ := strconv.ParseUint(string(sub[3]), 16, 32)
			hi, lo := utf16.EncodeRune(rune(c))
			return fmt.Appendf(nil, "<%s><%s><%04X%04X>", sub[1], sub[2], hi, lo)
		})
		if !bytes.Equal(fixed, cmap) {
			edits = append(edits,
				edit{numFrom, numTo, strconv.AppendInt(nil, int64(len(fixed)), 10)},
				edit{start, start + n, fixed})
		}
		at = start + n
	}
	if len(edits) == 0 {
		return pdf, nil
	}

	// shift maps an offset in pdf to the offset of the same byte after the
	// edits, all of which lie before the cross-reference table.
	shift := func(off int) int {
		k := sort.Search(len(edits), func(k int) bool { return edits[k].from >= off })
		d := 0
		for _, e := range edits[:k] {
			d += len(e.text) - (e.to - e.from)
		}
		return off + d
	}
	m := startXref.FindSubmatchIndex(pdf)
	if m == nil {
		return nil, errors.New("pdfform: no startxref")
	}
	xref, err := strconv.Atoi(string(pdf[m[2]:m[3]]))
	if err != nil || xref >= len(pdf) || !bytes.HasPrefix(pdf[xref:], []byte("xref\n")) {
		return nil, errors.New("pdfform: startxref does not point at xref")
	}

	var out bytes.Buffer
	out.Grow(len(pdf) + 1024)
	prev := 0
	for _, e := range edits {
		out.Write(pdf[prev:e.from])
		out.Write(e.text)
		prev = e.to
	}
	out.Write(pdf[prev:xref])

	// The table: "xref\n0 N\n", then N entries of exactly 20 bytes, the
	// first the free entry; every offset moves by the edits before it.
	table := pdf[xref:m[0]]
	lines := bytes.SplitAfter(table, []byte("\n"))
	if len(lines) < 3 {
		return nil, errors.New("pdfform: short xref table")
	}
	out.Write(lines[0])
	out.Write(lines[1])
	for _, ln := range lines[2:] {
		if len(ln) == 20 && bytes.HasSuffix(ln, []byte(" 00000 n \n")) {
			off, err := strconv.Atoi(string(ln[:10]))
			if err != nil {
				return nil, fmt.Errorf("pdfform: xref entry %q", ln)
			}
			fmt.Fprintf(&out, "%010d 00000 n \n", shift(off))
			continue
		}
		out.Write(ln) // the free entry, then the trailer dictionary
	}
	fmt.Fprintf(&out, "startxref\n%d\n%%%%EOF\n", shift(xref))
	return out.Bytes(), nil
}
