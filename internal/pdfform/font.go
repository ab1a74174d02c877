package pdfform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/signintech/gopdf"
)

// FontEnv is the environment variable naming font files for NewRenderer's
// default search, separated by os.PathListSeparator (':' on Linux).
const FontEnv = "MULTICERT_PDF_FONT"

// DebianFontPaths are the files of Debian's fonts-cns11643-sung package, in
// the order NewRenderer uses them by default: TW-Sung (全字庫正宋體, the
// Unicode BMP including CJK Ext-A), then TW-Sung-Ext-B (CJK Ext-B) and
// TW-Sung-Plus (CNS 11643 characters mapped to plane 15, U+F0000 up).
var DebianFontPaths = []string{
	"/usr/share/fonts/truetype/cns11643/TW-Sung-98_1.ttf",
	"/usr/share/fonts/truetype/cns11643/TW-Sung-Ext-B-98_1.ttf",
	"/usr/share/fonts/truetype/cns11643/TW-Sung-Plus-98_1.ttf",
}

// DefaultFontPaths returns the fonts NewRenderer loads when it is given
// none: those of DebianFontPaths that exist, then the files listed in the
// environment variable MULTICERT_PDF_FONT (FontEnv). Files named twice are
// listed once.
func DefaultFontPaths() []string {
	var paths []string
	for _, p := range DebianFontPaths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			paths = append(paths, p)
		}
	}
	for _, p := range filepath.SplitList(os.Getenv(FontEnv)) {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	return dedupe(paths)
}

func dedupe(paths []string) []string {
	seen := make(map[string]bool, len(paths))
	out := paths[:0:0]
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Renderer prints forms with a fixed list of parsed fonts: the primary font
// and its fallbacks. It is safe for concurrent use. Create one with
// NewRenderer and keep it: the font files are read and parsed there, once.
type Renderer struct {
	faces []*face
	// container holds one parsed gopdf font per face. Each document takes
	// a shallow copy (AddTTFFontFromFontContainer), sharing the font bytes
	// and parsed tables read-only, with its own map of the glyphs used.
	container gopdf.FontContainer
	// unexpected counts glyphs gopdf itself reported missing. The check
	// before drawing should make that impossible; Render fails if it
	// happens anyway rather than print a blank.
	unexpected atomic.Int64
}

// face is one loaded font file.
type face struct {
	path   string
	family string // gopdf family name: "f0", "f1", …
	// sub is a parse of the same bytes as the container's copy, used
	// read-only for cmap look-ups and advance widths: gopdf keeps the
	// container's copy unexported.
	sub       gopdf.SubsetFontObj
	numGlyphs uint
	maxBMP    uint // the last code point of the format 4 cmap
}

// NewRenderer loads the fonts at fontPaths, the first being the primary font
// and the others fallbacks for characters it lacks, tried in order. With no
// paths it loads DefaultFontPaths, and fails with an error wrapping
// ErrNoFont when there are none. Each file is read and parsed once here;
// the Renderer keeps the bytes (about 36 MB for TW-Sung, 132 MB for the
// three Debian files).
func NewRenderer(fontPaths ...string) (*Renderer, error) {
	if len(fontPaths) == 0 {
		fontPaths = DefaultFontPaths()
		if len(fontPaths) == 0 {
			return nil, fmt.Errorf("pdfform: %w: install the Debian package fonts-cns11643-sung (scripts/fonts/install.sh) or set %s to a TrueType font file", ErrNoFont, FontEnv)
		}
	}
	fontPaths = dedupe(fontPaths)
	r := &Renderer{}
	opt := gopdf.TtfOption{
		OnGlyphNotFound: func(rune) { r.unexpected.Add(1) },
		// Map a missing glyph to itself: gopdf then draws .notdef rather
		// than its default space. Render fails before that matters.
		OnGlyphNotFoundSubstitute: func(c rune) rune { return c },
	}
	for i, p := range fontPaths {
		f, err := loadFace(p, fmt.Sprintf("f%d", i), opt, &r.container)
		if err != nil {
			return nil, err
		}
		r.faces = append(r.faces, f)
	}
	return r, nil
}

func loadFace(path, family string, opt gopdf.TtfOption, container *gopdf.FontContainer) (f *face, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pdfform: read font: %w", err)
	}
	// gopdf's parser indexes into the file without bounds checks: a
	// damaged file must fail here, not panic in a later Render.
	defer func() {
		if v := recover(); v != nil {
			f, err = nil, fmt.Errorf("pdfform: parse font %s: %v", path, v)
		}
	}()
	f = &face{path: path, family: family}
	f.sub.SetTtfFontOption(opt)
	f.sub.SetFamily(family)
	if err := f.sub.SetTTFData(data); err != nil {
		return nil, fmt.Errorf("pdfform: parse font %s: %w", path, err)
	}
	tp := f.sub.GetTTFParser()
	f.numGlyphs = tp.NumGlyphs()
	if n := len(tp.EndCount); n > 0 {
		f.maxBMP = tp.EndCount[n-1]
	}
	if f.numGlyphs == 0 || uint(len(tp.LocaTable)) <= f.numGlyphs || uint(len(tp.Widths())) == 0 {
		return nil, fmt.Errorf("pdfform: parse font %s: no glyphs", path)
	}
	// The same bytes again, parsed into the container gopdf can share
	// between documents; the bytes themselves are not copied.
	if err := container.AddTTFFontDataWithOption(family, data, opt); err != nil {
		return nil, fmt.Errorf("pdfform: parse font %s: %w", path, err)
	}
	return f, nil
}

// glyph returns the glyph index of c in f, or 0 when f cannot print c. It
// uses gopdf's own look-up (the one gopdf uses when it writes text), and
// also refuses the index 0 gopdf may return without an error (.notdef), an
// index past the glyph table, and an empty outline for anything but a
// space: each would print as a blank or a box.
func (f *face) glyph(c rune) uint {
	if c <= 0xFFFF && uint(c) > f.maxBMP {
		return 0 // past the last cmap segment, where gopdf would index out of range
	}
	g, err := f.sub.CharCodeToGlyphIndex(c)
	if err != nil || g == 0 || g >= f.numGlyphs {
		return 0
	}
	if !unicode.IsSpace(c) {
		loca := f.sub.GetTTFParser().LocaTable
		if loca[g+1] <= loca[g] {
			return 0
		}
	}
	return g
}

// printable reports whether c may be printed at all: control characters and
// U+FFFD (what invalid UTF-8 decodes to) never are.
func printable(c rune) bool {
	return c != utf8.RuneError && !unicode.IsControl(c)
}

// faceFor returns the index of the first face that can print c, and its
// advance width in thousandths of an em.
func (r *Renderer) faceFor(c rune) (i int, width float64, ok bool) {
	if !printable(c) {
		return 0, 0, false
	}
	for i, f := range r.faces {
		if g := f.glyph(c); g != 0 {
			return i, float64(f.sub.GlyphIndexToPdfWidth(g)), true
		}
	}
	return 0, 0, false
}

// Unprintable returns the characters of s that no font of r can print, each
// once, in order of first appearance; nil when every character can be
// printed. Handlers can use it to reject a name when it is entered rather
// than when the form is printed.
func (r *Renderer) Unprintable(s string) []rune {
	var bad []rune
	for _, c := range s {
		if _, _, ok := r.faceFor(c); !ok && !containsRune(bad, c) {
			bad = append(bad, c)
		}
	}
	return bad
}

func containsRune(rs []rune, c rune) bool {
	for _, x := range rs {
		if x == c {
			return true
		}
	}
	return false
}

// FontPaths returns the font files r uses, primary first.
func (r *Renderer) FontPaths() []string {
	paths := make([]string, len(r.faces))
	for i, f := range r.faces {
		paths[i] = f.path
	}
	return paths
}

// run is a stretch of text printed with one face.
type run struct {
	face  int
	text  string
	width float64 // thousandths of an em
}

// errUnprintable is returned by split with the character no face has; the
// caller turns it into a *GlyphError naming the field.
type errUnprintable rune

func (e errUnprintable) Error() string { return fmt.Sprintf("unprintable %U", rune(e)) }

// split cuts s into runs, each printed with the first face that has glyphs
// for all of its characters. This is the whole of the font fallback: gopdf
// draws one font per text operation, so a name mixing TW-Sung and Ext-B
// characters becomes several operations placed side by side.
func (r *Renderer) split(s string) ([]run, error) {
	var runs []run
	start := 0
	for i, c := range s {
		fi, w, ok := r.faceFor(c)
		if !ok {
			return nil, errUnprintable(c)
		}
		if n := len(runs); n > 0 && runs[n-1].face == fi {
			runs[n-1].text = s[start : i+utf8.RuneLen(c)]
			runs[n-1].width += w
			continue
		}
		start = i
		runs = append(runs, run{face: fi, text: s[i : i+utf8.RuneLen(c)], width: w})
	}
	return runs, nil
}

// width returns the advance width of s in thousandths of an em, and the
// first character no face has.
func (r *Renderer) width(s string) (float64, error) {
	var total float64
	for _, c := range s {
		_, w, ok := r.faceFor(c)
		if !ok {
			return 0, errUnprintable(c)
		}
		total += w
	}
	return total, nil
}

// glyphError converts an errUnprintable from split or width into a
// *GlyphError for the given form and field.
func glyphError(err error, form int, field string) error {
	var u errUnprintable
	if errors.As(err, &u) {
		if field == "label" { // the form's own text belongs to no form
			form = -1
		}
		return &GlyphError{Form: form, Field: field, Rune: rune(u)}
	}
	return err
}
