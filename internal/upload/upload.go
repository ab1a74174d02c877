// Package upload decides what an uploaded proof document is from its
// content (magic bytes), never from its name or the browser's claim, and
// checks its size. Only PDF, JPEG and PNG are accepted.
package upload

import (
	"bytes"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/multicert/multicert/internal/apperr"
)

// Accepted types.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
)

var magic = []struct {
	prefix []byte
	typ    string
}{
	{[]byte("%PDF-"), PDF},
	{[]byte{0xFF, 0xD8, 0xFF}, JPEG},
	{[]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, PNG},
}

// Sniff returns the type of b by its first bytes, or "" when it is none of
// the accepted types.
func Sniff(b []byte) string {
	for _, m := range magic {
		if bytes.HasPrefix(b, m.prefix) {
			return m.typ
		}
	}
	return ""
}

// Check returns b's type, or a message for the user: empty, too large, or
// not a PDF, JPEG or PNG (whatever its name says).
func Check(label string, b []byte, max int) (string, error) {
	switch {
	case len(b) == 0:
		return "", apperr.New(apperr.Invalid, label+"是空的檔案，請重新選擇。")
	case len(b) > max:
		return "", apperr.Newf(apperr.TooLarge, "%s超過 %d MB，請縮小檔案（例如降低掃描解析度）後再上傳。", label, max>>20)
	}
	t := Sniff(b)
	if t == "" {
		return "", apperr.New(apperr.Invalid, label+"不是 PDF、JPEG 或 PNG 檔（系統依檔案內容判斷，與副檔名無關），請重新選擇。")
	}
	return t, nil
}

// DisplayName keeps a file name for display only: its base name, without
// control characters and quotes, at most 100 characters. It is never used
// as a path.
func DisplayName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '"' || r == utf8.RuneError {
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if out == "." || out == "/" || out == "" {
		out = "document"
	}
	if r := []rune(out); len(r) > 100 {
		out = string(r[len(r)-100:])
	}
	return out
}

// Extension is the file extension that matches a type, for download names.
func Extension(typ string) string {
	switch typ {
	case PDF:
		return ".pdf"
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	}
	return ".bin"
}
