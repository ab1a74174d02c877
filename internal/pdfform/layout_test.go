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
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/form-page1.png from the current layout")

const (
	referencePNG = "testdata/form-page1.png"
	// A pixel differs when its grey level moves by more than diffLevel
	// (of 255); the layout has changed when more than maxDiffShare of the
	// pixels differ. At 50 dpi one table line shifted by a pixel is
	// about 0.25% of the page, so 0.5% tolerates rasteriser differences
	// between poppler versions but not a moved column or row.
	diffLevel    = 64
	maxDiffShare = 0.005
)

// TestLayout rasterises page 1 of a fixed form at 50 dpi and compares it
// with testdata/form-page1.png. After an intended layout change, look at
// the new page and run: go test ./internal/pdfform/ -run TestLayout -update
func TestLayout(t *testing.T) {
	bin := requireTool(t, "pdftoppm")
	r := mustRenderer(t)
	f := sampleForm()
	f.UnitName = "財團法人臺灣省私立峯堃社會福利慈善事業基金會附設臺北市私立犇犇老人長期照顧中心"
	f.Dependents = append(f.Dependents, sampleForm().Dependents[0])
	f.Dependents[2].Name = "WILLIAMS JOHNATHAN ALEXANDER"
	f.Dependents[2].IDNo = "AC01234567"
	f.Dependents[2].Relation = "父母"
	pdf := mustRender(t, r, f)

	// pdftoppm writes PNG only to files.
	dir := t.TempDir()
	in := filepath.Join(dir, "form.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(referencePNG, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", referencePNG)
		return
	}
	want, err := os.ReadFile(referencePNG)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	share, err := pngDiff(got, want)
	if err != nil || share > maxDiffShare {
		kept := filepath.Join(os.TempDir(), "pdfform-form-page1.got.png")
		_ = os.WriteFile(kept, got, 0o644)
		t.Fatalf("page 1 differs from %s in %.2f%% of pixels (limit %.2f%%), err %v; got written to %s; rerun with -update if the change is intended",
			referencePNG, share*100, maxDiffShare*100, err, kept)
	}
	t.Logf("page 1 differs from %s in %.3f%% of pixels", referencePNG, share*100)
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
