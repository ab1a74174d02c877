package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/pdfform"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/testenv"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func requirePDFTools(t *testing.T) {
	t.Helper()
	_, err1 := exec.LookPath("pdftotext")
	_, err2 := exec.LookPath("pdfinfo")
	if len(pdfform.DefaultFontPaths()) == 0 || err1 != nil || err2 != nil {
		testenv.Missing(t, testenv.PDFTools, "the PDF font, pdftotext or pdfinfo is missing: run scripts/fonts/install.sh")
	}
}

// pdf is a downloaded PDF: its page count and each page's text.
type pdf struct {
	pages int
	text  []string // per page
}

// readPDF checks that r is a PDF download and reads it with pdfinfo and
// pdftotext.
func readPDF(t *testing.T, r *response) pdf {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(r.body, "%PDF-") {
		t.Fatalf("not a PDF download: %v\n%.300s", r.Header, r.body)
	}
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, []byte(r.body), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo:\n%s", info)
	}
	var p pdf
	p.pages, _ = strconv.Atoi(string(m[1]))
	for i := 1; i <= p.pages; i++ {
		out, err := exec.Command("pdftotext", "-f", strconv.Itoa(i), "-l", strconv.Itoa(i), "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		p.text = append(p.text, string(out))
	}
	return p
}

// wantPage checks that page n (from 1) has every one of has and none of hasNot.
func (p pdf) wantPage(t *testing.T, n int, has, hasNot []string) {
	t.Helper()
	if n > len(p.text) {
		t.Errorf("no page %d in a PDF of %d", n, p.pages)
		return
	}
	for _, s := range has {
		if !strings.Contains(p.text[n-1], s) {
			t.Errorf("page %d lacks %q:\n%s", n, s, p.text[n-1])
		}
	}
	for _, s := range hasNot {
		if strings.Contains(p.text[n-1], s) {
			t.Errorf("page %d has %q", n, s)
		}
	}
}

// listed returns the ids of the filings the print list offers, by name.
func listed(t *testing.T, r *response) map[string]string {
	t.Helper()
	ids := map[string]string{}
	r.doc(t).Find(`#print-form input[name="filing"]`).Each(func(_ int, s *goquery.Selection) {
		label, _ := s.Attr("aria-label")
		ids[strings.TrimPrefix(label, "選取 ")] = s.AttrOr("value", "")
	})
	return ids
}

func printEvents(t *testing.T, e *env) []string {
	t.Helper()
	var after []string
	if err := e.db.NewSelect().Table("audit_events").Column("after_json").Where("action = 'filing.print'").Order("seq").Scan(context.Background(), &after); err != nil {
		t.Fatal(err)
	}
	return after
}

// TestPrintForms is 申報資料套印表格 (issue 13.5): the list by 報表類別,
// each kind of form printed with up to five persons a page and an insured's
// dependents with them, and the warning before printing filings that have
// error codes.
func TestPrintForms(t *testing.T) {
	t.Parallel()
	requirePDFTools(t)
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := e.store.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		c := e.unitClient(ownUnit, models.RoleClerkFiler)
		file := func(v url.Values) {
			t.Helper()
			wantStatus(t, c.post("/portal/filings", v), http.StatusSeeOther)
		}
		insured := func(serial int, name string) url.Values {
			v := insuredForm(serial)
			v.Set("name", name)
			return v
		}
		dependent := func(of, serial int, name, birth, relation string) url.Values {
			return url.Values{"kind": {"add"}, "person": {"dependent"}, "insured_id": {twid.MakeNationalID('A', 1, of)},
				"dependent_id": {twid.MakeNationalID('B', 2, serial)}, "name": {name}, "sex": {"F"}, "birth": {birth},
				"relation": {relation}, "reason": {"D1"}, "effective_date": {"115/03/02"}}
		}
		// 林峯堃 with two children, 王大明 alone, 李國華 with a wife and five
		// children: seven rows, more than a page.
		file(insured(5555555, "林峯堃"))
		file(dependent(5555555, 6666661, "林小犇", "104/01/01", "3"))
		file(insured(5555556, "王大明"))
		file(dependent(5555555, 6666662, "林小峯", "105/02/02", "3"))
		file(insured(5555557, "李國華"))
		file(dependent(5555557, 7777770, "李美惠", "075/05/05", "1"))
		for i := 1; i <= 5; i++ {
			file(dependent(5555557, 7777770+i, fmt.Sprintf("李眷%d", i), fmt.Sprintf("10%d/01/01", i), "3"))
		}

		list := c.get("/portal/print?search=1")
		wantStatus(t, list, http.StatusOK)
		wantContains(t, list, "申報證明文件查詢", "第一~三類保險對象投保申請表", "第一~三類保險對象退保申請表", "第一~三類被保險人投保金額調整申請表",
			"共 11 筆", "全民健康保險保險對象投保(轉入)申報表", "每頁最多 5 人", "林峯堃", "林小犇", "到職起薪", "30300", "審核正確")
		enrol := listed(t, list)
		if len(enrol) != 11 {
			t.Fatalf("%d filings to print, want 11: %v", len(enrol), enrol)
		}

		t.Run("Enrol", func(t *testing.T) {
			form := url.Values{}
			for _, id := range enrol {
				form.Add("filing", id)
			}
			p := readPDF(t, c.post("/portal/print", form))
			if p.pages != 3 {
				t.Fatalf("%d pages, want 3: 林峯堃 with two children and 王大明 on page 1, 李國華 with six dependents on pages 2 and 3", p.pages)
			}
			p.wantPage(t, 1, []string{"全民健康保險保險對象投保(轉入)申報表", "林峯堃", twid.MakeNationalID('A', 1, 5555555), "074年06月01日", "30300",
				"林小犇", "林小峯", "104年01月01日", "子女", "隨同被保險人加保", "王大明", "到職起薪", "115年03月02日", "填表日期", "第 1 頁／共 3 頁"},
				[]string{"李國華", "續"})
			p.wantPage(t, 2, []string{"李國華", "李美惠", "配偶", "李眷1", "李眷3", "（下頁續）"}, []string{"李眷4", "林峯堃", "續上頁"})
			p.wantPage(t, 3, []string{"（續上頁）", "李國華", "李眷4", "李眷5"}, []string{"李眷3", "下頁續"})
			if ev := printEvents(t, e); len(ev) != 1 || !strings.Contains(ev[0], `"report":"enrol"`) || !strings.Contains(ev[0], `"pages":3`) {
				t.Errorf("print events %v, want one of the enrol report with 3 pages", ev)
			}
		})

		// 王大明 leaves, 林小峯 is no longer a dependent, 林峯堃's amount goes up.
		file(url.Values{"kind": {"withdraw"}, "person": {"insured"}, "insured_id": {twid.MakeNationalID('A', 1, 5555556)}, "name": {"王大明"},
			"sex": {"M"}, "birth": {"074/06/01"}, "reason": {"W1"}, "effective_date": {"115/03/05"}})
		file(url.Values{"kind": {"withdraw"}, "person": {"dependent"}, "insured_id": {twid.MakeNationalID('A', 1, 5555555)},
			"dependent_id": {twid.MakeNationalID('B', 2, 6666662)}, "name": {"林小峯"}, "sex": {"F"}, "birth": {"105/02/02"}, "relation": {"3"},
			"reason": {"E5"}, "effective_date": {"115/03/05"}})
		file(url.Values{"kind": {"adjust"}, "person": {"insured"}, "category": {"1"}, "insured_id": {twid.MakeNationalID('A', 1, 5555555)},
			"name": {"林峯堃"}, "sex": {"M"}, "birth": {"074/06/01"}, "reason": {"M1"}, "amount": {"36300"}, "effective_date": {"115/03/03"}})

		var out map[string]string
		t.Run("Withdraw", func(t *testing.T) {
			r := c.get("/portal/print?search=1&form_type=health&report=withdraw")
			wantStatus(t, r, http.StatusOK)
			wantContains(t, r, "共 2 筆", "全民健康保險保險對象退保(轉出)申報表", "離職", "退保日", `<option value="withdraw" selected>`)
			wantNotContains(t, r, "林小犇", "李國華")
			out = listed(t, r)
			p := readPDF(t, c.post("/portal/print", url.Values{"filing": {out["王大明"], out["林小峯"]}}))
			if p.pages != 1 {
				t.Errorf("%d pages, want 1", p.pages)
			}
			p.wantPage(t, 1, []string{"全民健康保險保險對象退保(轉出)申報表", "退保(轉出)日期", "王大明", "離職", "林峯堃", "林小峯", "喪失眷屬資格", "115年03月05日"},
				[]string{"投保金額", "林小犇"})
		})
		t.Run("Adjust", func(t *testing.T) {
			r := c.get("/portal/print?search=1&report=adjust")
			wantStatus(t, r, http.StatusOK)
			wantContains(t, r, "共 1 筆", "全民健康保險投保金額調整申報表", "36300")
			adj := listed(t, r)
			p := readPDF(t, c.post("/portal/print", url.Values{"filing": {adj["林峯堃"]}}))
			p.wantPage(t, 1, []string{"全民健康保險投保金額調整申報表", "林峯堃", "30300", "36300", "調整投保金額", "115年03月03日"}, []string{"相關眷屬"})
		})
		t.Run("OneKindAPrint", func(t *testing.T) {
			r := c.post("/portal/print", url.Values{"filing": {enrol["林峯堃"], out["王大明"]}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "同一種報表類別")
		})

		t.Run("WarnBeforeCodes", func(t *testing.T) {
			// The nightly check finds code 5 in 王大明's enrolment.
			if _, err := db.NewUpdate().Table("filings").Set("status = 'error', codes = '5'").Where("id = ?", enrol["王大明"]).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			list := c.get("/portal/print?search=1&report=enrol")
			wantContains(t, list, "本頁有 1 筆申報資料檢核有錯誤代碼", `錯誤代碼 5</a>：`)
			before := len(printEvents(t, e))
			sel := url.Values{"filing": {enrol["林峯堃"], enrol["王大明"]}, "report": {"enrol"}, "from": {"114/12/02"}, "to": {"115/03/02"}, "page": {"1"}}
			warn := c.post("/portal/print", sel)
			wantStatus(t, warn, http.StatusOK)
			if ct := warn.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("the warning is %s, want a page", ct)
			}
			wantContains(t, warn, "列印前請確認", "有 1 筆檢核有錯誤代碼", "王大明", twid.MakeNationalID('A', 1, 5555556), "錯誤代碼 5",
				`href="/portal/error-codes#code-5"`, "投保金額", "仍要列印", "返回勾選")
			wantNotContains(t, warn, "林峯堃（")
			doc := warn.doc(t)
			if role := doc.Find("#print-warning").AttrOr("role", ""); role != "alert" {
				t.Errorf("the warning's role %q, want alert", role)
			}
			back := doc.Find(`a:contains("返回勾選")`).AttrOr("href", "")
			if !strings.Contains(back, "report=enrol") || !strings.Contains(back, "from=114%2F12%2F02") {
				t.Errorf("返回勾選 goes to %q, want the list with its filter", back)
			}
			if n := len(printEvents(t, e)); n != before {
				t.Errorf("the warning printed: %d print events, want %d", n, before)
			}
			// 仍要列印 posts the same selection, confirmed, as the browser would.
			again := url.Values{}
			doc.Find("#print-confirm-form input").Each(func(_ int, s *goquery.Selection) {
				again.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
			})
			if again.Get("confirm") != "1" || len(again["filing"]) != 2 {
				t.Fatalf("the confirmation form sends %v", again)
			}
			p := readPDF(t, c.post("/portal/print", again))
			p.wantPage(t, 1, []string{"林峯堃", "王大明"}, nil)
			ev := printEvents(t, e)
			if len(ev) != before+1 || !strings.Contains(ev[len(ev)-1], fmt.Sprintf(`"with_codes":[%s]`, enrol["王大明"])) {
				t.Errorf("print events %v, want the last to name the filing printed with codes", ev)
			}
			// Filings without codes print at once.
			readPDF(t, c.post("/portal/print", url.Values{"filing": {enrol["林峯堃"]}}))
		})

		t.Run("PagesKeepTheFilter", func(t *testing.T) {
			// 60 more withdrawals: two pages of 50.
			var fs []models.Filing
			for i := range 60 {
				fs = append(fs, models.Filing{UnitID: e.unitID(ownUnit), FiledBy: "匯入", Source: "upload", Kind: rules.KindWithdraw,
					Person: rules.PersonInsured, Operation: "health", InsuredID: twid.MakeNationalID('C', 1, 8000000+i), Name: fmt.Sprintf("退%02d", i),
					Sex: "M", Birth: "1980-01-01", Reason: "W1", EffectiveDate: "2026-03-02", Category: "1", FiledAt: modelstest.Clock,
					FiledOn: "2026-03-02", Status: models.FilingValidated, ValidatedAt: modelstest.Clock})
			}
			if err := models.ImportFilings(ctx, db, fs); err != nil {
				t.Fatal(err)
			}
			r := c.get("/portal/print?search=1&report=withdraw&from=115/01/01&to=115/03/02")
			wantContains(t, r, "共 62 筆", "第 1 / 2 頁")
			next := r.doc(t).Find(`nav.pager a[rel="next"]`).AttrOr("href", "")
			for _, want := range []string{"report=withdraw", "from=115%2F01%2F01", "to=115%2F03%2F02", "page=2", "search=1"} {
				if !strings.Contains(next, want) {
					t.Errorf("下一頁 %q lacks %s", next, want)
				}
			}
			p2 := c.get(next)
			wantStatus(t, p2, http.StatusOK)
			wantContains(t, p2, "共 62 筆", "第 2 / 2 頁", `name="report" value="withdraw"`, `name="page" value="2"`)
			if n := len(listed(t, p2)); n != 12 {
				t.Errorf("page 2 lists %d, want 12", n)
			}
		})

		t.Run("Refused", func(t *testing.T) {
			r := c.get("/portal/print?search=1&report=bogus")
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, "報表類別：請從清單選擇。")
			// Another unit's filing id: 404, as if it did not exist.
			other := e.unitClient(otherUnit, models.RoleClerkFiler)
			if r := other.post("/portal/print", url.Values{"filing": {enrol["林峯堃"]}}); r.StatusCode != http.StatusNotFound {
				t.Errorf("another unit printing: %d, want 404", r.StatusCode)
			}
			if r := c.post("/portal/print", url.Values{"filing": {enrol["林峯堃"], "999999"}}); r.StatusCode != http.StatusNotFound {
				t.Errorf("an unknown id: %d, want 404", r.StatusCode)
			}
			if r := c.post("/portal/print", url.Values{}); r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("nothing ticked: %d, want 422", r.StatusCode)
			}
		})
	})
}

// TestPrintFileName names the download after the form and the unit.
func TestPrintFileName(t *testing.T) {
	t.Parallel()
	requirePDFTools(t)
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	if err := e.store.EnsureReferenceData(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	ins := insuredForm(5555558)
	ins.Set("name", "林峯堃")
	wantStatus(t, c.post("/portal/filings", ins), http.StatusSeeOther)
	id := listed(t, c.get("/portal/print?search=1"))["林峯堃"]
	r := c.post("/portal/print", url.Values{"filing": {id}})
	readPDF(t, r)
	cd, _ := url.PathUnescape(r.Header.Get("Content-Disposition"))
	if want := "投保申報表-" + demo.UnitCode(ownUnit) + "-1150302-林峯堃.pdf"; !strings.Contains(cd, want) {
		t.Errorf("Content-Disposition %q, want the name %q", cd, want)
	}
}
