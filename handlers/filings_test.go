package handlers_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func insuredForm(serial int) url.Values {
	return url.Values{"kind": {"add"}, "person": {"insured"}, "operation": {"health"}, "category": {"1"},
		"insured_id": {twid.MakeNationalID('A', 1, serial)}, "name": {"陳志明"}, "sex": {"M"}, "birth": {"074/06/01"},
		"reason": {"A1"}, "amount": {"30,300"}, "effective_date": {"115/03/02"}}
}

func TestFilingEntryAndQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	if err := e.store.EnsureReferenceData(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	page := c.get("/portal/filings/new")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "加保、退保、投保金額調整", `hx-post="/portal/filings/check"`, "員工（被保險人）身分證號")

	// Field checks as typed.
	f := insuredForm(1111111)
	f.Set("field", "insured_id")
	f.Set("insured_id", "A123456788")
	wantContains(t, c.post("/portal/filings/check", f), "檢查碼")
	f = insuredForm(1111111)
	f.Set("field", "amount")
	f.Set("amount", "30000")
	wantContains(t, c.post("/portal/filings/check", f), "30300")
	f.Set("amount", "30300")
	if r := c.post("/portal/filings/check", f); strings.Contains(r.body, "field-error") {
		t.Errorf("a good amount got a message: %s", r.body)
	}

	// The insured, then a dependent born 10 years after them: code 2 at once.
	wantStatus(t, c.post("/portal/filings", insuredForm(1111111)), http.StatusSeeOther)
	dep := url.Values{"kind": {"add"}, "person": {"dependent"}, "operation": {"health"}, "insured_id": {twid.MakeNationalID('A', 1, 1111111)},
		"dependent_id": {twid.MakeNationalID('B', 2, 2222222)}, "name": {"陳小美"}, "sex": {"F"}, "birth": {"084/01/01"},
		"relation": {"3"}, "reason": {"D1"}, "effective_date": {"115/03/02"}}
	r := c.post("/portal/filings", dep)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "這筆資料尚未送出", `href="/portal/error-codes#code-2"`, "錯誤代碼 2", "14 年", `value="084/01/01"`)
	dep.Set("birth", "104/01/01")
	wantStatus(t, c.post("/portal/filings", dep), http.StatusSeeOther)

	// 異動檢核後查詢: both, 審核正確, in the default range (the past two months).
	q := c.get("/portal/filings")
	wantStatus(t, q, http.StatusOK)
	wantContains(t, q, "共 2 筆", "審核正確", "網路申報", "健保專用", "陳小美", "115/03/02")
	wide := c.get("/portal/filings?from=114/10/01&to=115/03/02")
	wantStatus(t, wide, http.StatusUnprocessableEntity)
	wantContains(t, wide, "只提供過去 2 個月內的檢核查詢")
	csv := c.get("/portal/filings/export")
	wantStatus(t, csv, http.StatusOK)
	if !strings.HasPrefix(csv.body, "\ufeff備註,錯誤代碼,資料來源") || !strings.Contains(csv.body, "陳小美") {
		t.Errorf("CSV: %q", csv.body[:min(len(csv.body), 200)])
	}
	codes := c.get("/portal/error-codes")
	wantContains(t, codes, `id="code-2"`, `id="code-5"`, "投保金額")

	// Another unit sees none of it; the unit account may look but not file.
	wantContains(t, e.unitClient(otherUnit, models.RoleClerkFiler).get("/portal/filings"), "共 0 筆")
	owner := e.unitClient(ownUnit, models.RoleUnitOwner)
	wantContains(t, owner.get("/portal/filings"), "共 2 筆")
	if r := owner.post("/portal/filings", insuredForm(3333333)); r.StatusCode != http.StatusForbidden {
		t.Errorf("the unit account filing: %d, want 403", r.StatusCode)
	}
}

// TestFilingQueryLinksKeepFilter follows the query page's links as a
// browser would: the next page and the CSV download keep the filter, so
// the CSV holds as many rows as the page counts.
func TestFilingQueryLinksKeepFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	unitID := e.unitID(ownUnit)
	// In 115/02/01–115/02/20: 60 filings with code 5 and 30 validated;
	// outside it (115/02/25), 20 more with code 5.
	var fs []models.Filing
	add := func(n int, day, status, codes string) {
		for range n {
			serial := 3_000_000 + len(fs)
			fs = append(fs, models.Filing{UnitID: unitID, FiledBy: "測試", Source: "web", Kind: "add", Person: "insured",
				Operation: "health", InsuredID: twid.MakeNationalID('C', 1, serial), Name: "林測試", Sex: "M", Birth: "1980-01-01",
				Reason: "A1", Amount: 30300, EffectiveDate: day, Category: "1", FiledAt: modelstest.Clock, FiledOn: day,
				Status: status, Codes: codes, ValidatedAt: modelstest.Clock})
		}
	}
	add(30, "2026-02-05", models.FilingError, "5")
	add(30, "2026-02-18", models.FilingError, "5")
	add(30, "2026-02-10", models.FilingValidated, "")
	add(20, "2026-02-25", models.FilingError, "5")
	if err := models.ImportFilings(context.Background(), e.db, fs); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	total := func(t *testing.T, r *response) string {
		t.Helper()
		m := regexp.MustCompile(`共 (\d+) 筆`).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("%s: no total\n%s", r.Request.URL, r.body)
		}
		return m[1]
	}
	link := func(t *testing.T, r *response, sel string) string {
		t.Helper()
		href, ok := r.doc(t).Find(sel).Attr("href")
		if !ok {
			t.Fatalf("%s: no link %s\n%s", r.Request.URL, sel, r.body)
		}
		return href
	}

	q := url.Values{"from": {"115/02/01"}, "to": {"115/02/20"}, "status": {"error"}, "operation": {"health"}}
	page1 := c.get("/portal/filings?" + q.Encode())
	wantStatus(t, page1, http.StatusOK)
	if got := total(t, page1); got != "60" {
		t.Fatalf("page 1 total = %s, want 60", got)
	}
	if n := page1.doc(t).Find("table.data tbody tr").Length(); n != 50 {
		t.Errorf("page 1 rows = %d, want 50", n)
	}

	t.Run("NextPageKeepsFilter", func(t *testing.T) {
		page2 := c.get(link(t, page1, `nav.pager a:contains("下一頁")`))
		wantStatus(t, page2, http.StatusOK)
		if got := total(t, page2); got != "60" {
			t.Errorf("page 2 total = %s, want 60", got)
		}
		d := page2.doc(t)
		if n := d.Find("table.data tbody tr").Length(); n != 10 {
			t.Errorf("page 2 rows = %d, want 10", n)
		}
		for sel, want := range map[string]string{"#from": "115/02/01", "#to": "115/02/20"} {
			if got, _ := d.Find(sel).Attr("value"); got != want {
				t.Errorf("page 2 form %s = %q, want %q", sel, got, want)
			}
		}
		if got, _ := d.Find("#status option[selected]").Attr("value"); got != "error" {
			t.Errorf("page 2 form status = %q, want error", got)
		}
		back := c.get(link(t, page2, `nav.pager a:contains("上一頁")`))
		if got := total(t, back); got != "60" {
			t.Errorf("back on page 1 total = %s, want 60", got)
		}
	})

	t.Run("CSVHasThePageRows", func(t *testing.T) {
		for _, r := range []*response{page1, c.get("/portal/filings?"+q.Encode(), "HX-Request", "true", "HX-Target", "filing-results")} {
			res := c.get(link(t, r, `a:contains("下載 CSV")`))
			wantStatus(t, res, http.StatusOK)
			rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := strconv.Itoa(len(rows) - 1); got != total(t, page1) {
				t.Errorf("CSV data rows = %s, the page says %s", got, total(t, page1))
			}
			for _, row := range rows[1:] {
				if row[0] != "檢核錯誤" {
					t.Errorf("CSV row not an error row: %v", row)
					break
				}
			}
		}
	})
}

// TestFilingAgeWarning: code 2 alone is a warning. The form asks for a
// reason (養子女, 繼子女, 其他 with a note), marks a missing or bad one on
// its field, and files with it; the list, the export and the staff's unit
// page show it. Other codes still refuse, and an upload refuses a code-2
// row, sending the clerk to the form.
func TestFilingAgeWarning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	if err := e.store.EnsureReferenceData(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	wantStatus(t, c.post("/portal/filings", insuredForm(1111111)), http.StatusSeeOther) // born 074/06/01
	dep := url.Values{"kind": {"add"}, "person": {"dependent"}, "operation": {"health"}, "insured_id": {twid.MakeNationalID('A', 1, 1111111)},
		"dependent_id": {twid.MakeNationalID('B', 2, 2222222)}, "name": {"陳小美"}, "sex": {"F"}, "birth": {"084/01/01"},
		"relation": {"3"}, "reason": {"D1"}, "effective_date": {"115/03/02"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = append([]string(nil), vs...)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	stored := func() int {
		t.Helper()
		n, err := e.db.NewSelect().Table("filings").Where("dependent_id = ?", dep.Get("dependent_id")).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}

	t.Run("LiveCheckWarns", func(t *testing.T) {
		r := c.post("/portal/filings/check", with(dep, "field", "birth"))
		wantContains(t, r, `class="field-warning"`, "提醒：", "14 年", "養子女")
		wantNotContains(t, r, "field-error")
	})

	t.Run("WarningAsksForAReason", func(t *testing.T) {
		r := c.post("/portal/filings", dep)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := r.doc(t)
		if d.Find("#refused").Length() != 0 || d.Find("#age-warning").Length() != 1 {
			t.Fatalf("want the warning, not a refusal:\n%s", r.body)
		}
		var reasons []string
		d.Find(`#age-confirm input[type="radio"][name="age_confirm"]`).Each(func(_ int, s *goquery.Selection) {
			reasons = append(reasons, strings.TrimSpace(s.Parent().Text()))
		})
		if strings.Join(reasons, ",") != "養子女,繼子女,其他" {
			t.Errorf("reasons = %q", reasons)
		}
		if d.Find(`#age-confirm button[type="submit"][name="confirm_age"][value="1"]`).Length() != 1 {
			t.Error("no confirm button")
		}
		if v, _ := d.Find("#birth").Attr("value"); v != "084/01/01" {
			t.Errorf("birth kept as %q", v)
		}
		if stored() != 0 {
			t.Error("the warning stored the filing")
		}
	})

	t.Run("ReasonRequired", func(t *testing.T) {
		r := c.post("/portal/filings", with(dep, "confirm_age", "1"))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := r.doc(t)
		radio := d.Find(`#age-confirm input[name="age_confirm"]`).First()
		if inv, _ := radio.Attr("aria-invalid"); inv != "true" {
			t.Error("reason radio not aria-invalid")
		}
		if by, _ := radio.Attr("aria-describedby"); by != "age_confirm-msg" || !strings.Contains(d.Find("#age_confirm-msg").Text(), "請選擇") {
			t.Errorf("reason message %q (described by %q)", d.Find("#age_confirm-msg").Text(), by)
		}
		if d.Find("#age-warning").Length() != 1 {
			t.Error("the warning is gone")
		}
		if stored() != 0 {
			t.Error("stored without a reason")
		}
	})

	t.Run("OtherNeedsANote", func(t *testing.T) {
		for note, want := range map[string]string{"": "請說明原因", strings.Repeat("長", 501): "500"} {
			r := c.post("/portal/filings", with(dep, "confirm_age", "1", "age_confirm", "other", "age_confirm_note", note))
			wantStatus(t, r, http.StatusUnprocessableEntity)
			d := r.doc(t)
			in := d.Find("#age_confirm_note")
			inv, _ := in.Attr("aria-invalid")
			by, _ := in.Attr("aria-describedby")
			if msg := d.Find("#" + by).Text(); inv != "true" || by != "age_confirm_note-msg" || !strings.Contains(msg, want) {
				t.Errorf("note %d chars: aria-invalid=%q, described by %q: %q, want %q", len([]rune(note)), inv, by, msg, want)
			}
			if _, checked := d.Find(`input[name="age_confirm"][value="other"]`).Attr("checked"); !checked {
				t.Error("the chosen reason was not kept")
			}
		}
		if stored() != 0 {
			t.Error("stored without a note")
		}
	})

	t.Run("OtherCodesStillRefuse", func(t *testing.T) {
		r := c.post("/portal/filings", with(dep, "amount", "30300", "confirm_age", "1", "age_confirm", "adopted"))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := r.doc(t)
		if d.Find("#refused").Length() != 1 || d.Find("#age-confirm").Length() != 0 {
			t.Errorf("code 2 with code m: want a refusal without the confirmation\n%s", r.body)
		}
		wantContains(t, r, "錯誤代碼 m")
	})

	t.Run("Confirmed", func(t *testing.T) {
		r := c.post("/portal/filings", with(dep, "confirm_age", "1", "age_confirm", "other", "age_confirm_note", "戶籍登記為子女"))
		wantStatus(t, r, http.StatusSeeOther)
		if stored() != 1 {
			t.Fatal("not stored")
		}
		q := c.get("/portal/filings")
		wantContains(t, q, "錯誤代碼 2 已確認：其他（戶籍登記為子女）")
		csv := c.get("/portal/filings/export")
		wantContains(t, csv, "錯誤代碼2確認原因", "其他：戶籍登記為子女")
		staff := e.staffClient("taipei.staff").get("/console/units/" + fmtID(e.unitID(ownUnit)))
		wantStatus(t, staff, http.StatusOK)
		wantContains(t, staff, "錯誤代碼 2 經承辦人確認：其他（戶籍登記為子女）")
	})

	t.Run("UploadSendsToTheForm", func(t *testing.T) {
		row := "加保,眷屬,健保專用," + twid.MakeNationalID('A', 1, 1111111) + "," + twid.MakeNationalID('B', 2, 3333333) +
			",陳小華,女,0840101,3,D1,,1150302\r\n"
		r := c.multipartPost("/portal/filings/upload", map[string]string{"mode": "valid_only"}, map[string][2]string{"file": {"f.csv", uploadHeader + row}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "第 2 行", "錯誤代碼 2", "媒體上傳無法確認", `href="/portal/filings/new"`)
	})
}
