package input_test

import (
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/input"
)

func TestName(t *testing.T) {
	for _, tc := range []struct {
		name, v string
		ok      bool
	}{
		{"plain", "王小明", true},
		{"at the limit", strings.Repeat("王", 50), true},
		{"over the limit", strings.Repeat("王", 51), false},
		{"a million characters", strings.Repeat("a", 1_000_000), false},
		{"NUL", "王\x00小明", false},
		{"newline", "王\n小明", false},
		{"DEL", "王\x7f", false},
		{"right-to-left override", "王\u202e明小", false},
		{"isolate", "\u2066王\u2069", false},
		{"invalid UTF-8", "王\xff", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := input.Name("姓名", tc.v, input.MaxPersonName)
			if got := msg == ""; got != tc.ok {
				t.Fatalf("Name(%.20q) = %q, want ok %v", tc.v, msg, tc.ok)
			}
			if !tc.ok && !strings.HasPrefix(msg, "姓名") {
				t.Errorf("message %q does not name the field", msg)
			}
		})
	}
}

func TestText(t *testing.T) {
	if msg := input.Text("說明", "第一行\r\n第二行\t完", input.MaxNote); msg != "" {
		t.Errorf("line breaks and tabs refused: %q", msg)
	}
	for _, bad := range []string{"a\x00b", "a\x1bb", "a\u202eb", strings.Repeat("字", input.MaxNote+1)} {
		if input.Text("說明", bad, input.MaxNote) == "" {
			t.Errorf("Text(%.20q) accepted", bad)
		}
	}
}

func TestSearch(t *testing.T) {
	for v, want := range map[string]string{
		"  臺北  ":                              "臺北",
		"a\x00b":                              "",
		strings.Repeat("x", 500):              strings.Repeat("x", input.MaxSearch),
		"\u202e123":                           "",
		"12345678" + strings.Repeat("字", 200): "12345678" + strings.Repeat("字", input.MaxSearch-8),
	} {
		if got := input.Search(v); got != want {
			t.Errorf("Search(%.20q) = %.20q, want %.20q", v, got, want)
		}
	}
}

func TestStripBidi(t *testing.T) {
	if got := input.StripBidi("proof\u202egpj.exe"); got != "proofgpj.exe" {
		t.Errorf("StripBidi = %q", got)
	}
}
