package pdfform_test

import (
	"strings"
	"testing"
	"unicode"
)

// TestWrap checks the line breaking: every character kept, in order, and
// lines within the limit.
func TestWrap(t *testing.T) {
	r := mustRenderer(t)
	tests := []struct {
		s     string
		limit float64 // ems
		want  []string
	}{
		{"", 5, nil},
		{"林峯堃", 5, []string{"林峯堃"}},
		{"財團法人臺灣省私立峯堃", 4, []string{"財團法人", "臺灣省私", "立峯堃"}},
		// Latin letters are half an em in TW-Sung: words stay whole.
		{"WILLIAMS JOHNATHAN", 5, []string{"WILLIAMS ", "JOHNATHAN"}},
		{"AB CDEFGHIJKLMN", 3, []string{"AB ", "CDEFGH", "IJKLMN"}},
		// Spaces at a break hang at the end of the line.
		{"林峯  堃", 2, []string{"林峯  ", "堃"}},
		// A character wider than the limit gets a line of its own.
		{"林峯", 0.5, []string{"林", "峯"}},
	}
	for _, tt := range tests {
		got, err := r.Wrap(tt.s, tt.limit)
		if err != nil {
			t.Errorf("Wrap(%q, %v) error: %v", tt.s, tt.limit, err)
			continue
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Wrap(%q, %v) = %q, want %q", tt.s, tt.limit, got, tt.want)
		}
	}
}

func FuzzWrap(f *testing.F) {
	for _, s := range []string{"財團法人臺灣省私立峯堃社會福利慈善事業基金會", "WILLIAMS JOHNATHAN ALEXANDER", "林 峯 堃", "A1（養護型）"} {
		f.Add(s, 3.0)
	}
	f.Fuzz(func(t *testing.T, s string, limit float64) {
		r := mustRenderer(t)
		if limit < 0.5 || limit > 40 || len(r.Unprintable(s)) > 0 {
			return
		}
		lines, err := r.Wrap(s, limit)
		if err != nil {
			t.Fatalf("Wrap(%q) error: %v", s, err)
		}
		if got := strings.Join(lines, ""); got != s {
			t.Fatalf("Wrap(%q, %v) = %q: joined %q lost or changed characters", s, limit, lines, got)
		}
		for i, l := range lines {
			if l == "" {
				t.Fatalf("Wrap(%q) line %d empty", s, i)
			}
			if i > 0 && unicode.IsSpace([]rune(l)[0]) {
				t.Fatalf("Wrap(%q, %v) line %d %q starts with a space", s, limit, i, l)
			}
		}
	})
}
