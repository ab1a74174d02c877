package pdfform_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/testenv"
)

func TestRenderText(t *testing.T) {
	r := mustRenderer(t)
	pdf := mustRender(t, r, sampleForm())
	if got := countPages(pdf); got != 1 {
		t.Errorf("pages = %d, want 1", got)
	}
	text := pdfText(t, pdf, 0, 0)
	for _, want := range []string{
		"全民健康保險保險對象投保(轉入)申報表",
		"(本表專供第一至第三類被保險人的投保單位填用)",
		"林峯堃", "A123456789", "068年01月01日", // the insured
		"45800",                                 // the amount, without separators
		"陳美玲", "B223456789", "070年05月20日", "配偶", // dependent 1
		"林犇", "A134567890", "099年11月03日", "子女", // dependent 2
		"到職起薪", "108年12月11日", // the reason and its date
		"峯堃國際股份有限公司", "012345678", "108年12月24日", // the unit
		"投保單位印章", "負責人印章", "第 1 頁／共 1 頁",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q; got:\n%s", want, text)
		}
	}
	if strings.Contains(text, "45,800") {
		t.Error("amount printed with a thousands separator; the form prints 45800")
	}
}

// TestRenderPartTime prints 「部分工時」 after the amount of a part-time
// employee (issue 13.7), in the amount's box.
func TestRenderPartTime(t *testing.T) {
	r := mustRenderer(t)
	f := sampleForm()
	f.Amount, f.PartTime = 11100, true
	text := pdfText(t, mustRender(t, r, f), 0, 0)
	if !strings.Contains(strings.Join(strings.Fields(text), ""), "11100部分工時") {
		t.Errorf("text lacks 「11100 部分工時」; got:\n%s", text)
	}
	if text := pdfText(t, mustRender(t, r, sampleForm()), 0, 0); strings.Contains(text, "部分工時") {
		t.Error("a full-time employee's form says 部分工時")
	}
}

// TestRenderBeforeROC prints a birth before 1912 as 「民前 5 年 3 月 1 日」
// (issue 13.8), never as a padded year that reads as 民國.
func TestRenderBeforeROC(t *testing.T) {
	r := mustRenderer(t)
	f := sampleForm()
	f.Insured.Birth = date(1907, 3, 1)
	f.Dependents[0].Birth = date(1911, 12, 31)
	text := pdfText(t, mustRender(t, r, f), 0, 0)
	for _, want := range []string{"民前 5 年 3 月 1 日", "民前 1 年 12 月 31 日"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) && !strings.Contains(text, strings.ReplaceAll(want, " ", "")) {
			t.Errorf("text lacks %q; got:\n%s", want, text)
		}
	}
}

func TestRenderMissingGlyph(t *testing.T) {
	r := mustRenderer(t)
	tests := []struct {
		name  string
		edit  func(*pdfform.Form)
		field string
		char  rune
	}{
		// U+E000 is private use: no font maps it.
		{"PrivateUse", func(f *pdfform.Form) { f.Dependents[1].Name = "林\ue000" }, "Dependents[1].Name", 0xE000},
		// U+9FA6 (龦, CJK Unified, Unicode 4.1) is absent from TW-Sung and
		// from its Ext-B and Plus companions.
		{"AbsentFromTWSung", func(f *pdfform.Form) { f.Insured.Name = "王龦明" }, "Insured.Name", 0x9FA6},
		{"UnitName", func(f *pdfform.Form) { f.UnitName = "某\ue000公司" }, "UnitName", 0xE000},
		{"Relation", func(f *pdfform.Form) { f.Dependents[0].Relation = "配\ue000" }, "Dependents[0].Relation", 0xE000},
		{"Reason", func(f *pdfform.Form) { f.Reason = "到職\ue000" }, "Reason", 0xE000},
		{"ControlCharacter", func(f *pdfform.Form) { f.Insured.Name = "林\n峯" }, "Insured.Name", '\n'},
		{"InvalidUTF8", func(f *pdfform.Form) { f.Insured.IDNo = "A12345\xff789" }, "Insured.IDNo", '\uFFFD'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := sampleForm()
			bad := sampleForm()
			tt.edit(&bad)
			var buf bytes.Buffer
			err := r.Render(&buf, good, bad)
			if !errors.Is(err, pdfform.ErrMissingGlyph) {
				t.Fatalf("Render() error = %v, want ErrMissingGlyph", err)
			}
			var ge *pdfform.GlyphError
			if !errors.As(err, &ge) {
				t.Fatalf("Render() error %T is not a *GlyphError", err)
			}
			if ge.Form != 1 || ge.Field != tt.field || ge.Rune != tt.char {
				t.Errorf("GlyphError = {Form %d, Field %q, Rune %U}, want {1, %q, %U}", ge.Form, ge.Field, ge.Rune, tt.field, tt.char)
			}
			code := fmt.Sprintf("U+%04X", tt.char)
			if msg := err.Error(); !strings.Contains(msg, code) || !strings.Contains(msg, tt.field) {
				t.Errorf("error %q names neither %s nor %s", msg, code, tt.field)
			}
			if buf.Len() != 0 {
				t.Errorf("Render() wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestUnprintable(t *testing.T) {
	r := mustRenderer(t)
	if got := r.Unprintable("林峯堃 犇 㐀 A-1"); got != nil {
		t.Errorf("Unprintable(printable) = %q, want nil", got)
	}
	got := r.Unprintable("王\ue000龦\ue000")
	if want := []rune{0xE000, 0x9FA6}; string(got) != string(want) {
		t.Errorf("Unprintable() = %U, want %U", got, want)
	}
}

// TestFallbackFont prints a CJK Ext-B character that TW-Sung lacks with
// TW-Sung-Ext-B, and checks that it can be extracted again: gopdf writes
// such characters into the ToUnicode map wrongly, and Render repairs it.
func TestFallbackFont(t *testing.T) {
	requireFont(t, sungPath)
	requireFont(t, extBPath)
	f := sampleForm()
	f.Dependents[1].Name = "林𠀀犇" // U+20000, CJK Ext-B

	t.Run("PrimaryOnly", func(t *testing.T) {
		r, err := pdfform.NewRenderer(sungPath)
		if err != nil {
			t.Fatal(err)
		}
		var ge *pdfform.GlyphError
		if err := r.Render(io.Discard, f); !errors.As(err, &ge) || ge.Rune != 0x20000 || ge.Field != "Dependents[1].Name" {
			t.Fatalf("Render() error = %v, want a GlyphError for U+20000 in Dependents[1].Name", err)
		}
	})
	t.Run("WithExtB", func(t *testing.T) {
		r := mustRenderer(t)
		pdf := mustRender(t, r, f)
		text := pdfText(t, pdf, 0, 0)
		for _, want := range []string{"林𠀀犇", "林峯堃"} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q; got:\n%s", want, text)
			}
		}
		if n := bytes.Count(pdf, []byte("/Subtype /Type0")); n != 2 {
			t.Errorf("PDF embeds %d fonts, want 2 (TW-Sung and TW-Sung-Ext-B)", n)
		}
	})
	t.Run("OnlyWhenUsed", func(t *testing.T) {
		pdf := mustRender(t, mustRenderer(t), sampleForm())
		if n := bytes.Count(pdf, []byte("/Subtype /Type0")); n != 1 {
			t.Errorf("PDF embeds %d fonts, want 1: fallbacks only when used", n)
		}
	})
}

// TestLabelsChecked renders with a font lacking the form's own Chinese
// labels: they go through the same check as the fields.
func TestLabelsChecked(t *testing.T) {
	r, err := pdfform.NewRenderer(requireFont(t, plusPath))
	if err != nil {
		t.Fatal(err)
	}
	f := pdfform.Form{Insured: pdfform.Person{Name: "ABC"}}
	var ge *pdfform.GlyphError
	if err := r.Render(io.Discard, f); !errors.As(err, &ge) || ge.Field != "label" {
		t.Fatalf("Render() error = %v, want a GlyphError for a label", err)
	}
}

func TestRenderPages(t *testing.T) {
	r := mustRenderer(t)
	none := sampleForm()
	none.Dependents = nil
	full := sampleForm()
	full.Dependents = nil
	more := sampleForm()
	more.Insured.Name = "張大千"
	more.Dependents = nil
	for i := range pdfform.DependentsPerPage {
		full.Dependents = append(full.Dependents, pdfform.Person{Name: "眷屬" + strconv.Itoa(i+1), IDNo: "B22345678" + strconv.Itoa(i)})
	}
	for i := range pdfform.DependentsPerPage + 2 {
		more.Dependents = append(more.Dependents, pdfform.Person{Name: "張小" + strconv.Itoa(i+1), IDNo: "C12345678" + strconv.Itoa(i), Relation: "子女"})
	}
	pdf := mustRender(t, r, none, full, more)
	const want = 1 + 1 + 2
	if got := countPages(pdf); got != want {
		t.Errorf("page objects = %d, want %d", got, want)
	}
	if bin, err := exec.LookPath("pdfinfo"); err == nil {
		cmd := exec.Command(bin, "-")
		cmd.Stdin = bytes.NewReader(pdf)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pdfinfo: %v", err)
		}
		m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out)
		if m == nil || string(m[1]) != strconv.Itoa(want) {
			t.Errorf("pdfinfo Pages = %s, want %d:\n%s", m, want, out)
		}
	} else if os.Getenv(testenv.PDFTools) != "" {
		t.Errorf("pdfinfo not installed (%s is set)", testenv.PDFTools)
	}

	// The last form continues on a second page that repeats the insured.
	last := pdfText(t, pdf, 4, 4)
	for _, want := range []string{"張大千", "張小5", "張小6", "第 2 頁／共 2 頁"} {
		if !strings.Contains(last, want) {
			t.Errorf("page 4 lacks %q; got:\n%s", want, last)
		}
	}
	if strings.Contains(last, "張小4") {
		t.Error("page 4 repeats dependent 4 of page 3")
	}
}

// TestLongTextWraps checks that a unit name too long for one line is
// wrapped with no character lost, and that a value that fits no size
// fails rather than overflow.
func TestLongTextWraps(t *testing.T) {
	r := mustRenderer(t)
	f := sampleForm()
	f.UnitName = "財團法人臺灣省私立峯堃社會福利慈善事業基金會附設臺北市私立犇犇老人長期照顧中心（養護型）"
	text := pdfText(t, mustRender(t, r, f), 0, 0)
	joined := strings.NewReplacer("\n", "", " ", "").Replace(text)
	if !strings.Contains(joined, f.UnitName) {
		t.Errorf("text lacks the unit name %q whole; got:\n%s", f.UnitName, text)
	}
	if strings.Contains(text, f.UnitName) {
		t.Error("unit name was not wrapped; make it longer to test wrapping")
	}

	f.Insured.Name = strings.Repeat("林峯堃", 40)
	if err := r.Render(io.Discard, f); !errors.Is(err, pdfform.ErrTooLong) || !strings.Contains(err.Error(), "Insured.Name") {
		t.Errorf("Render(very long name) error = %v, want ErrTooLong naming Insured.Name", err)
	}
}

func TestRenderInvalid(t *testing.T) {
	r := mustRenderer(t)
	if err := r.Render(io.Discard); !errors.Is(err, pdfform.ErrInvalidForm) {
		t.Errorf("Render(no forms) error = %v, want ErrInvalidForm", err)
	}
	f := sampleForm()
	f.FormNo = "Z"
	if err := r.Render(io.Discard, f); !errors.Is(err, pdfform.ErrInvalidForm) {
		t.Errorf("Render(FormNo Z) error = %v, want ErrInvalidForm", err)
	}
	f = sampleForm()
	f.Amount = -1
	if err := r.Render(io.Discard, f); !errors.Is(err, pdfform.ErrInvalidForm) {
		t.Errorf("Render(Amount -1) error = %v, want ErrInvalidForm", err)
	}
	for _, no := range append([]string{"", "d", " E "}, pdfform.FormNumbers...) {
		f := sampleForm()
		f.FormNo = no
		if err := r.Render(io.Discard, f); err != nil {
			t.Errorf("Render(FormNo %q) error = %v", no, err)
		}
	}
}

// TestRenderWriteError checks that a failing writer's error is returned.
func TestRenderWriteError(t *testing.T) {
	r := mustRenderer(t)
	boom := errors.New("disk full")
	if err := r.Render(failWriter{boom}, sampleForm()); !errors.Is(err, boom) {
		t.Errorf("Render() error = %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestNewRenderer(t *testing.T) {
	t.Run("Missing", func(t *testing.T) {
		if _, err := pdfform.NewRenderer(filepath.Join(t.TempDir(), "none.ttf")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("NewRenderer(missing file) error = %v, want ErrNotExist", err)
		}
	})
	t.Run("NotAFont", func(t *testing.T) {
		for name, data := range map[string][]byte{
			"text":      []byte("not a font"),
			"truncated": []byte("\x00\x01\x00\x00\x00\x10"),
		} {
			p := filepath.Join(t.TempDir(), name+".ttf")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := pdfform.NewRenderer(p); err == nil {
				t.Errorf("NewRenderer(%s) succeeded", name)
			}
		}
	})
	t.Run("NoDefault", func(t *testing.T) {
		// As on a machine without the Debian fonts, whether or not this one has them.
		saved := pdfform.DebianFontPaths
		pdfform.DebianFontPaths = []string{filepath.Join(t.TempDir(), "TW-Sung-98_1.ttf")}
		t.Cleanup(func() { pdfform.DebianFontPaths = saved })
		t.Setenv(pdfform.FontEnv, "")
		if _, err := pdfform.NewRenderer(); !errors.Is(err, pdfform.ErrNoFont) {
			t.Errorf("NewRenderer() error = %v, want ErrNoFont", err)
		}
	})
	t.Run("Env", func(t *testing.T) {
		t.Setenv(pdfform.FontEnv, "/a.ttf"+string(os.PathListSeparator)+"/b.ttf")
		got := pdfform.DefaultFontPaths()
		if len(got) < 2 || got[len(got)-2] != "/a.ttf" || got[len(got)-1] != "/b.ttf" {
			t.Errorf("DefaultFontPaths() = %q, want it to end with the %s files", got, pdfform.FontEnv)
		}
	})
}

// TestFontReadOnce renders after the font file is gone: Render never reads
// it again.
func TestFontReadOnce(t *testing.T) {
	data, err := os.ReadFile(requireFont(t, sungPath))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sung.ttf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := pdfform.NewRenderer(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	mustRender(t, r, sampleForm())
	if got := r.FontPaths(); len(got) != 1 || got[0] != p {
		t.Errorf("FontPaths() = %q, want [%q]", got, p)
	}
}

// TestRenderConcurrent renders from several goroutines with one Renderer
// (run with -race) and checks every PDF is the same as a sequential one.
func TestRenderConcurrent(t *testing.T) {
	r := mustRenderer(t)
	const workers, each = 6, 3
	forms := make([]pdfform.Form, workers)
	want := make([][]byte, workers)
	for i := range forms {
		forms[i] = sampleForm()
		forms[i].Insured.Name = "林峯堃" + strconv.Itoa(i)
		if i%2 == 1 {
			forms[i].Dependents[0].Name = "陳𠀀" // the Ext-B fallback too
		}
		if _, err := os.Stat(extBPath); err != nil && i%2 == 1 {
			forms[i].Dependents[0].Name = "陳美玲"
		}
		want[i] = mustRender(t, r, forms[i])
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for i := range workers {
		wg.Go(func() {
			for range each {
				var buf bytes.Buffer
				if err := r.Render(&buf, forms[i]); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(buf.Bytes(), want[i]) {
					errs <- fmt.Errorf("worker %d: PDF differs from the sequential render", i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestFixToUnicode(t *testing.T) {
	r := mustRenderer(t)
	plain := mustRender(t, r, sampleForm())
	got, err := pdfform.FixToUnicode(plain)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("FixToUnicode(BMP only) changed the PDF or failed: %v", err)
	}
	if _, err := pdfform.FixToUnicode([]byte("%PDF-1.7\n1 0 obj\n<<\n/Length 999\n>>\nstream\n/CIDInit /ProcSet findresource begin\n")); err == nil {
		t.Error("FixToUnicode(truncated) succeeded")
	}
}
