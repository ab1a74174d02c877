package pdfform_test

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/multicert/multicert/internal/pdfform"
)

var update = flag.Bool("update", false, "rewrite testdata/*.png and the pages in docs/ from the current layout")

const (
	// A pixel differs when its grey level moves by more than diffLevel
	// (of 255); the layout has changed when more than maxDiffShare of the
	// pixels differ. At 50 dpi one table line shifted by a pixel is
	// about 0.25% of the page, so 0.5% tolerates rasteriser differences
	// between poppler versions but not a moved column or row.
	diffLevel    = 64
	maxDiffShare = 0.005
	// docsDPI is the resolution of the pages shown in docs/.
	docsDPI = 80
)

// layoutPages are the pages compared with testdata/<name>.png at 50 dpi,
// and shown in docs/form-<name>.png.
var layoutPages = []struct {
	name string
	doc  func() pdfform.Document
	page int
}{
	{"enrol", enrolSample, 1},
	{"enrol-continued", enrolSample, 3},
	{"withdraw", withdrawSample, 1},
	{"adjust", adjustSample, 1},
}

// enrolSample fills three pages: three insured persons on page 1 (one
// with two dependents, one alone, one named for a dependent only), then an
// insured with six dependents, continued (續) on page 3.
func enrolSample() pdfform.Document {
	doc := sampleDoc(sampleForm(),
		pdfform.Form{Insured: pdfform.Person{Name: "王大明", IDNo: "F125678904", Birth: date(1990, 7, 15), Reason: "轉入（由其他投保單位轉入）", Date: date(2026, 3, 2)}, Amount: 36300},
		pdfform.Form{Insured: pdfform.Person{Name: "張志強", IDNo: "B120000005"}, DependentsOnly: true,
			Dependents: []pdfform.Person{{Name: "WILLIAMS JOHNATHAN ALEXANDER", IDNo: "AC01234567", Birth: date(1988, 9, 9), Relation: "配偶", Reason: "結婚", Date: date(2026, 2, 26)}}},
	)
	doc.UnitName = "財團法人臺灣省私立峯堃社會福利慈善事業基金會附設臺北市私立犇犇老人長期照顧中心"
	doc.FilledOn = date(2026, 3, 2)
	big := pdfform.Form{Insured: pdfform.Person{Name: "李國華", IDNo: "A129876543", Birth: date(1970, 4, 4), Reason: "到職起薪", Date: date(2026, 3, 2)}, Amount: 45800}
	for i, n := range []string{"李美惠", "李一", "李二", "李三", "李四", "李五"} {
		rel, birth := "子女", date(2000+i, 1+i, 10)
		if i == 0 {
			rel, birth = "配偶", date(1972, 6, 6)
		}
		big.Dependents = append(big.Dependents, pdfform.Person{Name: n, IDNo: "A22987654" + strconv.Itoa(i), Birth: birth, Relation: rel, Reason: "隨同被保險人加保", Date: date(2026, 3, 2)})
	}
	doc.Forms = append(doc.Forms, big,
		pdfform.Form{Insured: pdfform.Person{Name: "吳淑芬", IDNo: "E223344556", Birth: date(1907, 3, 1), Reason: "復職（留職停薪期滿回到工作）", Date: date(2026, 3, 2)}, Amount: 28590})
	for i := range doc.Forms {
		doc.Forms[i].Insured.Date = date(2026, 3, 2)
		for j := range doc.Forms[i].Dependents {
			doc.Forms[i].Dependents[j].Date = date(2026, 3, 2)
		}
	}
	return doc
}

// withdrawSample is an insured leaving with their dependents, one moving
// to another unit, and a dependent whose insured stays.
func withdrawSample() pdfform.Document {
	f := sampleForm()
	f.Amount = 0
	f.Insured.Reason, f.Insured.Date = "離職", date(2026, 3, 1)
	for i := range f.Dependents {
		f.Dependents[i].Reason, f.Dependents[i].Date = "隨同被保險人轉出", date(2026, 3, 1)
	}
	doc := sampleDoc(f,
		pdfform.Form{Insured: pdfform.Person{Name: "王大明", IDNo: "F125678904", Birth: date(1990, 7, 15), Reason: "轉換投保單位", Date: date(2026, 3, 2)}},
		pdfform.Form{Insured: pdfform.Person{Name: "張志強", IDNo: "B120000005"}, DependentsOnly: true,
			Dependents: []pdfform.Person{{Name: "張阿嬤", IDNo: "B200000003", Birth: date(1935, 2, 2), Relation: "父母", Reason: "死亡", Date: date(2026, 2, 20)}}},
	)
	doc.Kind, doc.FormNo, doc.FilledOn = pdfform.Withdraw, "", date(2026, 3, 2)
	return doc
}

// adjustSample is three insured amounts changed.
func adjustSample() pdfform.Document {
	var forms []pdfform.Form
	for i, p := range []pdfform.Person{
		{Name: "林峯堃", IDNo: "A123456789", Birth: date(1979, 1, 1)},
		{Name: "王大明", IDNo: "F125678904", Birth: date(1990, 7, 15)},
		{Name: "李國華", IDNo: "A129876543", Birth: date(1970, 4, 4)},
	} {
		p.Reason, p.Date = "調整投保金額", date(2026, 3, 1)
		forms = append(forms, pdfform.Form{Insured: p, OldAmount: []int{45800, 36300, 45800}[i], Amount: []int{48200, 38200, 50600}[i]})
	}
	doc := sampleDoc(forms...)
	doc.Kind, doc.FormNo, doc.FilledOn = pdfform.Adjust, "", date(2026, 3, 2)
	return doc
}

// rasterise draws one page of pdf as PNG at dpi.
func rasterise(t *testing.T, bin string, pdf []byte, page, dpi int) []byte {
	t.Helper()
	// pdftoppm writes PNG only to files.
	dir := t.TempDir()
	in := filepath.Join(dir, "form.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	p := strconv.Itoa(page)
	out, err := exec.Command(bin, "-r", strconv.Itoa(dpi), "-png", "-f", p, "-l", p, "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLayout rasterises a page of each form at 50 dpi and compares it with
// testdata/<name>.png. After an intended layout change, look at the new
// pages and run
//
//	go test ./internal/pdfform/ -run TestLayout -update
//
// which rewrites the references and the pages shown in docs/
// (docs/form-<name>.png, at 80 dpi).
func TestLayout(t *testing.T) {
	bin := requireTool(t, "pdftoppm")
	r := mustRenderer(t)
	for _, lp := range layoutPages {
		t.Run(lp.name, func(t *testing.T) {
			pdf := mustRender(t, r, lp.doc())
			got := rasterise(t, bin, pdf, lp.page, 50)
			reference := filepath.Join("testdata", lp.name+".png")
			if *update {
				docs := filepath.Join("..", "..", "docs", "form-"+lp.name+".png")
				for path, png := range map[string][]byte{reference: got, docs: rasterise(t, bin, pdf, lp.page, docsDPI)} {
					if err := os.WriteFile(path, png, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("wrote %s", path)
				}
				return
			}
			want, err := os.ReadFile(reference)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			share, err := pngDiff(got, want)
			if err != nil || share > maxDiffShare {
				kept := filepath.Join(os.TempDir(), "pdfform-"+lp.name+".got.png")
				_ = os.WriteFile(kept, got, 0o644)
				t.Fatalf("page %d differs from %s in %.2f%% of pixels (limit %.2f%%), err %v; got written to %s; rerun with -update if the change is intended",
					lp.page, reference, share*100, maxDiffShare*100, err, kept)
			}
			t.Logf("page %d differs from %s in %.3f%% of pixels", lp.page, reference, share*100)
		})
	}
}

// pngDiff returns the share of pixels whose grey levels differ by more
// than diffLevel; images of different sizes differ entirely.
func pngDiff(a, b []byte) (float64, error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 1, err
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 1, err
	}
	if ia.Bounds().Size() != ib.Bounds().Size() {
		return 1, nil
	}
	size := ia.Bounds().Size()
	diff := 0
	for y := range size.Y {
		for x := range size.X {
			ga := grey(ia, ia.Bounds().Min.Add(image.Pt(x, y)))
			gb := grey(ib, ib.Bounds().Min.Add(image.Pt(x, y)))
			if d := int(ga) - int(gb); d > diffLevel || d < -diffLevel {
				diff++
			}
		}
	}
	return float64(diff) / float64(size.X*size.Y), nil
}

func grey(img image.Image, p image.Point) uint8 {
	return color.GrayModel.Convert(img.At(p.X, p.Y)).(color.Gray).Y
}

// TestPNGDiff checks the comparison itself: a moved line must count.
func TestPNGDiff(t *testing.T) {
	img := func(lineX int) []byte {
		m := image.NewGray(image.Rect(0, 0, 100, 100))
		for i := range m.Pix {
			m.Pix[i] = 255
		}
		for y := range 100 {
			m.SetGray(lineX, y, color.Gray{})
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if share, err := pngDiff(img(10), img(10)); err != nil || share != 0 {
		t.Errorf("pngDiff(same) = %v, %v; want 0", share, err)
	}
	if share, _ := pngDiff(img(10), img(11)); share != 0.02 {
		t.Errorf("pngDiff(line moved) = %v, want 0.02", share)
	}
}
