package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// A valid one-page PDF, and the same with a JavaScript open action.
const (
	cleanPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
	jsPDF    = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" +
		"3 0 obj<</S/J#61vaScript/JS(app.alert(1))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
)

// TestProofDocumentsDownload: both document addresses answer so that no
// browser renders the file (attachment, nosniff, sandbox), with the file
// name stripped of a right-to-left override and given the stored type's
// extension; the pages draw PDFs with PDF.js and show images as <img>.
func TestProofDocumentsDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	unitID := e.unitID(ownUnit)
	req, err := e.store.SubmitChangeRequest(context.Background(), models.Actor{Kind: "unit", Name: "u", UnitID: unitID}, unitID, models.ChangeRequestInput{
		ChangeName: true, NewName: "文件測試有限公司", EffectiveDate: modelstest.Clock, ContactName: "王大明", ContactPhone: "(02)2345-6789",
		Documents: []models.Upload{{FileName: "證明\u202efdp.exe", ContentType: "application/pdf", Data: []byte(cleanPDF)},
			{FileName: "map.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nxx")}}})
	if err != nil {
		t.Fatal(err)
	}
	pdfID, pngID := req.Documents[0].ID, req.Documents[1].ID
	staff, unit := e.staffClient("taipei.staff"), e.unitClient(ownUnit, models.RoleUnitOwner)
	for _, tc := range []struct {
		c    *client
		base string
	}{{staff, "/console/documents/"}, {unit, "/portal/documents/"}} {
		r := tc.c.get(fmt.Sprint(tc.base, pdfID))
		wantStatus(t, r, http.StatusOK)
		for h, want := range map[string]string{
			"Content-Type":            "application/pdf",
			"Content-Disposition":     "attachment; filename=\"document-" + fmt.Sprint(pdfID) + ".pdf\"; filename*=UTF-8''%E8%AD%89%E6%98%8Efdp.exe.pdf",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; sandbox",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("GET %s%d: %s = %q, want %q", tc.base, pdfID, h, got, want)
			}
		}
		if r.body != cleanPDF {
			t.Errorf("GET %s%d: body %q", tc.base, pdfID, r.body)
		}
		img := tc.c.get(fmt.Sprint(tc.base, pngID))
		if cd := img.Header.Get("Content-Disposition"); img.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("GET %s%d: %q %q", tc.base, pngID, img.Header.Get("Content-Type"), cd)
		}
	}
	for _, p := range []struct {
		c    *client
		path string
		base string
	}{{staff, fmt.Sprintf("/console/reviews/%d", req.ID), "/console/documents/"}, {unit, fmt.Sprintf("/portal/requests/%d", req.ID), "/portal/documents/"}} {
		page := p.c.get(p.path)
		wantStatus(t, page, http.StatusOK)
		wantContains(t, page, fmt.Sprintf(`data-pdf="%s%d"`, p.base, pdfID), "證明文件一：證明fdp.exe",
			fmt.Sprintf(`<img class="doc" src="%s%d" alt="證明文件二：map.png">`, p.base, pngID), "下載原檔", `src="/static/pdfview.js?v=`)
		wantNotContains(t, page, "<iframe", "\u202e", "另開視窗")
	}
	// PDF.js and the page script are served as JavaScript: module scripts
	// are refused under nosniff otherwise.
	for _, f := range []string{"pdfjs-6.5.438.min.mjs", "pdfjs-6.5.438.worker.min.mjs", "pdfview.js", "jbig2_nowasm_fallback.js", "openjpeg_nowasm_fallback.js"} {
		r := e.anonymous().get("/static/" + f)
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
			t.Errorf("/static/%s served as %q", f, ct)
		}
	}
}

// TestProofUploadRefused: a PDF with JavaScript is refused with a message
// naming the file, and the form keeps what was typed.
func TestProofUploadRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.unitClient(ownUnit, models.RoleUnitOwner)
	fields := map[string]string{"effective_date": "115/03/20", "change_name": "1", "new_name": "不會送出有限公司",
		"contact_name": "王大明", "contact_phone": "(02)2345-6789"}
	for _, tc := range []struct {
		name string
		file [2]string
		want string
	}{
		{"javascript", [2]string{"營業登記.pdf", jsPDF}, "證明文件一「營業登記.pdf」含有 JavaScript 程式"},
		{"png named .pdf", [2]string{"營業登記.pdf", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"}, "副檔名是 .pdf，但內容是 PNG 圖片"},
		{"markup", [2]string{"a.pdf", "%PDF-1.4\n%<html><script>alert(1)</script>\n" + cleanPDF[9:]}, "網頁標記"},
		{"right-to-left override in the name", [2]string{"a\u202egnp.pdf", jsPDF}, "「agnp.pdf」含有 JavaScript"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.multipartPost("/portal/requests", fields, map[string][2]string{"doc1": tc.file})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, tc.want, `value="不會送出有限公司"`, `value="王大明"`)
			wantNotContains(t, r, "\u202e")
		})
	}
}
