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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/testenv"
)

func TestRenderText(t *testing.T) {
	r := mustRenderer(t)
	pdf := mustRender(t, r, sampleDoc())
	if got := countPages(pdf); got != 1 {
		t.Errorf("pages = %d, want 1", got)
	}
	text := pdfText(t, pdf, 0, 0)
	for _, want := range []string{
		"全民健康保險保險對象投保(轉入)申報表",
		"(本表專供第一至第三類被保險人的投保單位填用)",
		"林峯堃", "A123456789", "068年01月01日", // the insured
		"45800",              // the amount, without separators
		"到職起薪", "108年12月11日", // the insured's reason and its date
		"陳美玲", "B223456789", "070年05月20日", "配偶", // dependent 1
		"林犇", "A134567890", "099年11月03日", "子女", // dependent 2
		"隨同被保險人加保", "108年12月12日", // the dependents' reason and date
		"生效日期", "填表日期",
		"峯堃國際股份有限公司", "012345678", "108年12月24日", // the unit and the form's date
		"投保單位印章", "負責人印章", "第 1 頁／共 1 頁",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q; got:\n%s", want, text)
		}
	}
	if strings.Contains(text, "45,800") {
		t.Error("amount printed with a thousands separator; the form prints 45800")
	}
	// One row per person: the insured's name is on their own row and on
	// each dependent's, and nowhere else.
	if n := strings.Count(text, "林峯堃"); n != 3 {
		t.Errorf("the insured's name printed %d times, want 3 (their row and their two dependents' rows)", n)
	}
}

// TestRenderKinds prints the withdrawal and the amount-change forms.
func TestRenderKinds(t *testing.T) {
	r := mustRenderer(t)
	t.Run("Withdraw", func(t *testing.T) {
		f := sampleForm()
		f.Amount = 0
		f.Insured.Reason, f.Insured.Date = "離職", date(2020, 3, 1)
		f.Dependents[0].Reason, f.Dependents[1].Reason = "隨同被保險人轉出", "死亡"
		doc := sampleDoc(f)
		doc.Kind, doc.FormNo = pdfform.Withdraw, ""
		text := pdfText(t, mustRender(t, r, doc), 0, 0)
		for _, want := range []string{"全民健康保險保險對象退保(轉出)申報表", "退保者", "退保(轉出)日期", "核定退保日期",
			"林峯堃", "A123456789", "離職", "109年03月01日", "陳美玲", "配偶", "隨同被保險人轉出", "林犇", "死亡"} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q; got:\n%s", want, text)
			}
		}
		for _, absent := range []string{"投保金額", "表號"} {
			if strings.Contains(text, absent) {
				t.Errorf("the withdrawal form prints %q", absent)
			}
		}
	})
	t.Run("Adjust", func(t *testing.T) {
		var forms []pdfform.Form
		for i, name := range []string{"林峯堃", "王大明", "李小華"} {
			forms = append(forms, pdfform.Form{
				Insured:   pdfform.Person{Name: name, IDNo: "A12345678" + strconv.Itoa(i), Birth: date(1980+i, 2, 3), Reason: "調整投保金額", Date: date(2026, 3, 1)},
				OldAmount: 30300, Amount: 36300 + 1000*i,
			})
		}
		doc := sampleDoc(forms...)
		doc.Kind, doc.FormNo = pdfform.Adjust, ""
		pdf := mustRender(t, r, doc)
		if got := countPages(pdf); got != 1 {
			t.Errorf("pages = %d, want 1", got)
		}
		text := pdfText(t, pdf, 0, 0)
		for _, want := range []string{"全民健康保險投保金額調整申報表", "序號", "調整前", "調整後", "調整生效日期",
			"林峯堃", "王大明", "李小華", "A123456782", "30300", "36300", "37300", "38300", "調整投保金額", "115年03月01日"} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q; got:\n%s", want, text)
			}
		}
		if strings.Contains(text, "相關眷屬") {
			t.Error("the amount-change form has a dependents' column")
		}
	})
}

// TestRenderPartTime prints 「部分工時」 after the amount of a part-time
// employee (issue 13.7), in the amount's box.
func TestRenderPartTime(t *testing.T) {
	r := mustRenderer(t)
	f := sampleForm()
	f.Amount, f.PartTime = 11100, true
	text := pdfText(t, mustRender(t, r, sampleDoc(f)), 0, 0)
	if !strings.Contains(strings.Join(strings.Fields(text), ""), "11100部分工時") {
		t.Errorf("text lacks 「11100 部分工時」; got:\n%s", text)
	}
	if text := pdfText(t, mustRender(t, r, sampleDoc(sampleForm())), 0, 0); strings.Contains(text, "部分工時") {
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
	text := pdfText(t, mustRender(t, r, sampleDoc(f)), 0, 0)
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
		edit  func(*pdfform.Document)
		form  int
		field string
		char  rune
	}{
		// U+E000 is private use: no font maps it.
		{"PrivateUse", func(d *pdfform.Document) { d.Forms[1].Dependents[1].Name = "林\ue000" }, 1, "Dependents[1].Name", 0xE000},
		// U+9FA6 (龦, CJK Unified, Unicode 4.1) is absent from TW-Sung and
		// from its Ext-B and Plus companions.
		{"AbsentFromTWSung", func(d *pdfform.Document) { d.Forms[1].Insured.Name = "王龦明" }, 1, "Insured.Name", 0x9FA6},
		{"UnitName", func(d *pdfform.Document) { d.UnitName = "某\ue000公司" }, -1, "UnitName", 0xE000},
		{"Relation", func(d *pdfform.Document) { d.Forms[1].Dependents[0].Relation = "配\ue000" }, 1, "Dependents[0].Relation", 0xE000},
		{"Reason", func(d *pdfform.Document) { d.Forms[1].Insured.Reason = "到職\ue000" }, 1, "Insured.Reason", 0xE000},
		{"DependentReason", func(d *pdfform.Document) { d.Forms[1].Dependents[1].Reason = "結\ue000" }, 1, "Dependents[1].Reason", 0xE000},
		{"ControlCharacter", func(d *pdfform.Document) { d.Forms[1].Insured.Name = "林\n峯" }, 1, "Insured.Name", '\n'},
		{"InvalidUTF8", func(d *pdfform.Document) { d.Forms[1].Insured.IDNo = "A12345\xff789" }, 1, "Insured.IDNo", '\uFFFD'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sampleDoc(sampleForm(), sampleForm())
			tt.edit(&doc)
			var buf bytes.Buffer
			err := r.Render(&buf, doc)
			if !errors.Is(err, pdfform.ErrMissingGlyph) {
				t.Fatalf("Render() error = %v, want ErrMissingGlyph", err)
			}
			var ge *pdfform.GlyphError
			if !errors.As(err, &ge) {
				t.Fatalf("Render() error %T is not a *GlyphError", err)
			}
			if ge.Form != tt.form || ge.Field != tt.field || ge.Rune != tt.char {
				t.Errorf("GlyphError = {Form %d, Field %q, Rune %U}, want {%d, %q, %U}", ge.Form, ge.Field, ge.Rune, tt.form, tt.field, tt.char)
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
		if err := r.Render(io.Discard, sampleDoc(f)); !errors.As(err, &ge) || ge.Rune != 0x20000 || ge.Field != "Dependents[1].Name" {
			t.Fatalf("Render() error = %v, want a GlyphError for U+20000 in Dependents[1].Name", err)
		}
	})
	t.Run("WithExtB", func(t *testing.T) {
		r := mustRenderer(t)
		pdf := mustRender(t, r, sampleDoc(f))
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
		pdf := mustRender(t, mustRenderer(t), sampleDoc())
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
	doc := pdfform.Document{Forms: []pdfform.Form{{Insured: pdfform.Person{Name: "ABC"}}}}
	var ge *pdfform.GlyphError
	if err := r.Render(io.Discard, doc); !errors.As(err, &ge) || ge.Field != "label" || ge.Form != -1 {
		t.Fatalf("Render() error = %v, want a GlyphError for a label", err)
	}
}

// people makes a form of an insured and n dependents named by prefix.
func people(prefix string, self bool, n int) pdfform.Form {
	f := pdfform.Form{Insured: pdfform.Person{Name: prefix + "甲", IDNo: "A10000000" + strconv.Itoa(len(prefix)%10), Reason: "到職起薪"},
		Amount: 30300, DependentsOnly: !self}
	for i := range n {
		f.Dependents = append(f.Dependents, pdfform.Person{Name: prefix + "眷" + strconv.Itoa(i+1), IDNo: "B2000000" + strconv.Itoa(10+i), Relation: "子女", Reason: "隨同被保險人加保"})
	}
	return f
}

// TestPaginate checks how rows are laid out: five a page, an insured's
// rows kept on one page when they fit, more continued (續).
func TestPaginate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		forms []pdfform.Form
		want  []string // per page: the rows as form or form.dependent; … marks 續
	}{
		{"OneInsured", []pdfform.Form{people("林", true, 0)}, []string{"0"}},
		{"FivePersonsOnePage", []pdfform.Form{people("林", true, 2), people("王", true, 1)}, []string{"0 0.0 0.1 1 1.0"}},
		{"KeptTogether", []pdfform.Form{people("林", true, 2), people("王", true, 2)}, []string{"0 0.0 0.1", "1 1.0 1.1"}},
		{"SmallFillsTheGap", []pdfform.Form{people("林", true, 2), people("王", true, 2), people("張", false, 1)}, []string{"0 0.0 0.1", "1 1.0 1.1 2.0"}},
		{"InsuredAndFourDependents", []pdfform.Form{people("林", true, 4)}, []string{"0 0.0 0.1 0.2 0.3"}},
		{"Continued", []pdfform.Form{people("王", true, 1), people("林", true, 6), people("張", true, 0)},
			[]string{"0 0.0", "1 1.0 1.1 1.2 1.3 …", "… 1.4 1.5 2"}},
		{"DependentsOnlyContinued", []pdfform.Form{people("林", false, 11)},
			[]string{"0.0 0.1 0.2 0.3 0.4 …", "… 0.5 0.6 0.7 0.8 0.9 …", "… 0.10"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := pdfform.Paginate(tt.forms); !slices.Equal(got, tt.want) {
				t.Errorf("pages = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRenderPages renders forms over several pages and reads each page.
func TestRenderPages(t *testing.T) {
	r := mustRenderer(t)
	doc := sampleDoc(people("王", true, 2), people("陳", true, 2), people("張", false, 1), people("林", true, 6), people("李", true, 0))
	pdf := mustRender(t, r, doc)
	const want = 4
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
	for _, p := range []struct {
		page        int
		has, hasNot []string
	}{
		{1, []string{"王甲", "王眷1", "王眷2", "第 1 頁／共 4 頁"}, []string{"陳甲", "續"}},
		{2, []string{"陳甲", "陳眷2", "張甲", "張眷1"}, []string{"王甲", "林甲", "續"}},
		{3, []string{"林甲", "林眷1", "林眷4", "（下頁續）"}, []string{"林眷5", "續上頁"}},
		{4, []string{"（續上頁）", "林甲", "林眷5", "林眷6", "李甲", "第 4 頁／共 4 頁"}, []string{"林眷4", "下頁續"}},
	} {
		text := pdfText(t, pdf, p.page, p.page)
		for _, want := range p.has {
			if !strings.Contains(text, want) {
				t.Errorf("page %d lacks %q; got:\n%s", p.page, want, text)
			}
		}
		for _, not := range p.hasNot {
			if strings.Contains(text, not) {
				t.Errorf("page %d has %q", p.page, not)
			}
		}
	}
}

// TestLongTextWraps checks that a unit name too long for one line is
// wrapped with no character lost, and that a value that fits no size
// fails rather than overflow.
func TestLongTextWraps(t *testing.T) {
	r := mustRenderer(t)
	doc := sampleDoc()
	doc.UnitName = "財團法人臺灣省私立峯堃社會福利慈善事業基金會附設臺北市私立犇犇老人長期照顧中心（養護型）"
	text := pdfText(t, mustRender(t, r, doc), 0, 0)
	joined := strings.NewReplacer("\n", "", " ", "").Replace(text)
	if !strings.Contains(joined, doc.UnitName) {
		t.Errorf("text lacks the unit name %q whole; got:\n%s", doc.UnitName, text)
	}
	if strings.Contains(text, doc.UnitName) {
		t.Error("unit name was not wrapped; make it longer to test wrapping")
	}

	doc.Forms[0].Insured.Name = strings.Repeat("林峯堃", 40)
	if err := r.Render(io.Discard, doc); !errors.Is(err, pdfform.ErrTooLong) || !strings.Contains(err.Error(), "forms[0].Insured.Name") {
		t.Errorf("Render(very long name) error = %v, want ErrTooLong naming forms[0].Insured.Name", err)
	}
}

func TestRenderInvalid(t *testing.T) {
	r := mustRenderer(t)
	for _, tt := range []struct {
		name string
		edit func(*pdfform.Document)
	}{
		{"NoForms", func(d *pdfform.Document) { d.Forms = nil }},
		{"UnknownKind", func(d *pdfform.Document) { d.Kind = 9 }},
		{"FormNoZ", func(d *pdfform.Document) { d.FormNo = "Z" }},
		{"FormNoOnWithdraw", func(d *pdfform.Document) { d.Kind = pdfform.Withdraw; d.Forms[0].Amount = 0 }},
		{"NegativeAmount", func(d *pdfform.Document) { d.Forms[0].Amount = -1 }},
		{"AmountOnWithdraw", func(d *pdfform.Document) { d.Kind, d.FormNo = pdfform.Withdraw, "" }},
		{"OldAmountOnEnrol", func(d *pdfform.Document) { d.Forms[0].OldAmount = 30300 }},
		{"DependentsOnAdjust", func(d *pdfform.Document) { d.Kind, d.FormNo = pdfform.Adjust, "" }},
		{"DependentsOnlyWithNone", func(d *pdfform.Document) { d.Forms[0].DependentsOnly, d.Forms[0].Dependents = true, nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := sampleDoc()
			tt.edit(&doc)
			if err := r.Render(io.Discard, doc); !errors.Is(err, pdfform.ErrInvalidForm) {
				t.Errorf("Render() error = %v, want ErrInvalidForm", err)
			}
		})
	}
	for _, no := range append([]string{"", "d", " E "}, pdfform.FormNumbers...) {
		doc := sampleDoc()
		doc.FormNo = no
		if err := r.Render(io.Discard, doc); err != nil {
			t.Errorf("Render(FormNo %q) error = %v", no, err)
		}
	}
}

// TestRenderWriteError checks that a failing writer's error is returned.
func TestRenderWriteError(t *testing.T) {
	r := mustRenderer(t)
	boom := errors.New("disk full")
	if err := r.Render(failWriter{boom}, sampleDoc()); !errors.Is(err, boom) {
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
	mustRender(t, r, sampleDoc())
	if got := r.FontPaths(); len(got) != 1 || got[0] != p {
		t.Errorf("FontPaths() = %q, want [%q]", got, p)
	}
}

// TestRenderConcurrent renders from several goroutines with one Renderer
// (run with -race) and checks every PDF is the same as a sequential one.
func TestRenderConcurrent(t *testing.T) {
	r := mustRenderer(t)
	const workers, each = 6, 3
	docs := make([]pdfform.Document, workers)
	want := make([][]byte, workers)
	for i := range docs {
		docs[i] = sampleDoc()
		f := &docs[i].Forms[0]
		f.Insured.Name = "林峯堃" + strconv.Itoa(i)
		if i%2 == 1 {
			f.Dependents[0].Name = "陳𠀀" // the Ext-B fallback too
		}
		if _, err := os.Stat(extBPath); err != nil && i%2 == 1 {
			f.Dependents[0].Name = "陳美玲"
		}
		want[i] = mustRender(t, r, docs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for i := range workers {
		wg.Go(func() {
			for range each {
				var buf bytes.Buffer
				if err := r.Render(&buf, docs[i]); err != nil {
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
	plain := mustRender(t, r, sampleDoc())
	got, err := pdfform.FixToUnicode(plain)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("FixToUnicode(BMP only) changed the PDF or failed: %v", err)
	}
	if _, err := pdfform.FixToUnicode([]byte("%PDF-1.7\n1 0 obj\n<<\n/Length 999\n>>\nstream\n/CIDInit /ProcSet findresource begin\n")); err == nil {
		t.Error("FixToUnicode(truncated) succeeded")
	}
}
