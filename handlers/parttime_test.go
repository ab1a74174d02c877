package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// partTimeForm is an enrollment at the part-time amount 12540 of
// modelstest.PartTimeAmounts, marked 部分工時 when marked.
func partTimeForm(serial int, marked bool) url.Values {
	f := insuredForm(serial)
	f.Set("amount", "12540")
	if marked {
		f.Set("part_time", "1")
	}
	return f
}

// TestGradeTablesPartTime (issue 13.7): the grade tables page shows each
// table's part-time amounts (the shipped ones have none) and source; an
// admin loads a table with both parts, and a wrong part-time list is
// answered next to its field.
func TestGradeTablesPartTime(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		if err := e.store.EnsureReferenceData(context.Background()); err != nil {
			t.Fatal(err)
		}
		staff := e.staffClient("taipei.staff")
		page := staff.get("/console/grades")
		wantStatus(t, page, http.StatusOK)
		row := page.doc(t).Find("#grades-2026-01-01")
		if pt := row.Find("[data-part-time]").Text(); pt != "—" {
			t.Errorf("2026 part-time cell = %q, want —", pt)
		}
		if text := row.Text(); !strings.Contains(text, "衛部保字第1140153424號令") || !strings.Contains(text, "第 19 條") {
			t.Errorf("2026 row does not show its source: %q", text)
		}
		if pt := page.doc(t).Find("#grades-2025-01-01 [data-part-time]").Text(); pt != "—" {
			t.Errorf("2025 part-time cell = %q, want —", pt)
		}
		if page.doc(t).Find("textarea#part_time").Length() != 0 {
			t.Error("staff who may not load tables see the form")
		}

		admin := e.staffClient("hq.admin")
		page = admin.get("/console/grades")
		if page.doc(t).Find(`form[action="/console/grades"] textarea#part_time`).Length() != 1 {
			t.Fatal("the admin's form has no part-time field")
		}
		form := url.Values{"effective_date": {"116/01/01"}, "grades": {"30000\n31000\n32000"}, "part_time": {"12000\n11500"}, "source": {"衛部保字第0000000000號令（測試）"}}
		r := admin.post("/console/grades", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if msg := r.doc(t).Find("#part_time-error").Text(); !strings.Contains(msg, "第 2 行的 11500 比前一個金額 12000 小") {
			t.Errorf("part-time error = %q", msg)
		}
		wantContains(t, r, "11500") // what was typed stays
		form.Set("part_time", "11500\n30000")
		r = admin.post("/console/grades", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if msg := r.doc(t).Find("#part_time-error").Text(); !strings.Contains(msg, "不低於全時人員的最低一級 30000 元") {
			t.Errorf("part-time error = %q", msg)
		}
		form.Set("part_time", "11500\n12000")
		form.Set("source", "")
		r = admin.post("/console/grades", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if msg := r.doc(t).Find("#source-error").Text(); !strings.Contains(msg, "請輸入來源說明") {
			t.Errorf("source error = %q", msg)
		}
		form.Set("source", "衛部保字第0000000000號令（測試）")
		wantStatus(t, admin.post("/console/grades", form), http.StatusSeeOther)
		row = admin.get("/console/grades").doc(t).Find("#grades-2027-01-01")
		if pt := row.Find("[data-part-time]").Text(); pt != "2 級：11500,12000" || !strings.Contains(row.Text(), "衛部保字第0000000000號令（測試）") {
			t.Errorf("the loaded table's row = %q", row.Text())
		}
	})
}

// TestFilingPartTime: the entry form's 部分工時 box lets a part-time
// amount through; without it code n says why; the mark is shown wherever
// the amount is (export, roster and its export, print list, correction).
func TestFilingPartTime(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		if err := e.store.EnsureReferenceData(context.Background()); err != nil {
			t.Fatal(err)
		}
		modelstest.LoadPartTime(t, db)
		c := e.unitClient(ownUnit, models.RoleClerkFiler)
		page := c.get("/portal/filings/new")
		box := page.doc(t).Find(`input#part_time[type="checkbox"][name="part_time"]`)
		if target, _ := box.Attr("hx-target"); target != "#amount-msg" {
			t.Errorf("the 部分工時 box re-checks %q, want the amount (#amount-msg)", target)
		}

		// As typed: the amount, with and without the box.
		f := partTimeForm(5100001, false)
		f.Set("field", "amount")
		wantContains(t, c.post("/portal/filings/check", f), "部分工時人員的金額", "請勾選「部分工時」")
		f = partTimeForm(5100001, true)
		f.Set("field", "amount")
		if r := c.post("/portal/filings/check", f); strings.Contains(r.body, "field-error") {
			t.Errorf("a part-time amount marked 部分工時 got a message: %s", r.body)
		}

		// Submitted without the box: code n, with this filing's detail.
		r := c.post("/portal/filings", partTimeForm(5100001, false))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "錯誤代碼 n", "這一筆：投保金額 12540 元是分級表中部分工時人員的金額")
		if r.doc(t).Find("input#part_time").Is(":checked") {
			t.Error("the box is ticked on the form shown again")
		}
		// With it: stored.
		r = c.post("/portal/filings", partTimeForm(5100001, true))
		wantStatus(t, r, http.StatusSeeOther)
		// A 預辦 raise, correctable: its form comes back with the box ticked.
		raise := partTimeForm(5100001, true)
		raise.Set("kind", "adjust")
		raise.Set("reason", "M1")
		raise.Set("amount", "13500")
		raise.Set("effective_date", "115/03/05")
		wantStatus(t, c.post("/portal/filings", raise), http.StatusSeeOther)
		var raiseID int64
		if err := db.NewSelect().Table("filings").Column("id").Where("kind = 'adjust' AND part_time").Scan(context.Background(), &raiseID); err != nil {
			t.Fatal(err)
		}
		corr := c.get("/portal/filings/" + fmtID(raiseID) + "/correct")
		wantStatus(t, corr, http.StatusOK)
		if !corr.doc(t).Find("input#part_time").Is(":checked") {
			t.Error("the correction form of a part-time filing has the box unticked")
		}

		// Export of 異動檢核後查詢.
		x := c.get("/portal/filings/export")
		if !strings.Contains(x.body, "投保金額,部分工時,生效日期") || !strings.Contains(x.body, ",12540,是,115/03/02") {
			t.Errorf("filings export lacks the mark:\n%s", x.body)
		}
		// The roster on the raise's day, and its export.
		id := twid.MakeNationalID('A', 1, 5100001)
		roster := c.get("/portal/roster?on=115/03/05&q=" + id)
		wantContains(t, roster, "13500", `<span class="badge part-time">部分工時</span>`, "投保金額調整 #"+fmtID(raiseID)+"（115/03/05，13500，部分工時）")
		rx := c.get("/portal/roster/export?on=115/03/05&q=" + id)
		if !regexp.MustCompile(`,13500,是,115/03/05,`).MatchString(rx.body) {
			t.Errorf("roster export lacks the mark:\n%s", rx.body)
		}
		// 申報資料套印表格's list.
		wantContains(t, c.get("/portal/print?search=1&from=115/03/01&to=115/03/02"), "12540（部分工時）")
	})
}

// TestUploadPartTime: a CSV with the 部分工時 column and a joint 勞健保
// file with ours are previewed and imported with the mark; a part-time
// amount without it is code n with the row's own message.
func TestUploadPartTime(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := e.store.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		modelstest.LoadPartTime(t, db)
		c := e.unitClient(ownUnit, models.RoleClerkFiler)
		wantContains(t, c.get("/portal/filings/upload"), "<td>部分工時</td>")
		header := strings.TrimSuffix(uploadHeader, "\r\n") + ",部分工時\r\n"
		row := func(serial int, amount, partTime string) string {
			return strings.TrimSuffix(uploadRow(twid.MakeNationalID('H', 1, serial), "鄭一", "0740601", amount), "\r\n") + "," + partTime + "\r\n"
		}
		csv := header + row(1, "12540", "是") + row(2, "12540", "") + row(3, "30300", "")
		r := c.multipartPost("/portal/filings/upload", map[string]string{"step": "preview"}, map[string][2]string{"file": {"f.csv", csv}})
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "2 筆檢核正確", "1 筆有誤", "12540（部分工時）", "錯誤代碼 n", "（這一筆：投保金額 12540 元是分級表中部分工時人員的金額")
		token, _ := r.doc(t).Find(`#upload-preview input[name="token"]`).Attr("value")
		r = c.post("/portal/filings/upload/confirm", url.Values{"token": {token}, "mode": {"valid_only"}})
		wantContains(t, r, "匯入 2 筆")
		if n, err := db.NewSelect().Table("filings").Where("part_time AND amount = 12540 AND source = 'upload'").Count(ctx); err != nil || n != 1 {
			t.Errorf("%d part-time rows stored, %v; want 1", n, err)
		}

		// A joint add file with the 部分工時 column.
		l, _ := filingcsv.LayoutByID(filingcsv.LayoutJointAdd)
		u, err := models.UnitByID(ctx, db, models.UnitScope(e.unitID(ownUnit)), e.unitID(ownUnit))
		if err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(l.Header))
		for i, h := range l.Header {
			cells[i] = map[string]string{"健保投保單位代碼": u.Code, "投保者": "1", "身分證號/居留證/護照": twid.MakeNationalID('H', 1, 4), "姓名": "鄭四",
				"出生日期": "0740601", "性別": "1", "健保投保薪資": "11100", "健保加保原因別": "A1", "健保加保原因發生日期": "1150302", "部分工時": "Y"}[h]
		}
		joint, err := filingcsv.WriteXLSX([][]string{l.Header, cells})
		if err != nil {
			t.Fatal(err)
		}
		r = c.multipartPost("/portal/filings/upload", nil, map[string][2]string{"file": {"joint.xlsx", string(joint)}})
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "匯入 1 筆")
		if n, err := db.NewSelect().Table("filings").Where("part_time AND amount = 11100").Count(ctx); err != nil || n != 1 {
			t.Errorf("joint file: %d part-time rows at 11100, %v; want 1", n, err)
		}
	})
}
