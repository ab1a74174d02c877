package upload_test

import (
	"bytes"
	"testing"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/upload"
)

func TestCheck(t *testing.T) {
	png := append([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, 0, 0, 0, 13)
	for _, tc := range []struct {
		name     string
		b        []byte
		wantType string
		wantCode apperr.Code
	}{
		{"pdf", []byte("%PDF-1.7\n..."), upload.PDF, ""},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}, upload.JPEG, ""},
		{"png", png, upload.PNG, ""},
		{"empty", nil, "", apperr.Invalid},
		{"html renamed to .pdf", []byte("<html><script>alert(1)</script>"), "", apperr.Invalid},
		{"zip", []byte("PK\x03\x04"), "", apperr.Invalid},
		{"pdf header not at the start", []byte(" %PDF-1.4"), "", apperr.Invalid},
		{"too large", append([]byte("%PDF-"), bytes.Repeat([]byte("x"), 100)...), "", apperr.TooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := upload.Check("證明文件一", tc.b, 64)
			if got != tc.wantType || apperr.CodeOf(err) != tc.wantCode && !(tc.wantCode == "" && err == nil) {
				t.Errorf("Check = %q, %v; want %q, code %q", got, err, tc.wantType, tc.wantCode)
			}
		})
	}
}

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"營業登記.pdf":           "營業登記.pdf",
		"../../etc/passwd":   "passwd",
		`C:\Users\me\文件.png`: "文件.png",
		"a\"b\x00c\n.pdf":    "abc.pdf",
		"":                   "document",
		"/":                  "document",
	} {
		if got := upload.DisplayName(in); got != want {
			t.Errorf("DisplayName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte("%PDF-1.4"), "x.pdf")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		typ, err := upload.Check("x", b, 1<<20)
		if (typ == "") == (err == nil) {
			t.Fatalf("Check = %q, %v: want exactly one of a type and an error", typ, err)
		}
		if n := upload.DisplayName(name); n == "" {
			t.Fatal("empty display name")
		}
	})
}
