package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/testenv"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func requirePDFTools(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("pdftotext")
	if len(pdfform.DefaultFontPaths()) == 0 || err != nil {
		testenv.Missing(t, testenv.PDFTools, "the PDF font or pdftotext is missing: run scripts/fonts/install.sh")
	}
}

func TestPrintFilings(t *testing.T) {
	t.Parallel()
	requirePDFTools(t)
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	if err := e.store.EnsureReferenceData(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	ins := insuredForm(5555555)
	ins.Set("name", "林峯堃")
	wantStatus(t, c.post("/portal/filings", ins), http.StatusSeeOther)
	dep := url.Values{"kind": {"add"}, "person": {"dependent"}, "insured_id": {twid.MakeNationalID('A', 1, 5555555)},
		"dependent_id": {twid.MakeNationalID('B', 2, 6666666)}, "name": {"林小犇"}, "sex": {"F"}, "birth": {"104/01/01"},
		"relation": {"3"}, "reason": {"D1"}, "effective_date": {"115/03/02"}}
	wantStatus(t, c.post("/portal/filings", dep), http.StatusSeeOther)

	list := c.get("/portal/print?search=1")
	wantStatus(t, list, http.StatusOK)
	wantContains(t, list, "申報證明文件查詢", "第一~三類保險對象投保申請表", "林峯堃", "林小犇", "到職起薪", "30300")
	var ids []string
	list.doc(t).Find(`input[name="filing"]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		ids = append(ids, v)
	})
	if len(ids) != 2 {
		t.Fatalf("%d filings to print, want 2", len(ids))
	}
	r := c.post("/portal/print", url.Values{"filing": ids})
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(r.body, "%PDF-") {
		t.Fatalf("not a PDF download: %v", r.Header)
	}
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, []byte(r.body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"林峯堃", "林小犇", twid.MakeNationalID('A', 1, 5555555), "074年06月01日", "30300", "全民健康保險保險對象投保"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	if n, _ := e.db.NewSelect().Table("audit_events").Where("action = 'filing.print'").Count(ctx); n != 1 {
		t.Errorf("%d print events, want 1", n)
	}
	// Another unit's filing id: 404, as if it did not exist.
	other := e.unitClient(otherUnit, models.RoleClerkFiler)
	if r := other.post("/portal/print", url.Values{"filing": {ids[0]}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("another unit printing: %d, want 404", r.StatusCode)
	}
	if r := c.post("/portal/print", url.Values{"filing": {ids[0], fmt.Sprint(999999)}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown id: %d, want 404", r.StatusCode)
	}
}
