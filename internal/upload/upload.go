// Package upload decides what an uploaded proof document is from its
// content (magic bytes), never from its name or the browser's claim, checks
// its size, and refuses files that could attack the staff who open them:
// polyglots that a browser could take for a web page, and PDFs that can act
// (JavaScript, launch and open actions, embedded files, XFA forms). Only
// PDF, JPEG and PNG are accepted.
//
// PDFs are checked by a scanner written for this package (pdf.go) rather
// than a PDF library; the comment there says why.
package upload

import (
	"bytes"
	"path"
	"strings"
	"unicode"
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

// Check returns b's type, or a message for the user naming the file:
// empty, too large, not a PDF, JPEG or PNG, a name whose extension says
// another type than the content, markup in the first kilobyte (a file that
// a browser could take for a web page), or a PDF that can act (scripts,
// actions, embedded files, XFA forms), is encrypted or is no document.
func Check(label, name string, b []byte, max int) (string, error) {
	what := label + "「" + DisplayName(name) + "」"
	switch {
	case len(b) == 0:
		return "", apperr.New(apperr.Invalid, what+"是空的檔案，請重新選擇。")
	case len(b) > max:
		return "", apperr.Newf(apperr.TooLarge, "%s超過 %d MB，請縮小檔案（例如降低掃描解析度）後再上傳。", what, max>>20)
	}
	t := Sniff(b)
	if t == "" {
		return "", apperr.New(apperr.Invalid, what+"不是 PDF、JPEG 或 PNG 檔（系統依檔案內容判斷，與副檔名無關），請重新選擇。")
	}
	if hasMarkup(b) {
		return "", apperr.New(apperr.Invalid, what+"的開頭含有網頁標記（HTML、SVG 或 XML），可能是偽裝成文件的網頁，系統不接受。請上傳掃描或「列印成 PDF」產生的檔案。")
	}
	if ext := strings.ToLower(path.Ext(DisplayName(name))); ext != "" && typeOfExtension[ext] != t {
		return "", apperr.Newf(apperr.Invalid, "%s的副檔名是 %s，但內容是%s；請確認選對了檔案，或將副檔名改為 %s 後再上傳。",
			what, ext, typeNames[t], Extension(t))
	}
	if t != PDF {
		return t, nil
	}
	switch f, pdfName := inspectPDF(b); f {
	case pdfScript:
		return "", apperr.Newf(apperr.Invalid, "%s含有 JavaScript 程式（/%s），系統不接受含程式的 PDF。請以「列印成 PDF」或掃描重新產生檔案後再上傳。", what, pdfName)
	case pdfAction:
		return "", apperr.Newf(apperr.Invalid, "%s含有開啟時自動執行、開啟其他檔案或送出資料的動作（/%s），系統不接受。請以「列印成 PDF」或掃描重新產生檔案後再上傳。", what, pdfName)
	case pdfEmbedded:
		return "", apperr.Newf(apperr.Invalid, "%s夾帶其他檔案（/%s），系統不接受。請只上傳證明文件本身，可以「列印成 PDF」重新產生後再上傳。", what, pdfName)
	case pdfXFA:
		return "", apperr.New(apperr.Invalid, what+"是 XFA 動態表單，系統不接受。請以「列印成 PDF」或掃描重新產生檔案後再上傳。")
	case pdfEncrypted:
		return "", apperr.New(apperr.Invalid, what+"有密碼保護或經過加密，系統無法檢查內容。請上傳未加密的 PDF。")
	case pdfUncheckable:
		return "", apperr.New(apperr.Invalid, what+"的內部格式系統無法檢查（使用了不支援的壓縮方式或結構過於複雜），請以「列印成 PDF」或掃描重新產生檔案後再上傳。")
	case pdfBroken:
		return "", apperr.New(apperr.Invalid, what+"無法解讀為 PDF 文件（檔案可能已損壞或不完整），請重新產生後再上傳。")
	}
	return t, nil
}

var typeOfExtension = map[string]string{
	".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".jfif": JPEG, ".png": PNG,
}

var typeNames = map[string]string{PDF: " PDF 文件", JPEG: " JPEG 圖片", PNG: " PNG 圖片"}

// markup is what, near the start of a file, lets a browser or a mail
// filter take it for a web page or an image with scripts (the HTML and XML
// patterns of the WHATWG MIME sniffing standard, and SVG). Tags need a
// following space, '>' or '/', so that binary data rarely matches.
var markup = []string{
	"<!doctype", "<?xml", "<!--",
	"<html", "<head", "<body", "<script", "<svg", "<iframe", "<object", "<embed", "<img", "<style",
	"<meta", "<link", "<title", "<form", "<div", "<table", "<font", "<br", "<h1", "<math", "<xsl",
}

// hasMarkup reports whether the first kilobyte of b holds markup, in any
// letter case.
func hasMarkup(b []byte) bool {
	head := bytes.ToLower(b[:min(len(b), 1024)])
	for _, m := range markup {
		for rest := head; ; {
			i := bytes.Index(rest, []byte(m))
			if i < 0 {
				break
			}
			after := i + len(m)
			if m[1] == '!' || m[1] == '?' || after == len(rest) || isTagEnd(rest[after]) {
				return true
			}
			rest = rest[after:]
		}
	}
	return false
}

func isTagEnd(c byte) bool {
	return c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// DisplayName keeps a file name for display only: its base name, without
// control characters, bidirectional controls (which can make "exe.pdf"
// show as "fdp.exe") and quotes, at most 100 characters. It is never used
// as a path.
func DisplayName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		if hidden(r) || r == '"' || r == utf8.RuneError {
			continue
		}
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if out == "." || out == ".." || out == "/" || out == "" {
		out = "document"
	}
	if r := []rune(out); len(r) > 100 {
		out = string(r[len(r)-100:])
	}
	return out
}

// hidden reports whether r is a control character, a bidirectional control
// or another invisible character that changes how the rest of a name looks.
func hidden(r rune) bool {
	switch {
	case unicode.IsControl(r): // C0, DEL, C1, NUL
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	case r == 0x2028, r == 0x2029, r == 0xFEFF:
		return true
	}
	return false
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
