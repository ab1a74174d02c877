package pdfform

import "unicode"

// wrap breaks s into lines no wider than limit (thousandths of an em). The
// lines are consecutive pieces of s: joined they give s back, so no
// character is lost at a break (go-pdf/fpdf v0.9.0 drops one at every
// automatic break of Chinese text; here gopdf is never asked to break).
// Chinese text breaks between any two characters; a Latin word is kept
// whole by breaking after the space before it, when the line has one.
// Spaces at a break stay at the end of the line. A character wider than
// limit gets a line of its own.
func (r *Renderer) wrap(s string, limit float64) ([]string, error) {
	type glyph struct {
		off   int
		w     float64
		space bool
		word  bool // part of a Latin word: no break between two of these
	}
	var gs []glyph
	for i, c := range s {
		_, w, ok := r.faceFor(c)
		if !ok {
			return nil, errUnprintable(c)
		}
		space := unicode.IsSpace(c)
		gs = append(gs, glyph{off: i, w: w, space: space, word: !space && c < 0x2E80})
	}
	offset := func(i int) int {
		if i == len(gs) {
			return len(s)
		}
		return gs[i].off
	}
	var lines []string
	for start := 0; start < len(gs); {
		end, width, brk := start, 0.0, -1
		for end < len(gs) && (end == start || width+gs[end].w <= limit) {
			width += gs[end].w
			end++
			if gs[end-1].space {
				brk = end
			}
		}
		switch {
		case end == len(gs):
		case gs[end].space:
			for end < len(gs) && gs[end].space {
				end++ // spaces hang past the limit: no line starts with one
			}
		case gs[end].word && gs[end-1].word && brk > start:
			end = brk
		}
		lines = append(lines, s[offset(start):offset(end)])
		start = end
	}
	return lines, nil
}
