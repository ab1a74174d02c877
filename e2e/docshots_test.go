package e2e

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// docShots names the environment variable that makes TestDocScreenshots
// write its pictures into docs/, where the README shows them:
//
//	MULTICERT_DOC_SHOTS=1 go test ./e2e -run TestDocScreenshots -count=1
//
// Without it the test still opens each page and takes each picture, so
// that a page it shows cannot break unseen.
const docShots = "MULTICERT_DOC_SHOTS"

// docShot takes a picture of the window (1280×800) and, with docShots set,
// writes it to docs/name, as small as it goes: re-encoded at the best
// compression, then through pngquant and optipng when they are installed.
func docShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 800 {
		t.Errorf("%s is %dx%d, want 1280x800", name, b.Dx(), b.Dy())
	}
	if os.Getenv(docShots) == "" {
		return
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", name)
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pngquant"); err == nil {
		if b, err := exec.Command("pngquant", "--quality=70-95", "--speed=1", "--strip", "--force", "--output", path, path).CombinedOutput(); err != nil {
			t.Logf("pngquant %s: %v %s", name, err, b)
		}
	}
	if _, err := exec.LookPath("optipng"); err == nil {
		if b, err := exec.Command("optipng", "-quiet", "-o2", "-strip", "all", path).CombinedOutput(); err != nil {
			t.Logf("optipng %s: %v %s", name, err, b)
		}
	}
	if fi, err := os.Stat(path); err == nil {
		t.Logf("wrote docs/%s (%d bytes)", name, fi.Size())
	}
}

// TestDocScreenshots takes the pictures of docs/ (issue 14): the front
// door with the 「詳見公告欄!!!」 banner, the 公告欄 as a clerk sees it, and
// the unit switcher (切換單位) of a clerk whom two units assigned.
func TestDocScreenshots(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	first, second := assignDemoClerkAlso(t, srv, 1)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main", "詳見公告欄!!!"); err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	docShot(t, ctx, "front-door.png")

	clerkLoginToPicker(t, ctx, srv.URL)
	if err := chromedp.Do(ctx, chromedp.Click(`//tr[td[normalize-space()="`+first.Code+`"]]//button`)); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(ctx, "/portal"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/announcements")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main h1", "公告欄"); err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	docShot(t, ctx, "announcements.png")

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/units")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main", second.Code); err != nil {
		t.Fatal(err)
	}
	if err := waitHTMX(ctx); err != nil {
		t.Fatal(err)
	}
	docShot(t, ctx, "unit-switcher.png")
}
