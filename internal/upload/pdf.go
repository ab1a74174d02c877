package upload

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
)

// Why a scanner and not a PDF library: a reviewer's viewer does not read a
// PDF the way a library's model of it says. Readers jump to the offsets in
// the cross-reference table, and when the table is broken they rebuild it
// by looking for "N G obj" anywhere in the file — inside other objects'
// strings or stream data too. A parser that follows the table (pdfcpu and
// the like) sees only the objects the table names, so an action hidden in an
// unreferenced object, or behind a table that a viewer's recovery rebuilds
// differently, would pass. This scanner therefore looks at every place in
// the file where any reader could find an object: every "N G obj", every
// trailer, and the decompressed content of every object stream (objects
// inside them have no "obj" keyword). Names are compared after undoing #xx
// escapes, so /J#61vaScript is /JavaScript. Anything it cannot check (an
// object stream with a filter it cannot undo, encryption, more work than
// a budget allows) is refused rather than let through. It needs only the
// standard library.

// pdfFinding is why a PDF is refused.
type pdfFinding int

const (
	pdfOK pdfFinding = iota
	pdfScript
	pdfAction
	pdfEmbedded
	pdfXFA
	pdfEncrypted
	pdfUncheckable // an object stream the scanner cannot decode, or too much work
	pdfBroken      // no document structure at all
)

// refusedNames are the PDF names whose presence anywhere refuses the file.
var refusedNames = map[string]pdfFinding{
	"JS":             pdfScript,
	"JavaScript":     pdfScript,
	"Launch":         pdfAction,
	"AA":             pdfAction, // additional actions: on open, close, page view, field events
	"SubmitForm":     pdfAction,
	"ImportData":     pdfAction,
	"GoToR":          pdfAction,
	"GoToE":          pdfAction,
	"EmbeddedFile":   pdfEmbedded,
	"EmbeddedFiles":  pdfEmbedded,
	"FileAttachment": pdfEmbedded,
	"EF":             pdfEmbedded, // the embedded-file entry of a file specification (its /Type is optional)
	"RichMedia":      pdfEmbedded,
	"XFA":            pdfXFA,
	"Encrypt":        pdfEncrypted,
}

const (
	maxDepth       = 64        // nesting of arrays and dictionaries
	maxLexedBytes  = 256 << 20 // work budget over all objects, decoded streams included
	maxDecodedSize = 64 << 20  // all object streams together, after decompression
)

var errBudget = errors.New("upload: pdf: too much work")

// pdfScanner holds what one check of one file has found.
type pdfScanner struct {
	finding pdfFinding
	name    string // the refused name, as the PDF means it
	root    bool   // a /Root entry: the file has a document catalog
	objects int    // "N G obj" headers followed by a value
	lexed   int
	decoded int

	plainGoTo   map[int][]bool // object number → for every place it is defined: is it a harmless open action
	openActions []int          // objects referred to by /OpenAction
}

// inspectPDF scans b, a file starting with %PDF-, and says whether it must
// be refused and for what name.
func inspectPDF(b []byte) (pdfFinding, string) {
	s := &pdfScanner{plainGoTo: map[int][]bool{}}
	err := s.scan(b)
	// An /OpenAction referring to an object is checked against every
	// definition of that object.
	for _, n := range s.openActions {
		defs := s.plainGoTo[n]
		if len(defs) == 0 {
			s.flag(pdfAction, "OpenAction")
		}
		for _, ok := range defs {
			if !ok {
				s.flag(pdfAction, "OpenAction")
			}
		}
	}
	switch {
	case s.finding != pdfOK:
		return s.finding, s.name
	case err != nil:
		return pdfUncheckable, ""
	case !s.root || s.objects == 0:
		return pdfBroken, ""
	}
	return pdfOK, ""
}

func (s *pdfScanner) flag(f pdfFinding, name string) {
	if s.finding == pdfOK {
		s.finding, s.name = f, name
	}
}

// scan visits every object header and trailer in b.
func (s *pdfScanner) scan(b []byte) error {
	nextObj, nextTrailer := -1, -1 // positions of the next "obj" and "trailer" at or after from
	find := func(word string, from int) int {
		if i := bytes.Index(b[from:], []byte(word)); i >= 0 {
			return from + i
		}
		return len(b)
	}
	for from := 0; from < len(b) && s.finding == pdfOK; {
		if nextObj < from {
			nextObj = find("obj", from)
		}
		if nextTrailer < from {
			nextTrailer = find("trailer", from)
		}
		at := min(nextObj, nextTrailer)
		if at == len(b) {
			return nil
		}
		if at == nextTrailer {
			from = at + len("trailer")
			if at > 0 && isRegular(b[at-1]) || from < len(b) && isRegular(b[from]) {
				continue
			}
			l := &lexer{s: s, b: b, pos: from}
			l.value(0)
			if l.err != nil {
				return l.err
			}
			continue
		}
		from = at + len("obj")
		if from < len(b) && isRegular(b[from]) {
			continue
		}
		num, ok := objectHeaderBefore(b, at)
		if !ok {
			continue
		}
		if err := s.object(b, num, from); err != nil {
			return err
		}
	}
	return nil
}

// objectHeaderBefore reports whether "obj" at b[at] follows "N G" the way a
// reader rebuilding the cross-reference table would accept it, and N.
func objectHeaderBefore(b []byte, at int) (int, bool) {
	i := at
	skipSpace := func() int {
		n := 0
		for i > 0 && isSpace(b[i-1]) {
			i--
			n++
		}
		return n
	}
	digits := func() int {
		n := 0
		for i > 0 && b[i-1] >= '0' && b[i-1] <= '9' {
			i--
			n++
		}
		return n
	}
	skipSpace()
	if digits() == 0 || skipSpace() == 0 {
		return 0, false
	}
	end := i
	if digits() == 0 || i > 0 && isRegular(b[i-1]) {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[i:end]))
	return n, err == nil
}

// object checks the value after an "obj" keyword at b[from], and when it
// is the dictionary of an object stream, the objects stored inside.
func (s *pdfScanner) object(b []byte, num, from int) error {
	l := &lexer{s: s, b: b, pos: from}
	v := l.value(0)
	if l.err != nil {
		return l.err
	}
	if v.kind == kEOF {
		return nil
	}
	s.objects++
	s.plainGoTo[num] = append(s.plainGoTo[num], isPlainGoTo(v))
	if v.kind != kDict || s.finding != pdfOK {
		return nil
	}
	t := l.next()
	if l.err != nil {
		return l.err
	}
	if t.kind != kKeyword || t.text != "stream" {
		return nil
	}
	if !isObjectStream(v.dict) {
		return nil
	}
	// The data starts after the end of the "stream" line. The decoders stop
	// at their own end markers, so they are given the rest of the file: a
	// /Length that cuts the data short can only make a reader see less.
	start := l.pos
	for start < len(b) && b[start] != '\n' && b[start] != '\r' {
		start++
	}
	if start < len(b) && b[start] == '\r' {
		start++
	}
	if start < len(b) && b[start] == '\n' {
		start++
	}
	data, err := s.decode(b[start:], v.dict)
	if err != nil {
		return err
	}
	// Every name in the stream is checked, wherever the header says the
	// objects start; then the header's objects are parsed for their kinds.
	inner := &lexer{s: s, b: data}
	for inner.err == nil && s.finding == pdfOK {
		if inner.value(0).kind == kEOF {
			break
		}
	}
	if inner.err != nil {
		return inner.err
	}
	first, ok := directInt(v.dict, "First")
	if !ok {
		// Readers resolve an indirect /First; without it the objects cannot
		// be found where they will look.
		return errFilter
	}
	header := &lexer{s: s, b: data[:min(first, len(data))]}
	for header.err == nil {
		n, off := header.next(), header.next()
		if n.kind != kNumber || off.kind != kNumber {
			break
		}
		num, err1 := strconv.Atoi(n.text)
		at, err2 := strconv.Atoi(off.text)
		if err1 != nil || err2 != nil || at < 0 || first+at >= len(data) {
			continue
		}
		obj := &lexer{s: s, b: data, pos: first + at}
		s.plainGoTo[num] = append(s.plainGoTo[num], isPlainGoTo(obj.value(0)))
		if obj.err != nil {
			return obj.err
		}
	}
	return header.err
}

// isPlainGoTo reports whether v, the value of /OpenAction, only turns to a
// page of the document: a destination array, or a GoTo action (as pdfTeX
// writes) that starts no further action.
func isPlainGoTo(v pdfValue) bool {
	switch v.kind {
	case kArray, kNull:
		return true
	case kDict:
		s, ok := v.dict["S"]
		_, next := v.dict["Next"]
		return ok && s.kind == kName && s.text == "GoTo" && !next
	}
	return false
}

// directInt returns a dictionary's direct integer entry.
func directInt(dict map[string]pdfValue, key string) (int, bool) {
	v, ok := dict[key]
	if !ok || v.kind != kNumber {
		return 0, false
	}
	n, err := strconv.Atoi(v.text)
	return n, err == nil && n >= 0
}

// isObjectStream reports whether a stream's dictionary describes an object
// stream. Readers look only for /First and /N, not /Type, so any of them
// counts.
func isObjectStream(d map[string]pdfValue) bool {
	if t, ok := d["Type"]; ok && t.kind == kName && t.text == "ObjStm" {
		return true
	}
	_, first := d["First"]
	return first
}

var errFilter = errors.New("upload: pdf: object stream filter not supported")

// decode undoes the filters of an object stream.
func (s *pdfScanner) decode(data []byte, d map[string]pdfValue) ([]byte, error) {
	var filters []pdfValue
	switch f, ok := d["Filter"]; {
	case !ok:
	case f.kind == kName:
		filters = []pdfValue{f}
	case f.kind == kArray:
		filters = f.items
	default:
		return nil, errFilter // an indirect reference, or nonsense
	}
	if len(filters) > 0 {
		for _, k := range []string{"DecodeParms", "DP"} {
			if p, ok := d[k]; ok && p.kind != kNull {
				return nil, errFilter // predictors: never used for object streams by honest writers
			}
		}
	}
	if len(filters) == 0 {
		if end := bytes.Index(data, []byte("endstream")); end >= 0 {
			data = data[:end]
		}
	}
	for _, f := range filters {
		if f.kind != kName {
			return nil, errFilter
		}
		var r io.Reader
		switch f.text {
		case "FlateDecode", "Fl":
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				r = flate.NewReader(bytes.NewReader(data)) // no zlib header: raw deflate, as readers accept
			} else {
				r = zr
			}
		case "ASCIIHexDecode", "AHx":
			r = bytes.NewReader(unhex(data))
		case "ASCII85Decode", "A85":
			if end := bytes.Index(data, []byte("~>")); end >= 0 {
				data = data[:end]
			}
			data = bytes.TrimPrefix(bytes.TrimSpace(data), []byte("<~"))
			r = ascii85.NewDecoder(bytes.NewReader(data))
		default:
			return nil, errFilter
		}
		out, err := io.ReadAll(io.LimitReader(r, int64(maxDecodedSize-s.decoded+1)))
		if len(out) == 0 && err != nil {
			return nil, err
		}
		// A truncated or corrupt stream still yields what readers show: check
		// that much.
		s.decoded += len(out)
		if s.decoded > maxDecodedSize {
			return nil, errBudget
		}
		data = out
	}
	return data, nil
}

// unhex decodes ASCIIHexDecode data up to its '>'.
func unhex(b []byte) []byte {
	var digits []byte
	for _, c := range b {
		if c == '>' {
			break
		}
		if isSpace(c) {
			continue
		}
		digits = append(digits, c)
	}
	if len(digits)%2 == 1 {
		digits = append(digits, '0')
	}
	out := make([]byte, len(digits)/2)
	n, _ := hex.Decode(out, digits)
	return out[:n]
}

// The lexer and parser follow the PDF syntax (ISO 32000-1, 7.2 and 7.3)
// leniently, as viewers do: an unexpected token is skipped, not an error.

type kind int

const (
	kEOF kind = iota
	kName
	kNumber
	kString
	kDictOpen
	kDictClose
	kArrayOpen
	kArrayClose
	kKeyword
	// values only
	kDict
	kArray
	kRef
	kNull
)

type pdfToken struct {
	kind kind
	text string
}

// pdfValue is the part of a parsed value the scanner needs: names, the
// entries of dictionaries and the elements of arrays.
type pdfValue struct {
	kind  kind
	text  string
	dict  map[string]pdfValue
	items []pdfValue
}

type lexer struct {
	s   *pdfScanner
	b   []byte
	pos int
	err error
}

func isSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelimiter(c) }

// next returns the next token. Every name passes the refused-name check
// here, wherever it stands.
func (l *lexer) next() pdfToken {
	start := l.pos
	t := l.scanToken()
	l.s.lexed += l.pos - start
	if l.s.lexed > maxLexedBytes && l.err == nil {
		l.err = errBudget
	}
	if l.err != nil {
		return pdfToken{kind: kEOF}
	}
	if t.kind == kName {
		if f, ok := refusedNames[t.text]; ok {
			l.s.flag(f, t.text)
		}
		if t.text == "Root" {
			l.s.root = true
		}
	}
	return t
}

func (l *lexer) scanToken() pdfToken {
	b := l.b
	for l.pos < len(b) {
		c := b[l.pos]
		if isSpace(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for l.pos < len(b) && b[l.pos] != '\n' && b[l.pos] != '\r' {
				l.pos++
			}
			continue
		}
		break
	}
	if l.pos >= len(b) {
		return pdfToken{kind: kEOF}
	}
	c := b[l.pos]
	switch c {
	case '/':
		l.pos++
		return pdfToken{kind: kName, text: l.name()}
	case '(':
		l.pos++
		for depth := 1; l.pos < len(b) && depth > 0; l.pos++ {
			switch b[l.pos] {
			case '\\':
				l.pos++
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		return pdfToken{kind: kString}
	case '<':
		if l.pos+1 < len(b) && b[l.pos+1] == '<' {
			l.pos += 2
			return pdfToken{kind: kDictOpen}
		}
		end := bytes.IndexByte(b[l.pos:], '>')
		if end < 0 {
			l.pos = len(b)
		} else {
			l.pos += end + 1
		}
		return pdfToken{kind: kString}
	case '>':
		if l.pos+1 < len(b) && b[l.pos+1] == '>' {
			l.pos += 2
			return pdfToken{kind: kDictClose}
		}
		l.pos++
		return pdfToken{kind: kKeyword, text: ">"}
	case '[':
		l.pos++
		return pdfToken{kind: kArrayOpen}
	case ']':
		l.pos++
		return pdfToken{kind: kArrayClose}
	case ')', '{', '}':
		l.pos++
		return pdfToken{kind: kKeyword, text: string(c)}
	}
	start := l.pos
	for l.pos < len(b) && isRegular(b[l.pos]) {
		l.pos++
	}
	word := string(b[start:l.pos])
	if _, err := strconv.ParseFloat(word, 64); err == nil || word == "-" || word == "+" {
		return pdfToken{kind: kNumber, text: word}
	}
	return pdfToken{kind: kKeyword, text: word}
}

// name reads a name after its '/', undoing #xx escapes.
func (l *lexer) name() string {
	b := l.b
	var out []byte
	for l.pos < len(b) && isRegular(b[l.pos]) {
		c := b[l.pos]
		if c == '#' && l.pos+2 < len(b) {
			var x [1]byte
			if _, err := hex.Decode(x[:], b[l.pos+1:l.pos+3]); err == nil {
				out = append(out, x[0])
				l.pos += 3
				continue
			}
		}
		out = append(out, c)
		l.pos++
	}
	return string(out)
}

// value parses one value; kEOF when there is none.
func (l *lexer) value(depth int) pdfValue {
	return l.valueFrom(l.next(), depth)
}

func (l *lexer) valueFrom(t pdfToken, depth int) pdfValue {
	if depth > maxDepth && l.err == nil {
		l.err = errBudget
	}
	if l.err != nil {
		return pdfValue{kind: kEOF}
	}
	switch t.kind {
	case kDictOpen:
		d := map[string]pdfValue{}
		for {
			k := l.next()
			switch k.kind {
			case kEOF, kDictClose:
				return pdfValue{kind: kDict, dict: d}
			case kName:
				v := l.value(depth + 1)
				if v.kind == kEOF {
					return pdfValue{kind: kDict, dict: d}
				}
				if k.text == "OpenAction" {
					// A reference is checked once all objects are known.
					n, err := strconv.Atoi(v.text)
					switch {
					case v.kind == kRef && err == nil:
						l.s.openActions = append(l.s.openActions, n)
					case !isPlainGoTo(v):
						l.s.flag(pdfAction, "OpenAction")
					}
				}
				d[k.text] = v
			default:
				l.valueFrom(k, depth+1) // not a key: parse past it, its names checked
			}
		}
	case kArrayOpen:
		var items []pdfValue
		for {
			e := l.next()
			if e.kind == kEOF || e.kind == kArrayClose {
				return pdfValue{kind: kArray, items: items}
			}
			v := l.valueFrom(e, depth+1)
			if v.kind == kEOF {
				return pdfValue{kind: kArray, items: items}
			}
			items = append(items, v)
		}
	case kNumber:
		// "N G R" is a reference.
		save := l.pos
		if g := l.next(); g.kind == kNumber {
			if r := l.next(); r.kind == kKeyword && r.text == "R" {
				return pdfValue{kind: kRef, text: t.text}
			}
		}
		l.pos = save
		return pdfValue{kind: kNumber, text: t.text}
	case kName:
		return pdfValue{kind: kName, text: t.text}
	case kKeyword:
		if t.text == "null" {
			return pdfValue{kind: kNull}
		}
		return pdfValue{kind: kKeyword, text: t.text}
	case kEOF:
		return pdfValue{kind: kEOF}
	}
	return pdfValue{kind: t.kind}
}
