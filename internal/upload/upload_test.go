package upload_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/upload"
)

// buildPDF writes a PDF of the given objects (numbered from 1, the first
// one the catalog) with a correct cross-reference table.
func buildPDF(objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// page is a one-page document whose catalog has extra entries.
func page(catalogExtra string, more ...string) []byte {
	objs := append([]string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogExtra + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		stream("", "0 0 0 rg 100 600 300 100 re f"),
	}, more...)
	return buildPDF(objs...)
}

func stream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflate(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s)) //nolint:errcheck
	w.Close()
	return b.String()
}

// objectStream stores objects 5, 6, … compressed in one object stream, the
// way PDF 1.5 writers do.
func objectStream(objects ...string) string {
	var header, body strings.Builder
	for i, o := range objects {
		fmt.Fprintf(&header, "%d %d ", 5+i, body.Len())
		body.WriteString(o + "\n")
	}
	data := deflate(header.String() + body.String())
	return stream(fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", len(objects), header.Len()), data)
}

var pngHeader = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'}

func TestCheck(t *testing.T) {
	clean := page("")
	for _, tc := range []struct {
		name     string
		file     string
		b        []byte
		wantType string
		wantCode apperr.Code
		wantMsg  string
	}{
		{"clean pdf", "營業登記.pdf", clean, upload.PDF, "", ""},
		{"clean pdf with a destination open action", "a.PDF", page("/OpenAction [3 0 R /Fit]"), upload.PDF, "", ""},
		{"clean pdf, objects in a compressed object stream", "a.pdf",
			page("/Metadata 5 0 R", objectStream("<< /Type /Metadata >>")), upload.PDF, "", ""},
		{"clean pdf, open action referring to a destination (pdfTeX)", "a.pdf",
			page("/OpenAction 5 0 R", "[3 0 R /Fit]"), upload.PDF, "", ""},
		{"clean pdf, open action referring to a destination in an object stream", "a.pdf",
			page("/OpenAction 6 0 R", objectStream("<< /Type /Metadata >>", "[3 0 R /Fit]")), upload.PDF, "", ""},
		{"clean pdf, open action going to a page (pdfTeX)", "a.pdf",
			page("/OpenAction 5 0 R", "<< /S /GoTo /D [3 0 R /Fit] >>"), upload.PDF, "", ""},
		{"jpeg", "photo.jpg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}, upload.JPEG, "", ""},
		{"png", "map.png", pngHeader, upload.PNG, "", ""},
		{"no extension", "scan", pngHeader, upload.PNG, "", ""},
		{"empty", "a.pdf", nil, "", apperr.Invalid, "「a.pdf」是空的檔案"},
		{"html renamed to .pdf", "a.pdf", []byte("<html><script>alert(1)</script>"), "", apperr.Invalid, "不是 PDF、JPEG 或 PNG"},
		{"zip", "a.pdf", []byte("PK\x03\x04"), "", apperr.Invalid, "不是 PDF"},
		{"pdf header not at the start", "a.pdf", []byte(" %PDF-1.4"), "", apperr.Invalid, "不是 PDF"},
		{"too large", "big.pdf", append([]byte("%PDF-"), bytes.Repeat([]byte("x"), 2<<20)...), "", apperr.TooLarge, "「big.pdf」超過 1 MB"},

		{"png named .pdf", "proof.pdf", pngHeader, "", apperr.Invalid, "副檔名是 .pdf，但內容是 PNG 圖片"},
		{"pdf named .html", "proof.html", clean, "", apperr.Invalid, "副檔名是 .html"},

		{"javascript in a plain dictionary", "js.pdf",
			page("/OpenAction [3 0 R /Fit] /Names << /JavaScript 5 0 R >>", "<< /Names [(x) 6 0 R] >>", "<< /S /JavaScript /JS (app.alert(1)) >>"),
			"", apperr.Invalid, "「js.pdf」含有 JavaScript"},
		{"javascript with hex-escaped names", "hex.pdf",
			page("/OpenAction [3 0 R /Fit]", "<< /Type /Annot /Subtype /Link /A << /S /J#61vaScript /J#53 (app.alert(1)) >> >>"),
			"", apperr.Invalid, "含有 JavaScript 程式（/J"},
		{"javascript inside a compressed object stream", "objstm.pdf",
			page("/Names 5 0 R", objectStream("<< /JavaScript 6 0 R >>", "<< /S /JavaScript /JS (app.alert(1)) >>")),
			"", apperr.Invalid, "含有 JavaScript"},
		{"javascript in an object stream marked only by /First", "objstm.pdf",
			page("", strings.Replace(objectStream("<< /S /J#61vaScript /JS (x) >>"), "/Type /ObjStm ", "", 1)),
			"", apperr.Invalid, "含有 JavaScript"},
		{"javascript in an object hidden in a string", "hidden.pdf",
			page("/Title (5 0 obj << /S /JavaScript /JS (x) >> endobj)"),
			"", apperr.Invalid, "含有 JavaScript"},
		{"launch action", "launch.pdf",
			page("/OpenAction 5 0 R", "<< /S /Launch /F (cmd.exe) >>"), "", apperr.Invalid, "自動執行"},
		{"open action dictionary", "open.pdf",
			page("/OpenAction << /S /URI /URI (https://example.org/) >>"), "", apperr.Invalid, "（/OpenAction）"},
		{"open action referring to an action in an object stream", "open.pdf",
			page("/OpenAction 6 0 R", objectStream("[3 0 R /Fit]", "<< /S /Named /N /Print >>")), "", apperr.Invalid, "（/OpenAction）"},
		{"open action referring to nothing", "open.pdf", page("/OpenAction 9 0 R"), "", apperr.Invalid, "（/OpenAction）"},
		{"open action going to a page, then further", "open.pdf",
			page("/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 5 0 R >>", "<< /S /Named /N /Print >>"), "", apperr.Invalid, "（/OpenAction）"},
		{"additional actions", "aa.pdf", page("/AA << >>"), "", apperr.Invalid, "（/AA）"},
		{"submit form", "submit.pdf", page("", "<< /S /SubmitForm /F (https://example.org/) >>"), "", apperr.Invalid, "SubmitForm"},
		{"remote go-to", "gotor.pdf", page("", "<< /S /GoToR /F (other.pdf) >>"), "", apperr.Invalid, "GoToR"},
		{"embedded file", "embedded.pdf",
			page("/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>", "<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
				stream("/Type /EmbeddedFile", "MZ")),
			"", apperr.Invalid, "夾帶其他檔案"},
		{"file attachment annotation", "attach.pdf", page("", "<< /Type /Annot /Subtype /FileAttachment >>"), "", apperr.Invalid, "夾帶其他檔案"},
		{"xfa form", "xfa.pdf", page("/AcroForm << /Fields [] /XFA 5 0 R >>", stream("", "<xdp:xdp/>")), "", apperr.Invalid, "XFA"},
		{"encrypted", "secret.pdf", bytes.Replace(clean, []byte("/Root 1 0 R"), []byte("/Root 1 0 R /Encrypt << /Filter /Standard >>"), 1),
			"", apperr.Invalid, "加密"},
		{"object stream with an unsupported filter", "lzw.pdf",
			page("", strings.Replace(objectStream("<< >>"), "/FlateDecode", "/LZWDecode", 1)), "", apperr.Invalid, "無法檢查"},
		{"object stream whose /First is a reference", "first.pdf",
			page("", strings.Replace(objectStream("<< >>"), "/First ", "/First 9 0 R /Unused ", 1)), "", apperr.Invalid, "無法檢查"},
		{"javascript at an object stream offset inside what reads as a string", "offset.pdf",
			page("", stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", deflate("5 2 (x<< /S /JavaScript /JS (1) >>)"))),
			"", apperr.Invalid, "含有 JavaScript"},
		{"html polyglot with a %PDF header", "poly.pdf",
			append([]byte("%PDF-1.4\n%<hTmL><body><script>alert(1)</script>\n"), clean[9:]...), "", apperr.Invalid, "網頁標記"},
		{"svg polyglot png", "a.png", append(append([]byte{}, pngHeader...), "<svg onload=alert(1)>"...), "", apperr.Invalid, "網頁標記"},
		{"html body after a %PDF header", "body.pdf",
			[]byte("%PDF-1.4\n%" + strings.Repeat("x", 2000) + "\n<html><body><script>alert(1)</script></body></html>"),
			"", apperr.Invalid, "無法解讀為 PDF"},
		{"no catalog", "broken.pdf", []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"), "", apperr.Invalid, "無法解讀為 PDF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := upload.Check("證明文件一", tc.file, tc.b, 1<<20)
			if got != tc.wantType || apperr.CodeOf(err) != tc.wantCode && !(tc.wantCode == "" && err == nil) {
				t.Fatalf("Check = %q, %v; want %q, code %q", got, err, tc.wantType, tc.wantCode)
			}
			if e, ok := apperr.As(err); ok && !strings.Contains(e.Message, tc.wantMsg) {
				t.Errorf("message %q, want it to contain %q", e.Message, tc.wantMsg)
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
		// U+202E turns "證明gnp.exe" around so that it shows as "證明exe.png".
		"證明\u202egnp.exe": "證明gnp.exe",
		"a\u2066b\u2069\u200e\u200f\u061c\u202a\u202b\u202c\u202d.pdf": "ab.pdf",
		"a\u0085\u009b\x7f\u2028.pdf":                                  "a.pdf",
	} {
		if got := upload.DisplayName(in); got != want {
			t.Errorf("DisplayName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte("%PDF-1.4"), "x.pdf")
	f.Add(page("/Names 5 0 R", objectStream("<< /JavaScript 6 0 R >>")), "x.pdf")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		typ, err := upload.Check("x", name, b, 1<<20)
		if (typ == "") == (err == nil) {
			t.Fatalf("Check = %q, %v: want exactly one of a type and an error", typ, err)
		}
		if n := upload.DisplayName(name); n == "" {
			t.Fatal("empty display name")
		}
	})
}
