package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

const uploadHeader = "異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期\r\n"

func uploadRow(id, name, birth, amount string) string {
	return "加保,本人,健保專用," + id + ",," + name + ",男," + birth + ",,A1," + amount + ",1150302\r\n"
}

func TestMediaUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	if err := e.store.EnsureReferenceData(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	page := c.get("/portal/filings/upload")
	wantContains(t, page, "媒體上傳", "員工身分證號", "下載範本")
	tmpl := c.get("/portal/filings/template.csv")
	if !strings.HasPrefix(tmpl.body, "\ufeff異動別") {
		t.Errorf("template: %q", tmpl.body[:30])
	}

	good1, good2 := twid.MakeNationalID('C', 1, 1), twid.MakeNationalID('C', 1, 2)
	bad := uploadHeader + uploadRow(good1, "張一", "0740601", "30300") + "\r\n" +
		uploadRow(good2, "張二", "0741301", "30300") + // line 4: a bad date
		uploadRow(twid.MakeNationalID('C', 1, 3), "張三", "0740601", "30000") // line 5: not a grade (code 5)
	r := c.multipartPost("/portal/filings/upload", map[string]string{"mode": "all_or_none"}, map[string][2]string{"file": {"f.csv", bad}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "第 4 行", "出生日期", "這次沒有匯入任何資料")
	if n, _ := e.db.NewSelect().Table("filings").Count(ctx); n != 0 {
		t.Fatalf("all-or-nothing stored %d rows", n)
	}
	r = c.multipartPost("/portal/filings/upload", map[string]string{"mode": "valid_only"}, map[string][2]string{"file": {"f.csv", bad}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "匯入 1 筆", "2 筆有誤", "第 4 行", "第 5 行", "錯誤代碼 5")
	if n, _ := e.db.NewSelect().Table("filings").Where("source = 'upload'").Count(ctx); n != 1 {
		t.Fatalf("%d rows stored, want the one valid", n)
	}

	// Big5, as old payroll software writes it.
	b5, err := traditionalchinese.Big5.NewEncoder().String(uploadHeader + uploadRow(twid.MakeNationalID('D', 1, 4), "王大明", "0740601", "30300"))
	if err != nil {
		t.Fatal(err)
	}
	r = c.multipartPost("/portal/filings/upload", nil, map[string][2]string{"file": {"big5.csv", b5}})
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Big5", "匯入 1 筆")

	// Not a CSV at all; too large.
	r = c.multipartPost("/portal/filings/upload", nil, map[string][2]string{"file": {"x.csv", "\x00\xff\xfe binary"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	big := uploadHeader + strings.Repeat(uploadRow(good1, "張一", "0740601", "30300"), 90000)
	r = c.multipartPost("/portal/filings/upload", nil, map[string][2]string{"file": {"big.csv", big}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	wantContains(t, r, "MB")
}

// TestMediaUploadXLSXPreview: an .xlsx upload is previewed with each row's
// code and nothing stored; the confirmation stores the valid rows as the
// clerk chose; a joint file of another unit's code and a wrong header are
// refused; the templates download.
func TestMediaUploadXLSXPreview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	if err := e.store.EnsureReferenceData(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	for _, l := range filingcsv.Layouts {
		r := c.get("/portal/filings/template.xlsx?layout=" + l.ID)
		wantStatus(t, r, http.StatusOK)
		if !filingcsv.IsXLSX([]byte(r.body)) {
			t.Errorf("template %s is not an .xlsx file", l.ID)
		}
	}
	stored := func() int {
		n, err := e.db.NewSelect().Table("filings").Where("source = 'upload'").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	header := strings.Split(strings.TrimSpace(uploadHeader), ",")
	row := func(s string) []string { return strings.Split(strings.TrimSpace(s), ",") }
	data, err := filingcsv.WriteXLSX([][]string{header,
		row(uploadRow(twid.MakeNationalID('E', 1, 1), "許一", "-0050301", "30300")), // 民前 5 年
		row(uploadRow(twid.MakeNationalID('E', 1, 2), "許二", "0740601", "30000")),  // line 3: not a grade (code 5)
		row(uploadRow(twid.MakeNationalID('E', 1, 3), "許三", "0741301", "30300")),  // line 4: a bad date
	})
	if err != nil {
		t.Fatal(err)
	}
	r := c.multipartPost("/portal/filings/upload", map[string]string{"step": "preview", "mode": "valid_only"}, map[string][2]string{"file": {"f.xlsx", string(data)}})
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "預覽：尚未匯入", "本系統範本", "1 筆檢核正確", "2 筆有誤", "民前 5 年 3 月 1 日", "錯誤代碼 5", "第 4 行「出生日期」")
	if n := stored(); n != 0 {
		t.Fatalf("the preview stored %d rows", n)
	}
	token, _ := r.doc(t).Find(`#upload-preview input[name="token"]`).Attr("value")
	if token == "" {
		t.Fatal("no token in the preview")
	}
	// Another clerk's or a forged token finds nothing.
	forged := "0" + token[1:]
	if forged == token {
		forged = "1" + token[1:]
	}
	r = c.post("/portal/filings/upload/confirm", url.Values{"token": {forged}, "mode": {"valid_only"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "重新上傳")
	r = c.post("/portal/filings/upload/confirm", url.Values{"token": {token}, "mode": {"valid_only"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "匯入 1 筆", "2 筆有誤", "錯誤代碼 5")
	if n := stored(); n != 1 {
		t.Fatalf("%d rows stored, want the one valid", n)
	}
	// The 民前 birth is exported in words: Excel would compute -005/03/01.
	if r := c.get("/portal/filings/export"); !strings.Contains(r.body, "民前 5 年 3 月 1 日") || strings.Contains(r.body, "-005/03/01") {
		t.Errorf("export: want 民前 5 年 3 月 1 日, got\n%s", r.body)
	}
	// The token is spent.
	r = c.post("/portal/filings/upload/confirm", url.Values{"token": {token}})
	wantStatus(t, r, http.StatusUnprocessableEntity)

	// A joint 勞健保 add file: labour columns ignored; another unit's code refused.
	l, _ := filingcsv.LayoutByID(filingcsv.LayoutJointAdd)
	jrow := func(unit, id string) []string {
		m := map[string]string{"健保投保單位代碼": unit, "投保者": "1", "身分證號/居留證/護照": id, "姓名": "蔡一", "出生日期": "0740601", "性別": "1",
			"健保投保薪資": "30300", "健保加保原因別": "A1", "健保加保原因發生日期": "1150302", "月實際工資": "30000"}
		out := make([]string, len(l.Header))
		for i, h := range l.Header {
			out[i] = m[h]
		}
		return out
	}
	u, err := models.UnitByID(ctx, e.db, models.UnitScope(ownUnit), ownUnit)
	if err != nil {
		t.Fatal(err)
	}
	joint, err := filingcsv.WriteXLSX([][]string{l.Header, jrow(u.Code, twid.MakeNationalID('F', 1, 1)), jrow("999999999", twid.MakeNationalID('F', 1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	r = c.multipartPost("/portal/filings/upload", map[string]string{"step": "preview"}, map[string][2]string{"file": {"joint.xlsx", string(joint)}})
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "勞健保聯合加保檔", "系統未讀取", "勞工保險證號", "999999999 不是本單位的代碼")
	token, _ = r.doc(t).Find(`#upload-preview input[name="token"]`).Attr("value")
	r = c.post("/portal/filings/upload/confirm", url.Values{"token": {token}, "mode": {"all_or_none"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "這次沒有匯入任何資料")
	if n := stored(); n != 1 {
		t.Fatalf("all or nothing stored %d rows, want none more", n-1)
	}

	// A workbook with a header of no layout.
	wrong, _ := filingcsv.WriteXLSX([][]string{{"員工編號", "姓名"}, {"1", "王大明"}})
	r = c.multipartPost("/portal/filings/upload", map[string]string{"step": "preview"}, map[string][2]string{"file": {"wrong.xlsx", string(wrong)}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "Excel 檔的第一列應為下列其中一種標題列", "勞健保聯合退保檔")

	// A broken workbook; more rows than the limit.
	r = c.multipartPost("/portal/filings/upload", map[string]string{"step": "preview"}, map[string][2]string{"file": {"broken.xlsx", string(data[:len(data)/2])}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "Excel")
	many := [][]string{header}
	for i := range filingcsv.DefaultMaxRows + 1 {
		many = append(many, row(uploadRow(twid.MakeNationalID('G', 1, i), "許一", "0740601", "30300")))
	}
	big, err := filingcsv.WriteXLSX(many)
	if err != nil {
		t.Fatal(err)
	}
	r = c.multipartPost("/portal/filings/upload", map[string]string{"step": "preview"}, map[string][2]string{"file": {"many.xlsx", string(big)}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	wantContains(t, r, "超過 10000 筆資料的上限")
	if n := stored(); n != 1 {
		t.Fatalf("refused files stored %d rows", n-1)
	}
}

// TestUploadPreviewAcrossInstances: the preview made on one instance is
// confirmed on another (they share the database, as behind a load
// balancer), once. (Expiry: TestUploadPreviews in models.)
func TestUploadPreviewAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			e1, e2 := twoInstances(t, d)
			ctx := context.Background()
			if err := e1.store.EnsureReferenceData(ctx); err != nil {
				t.Fatal(err)
			}
			header := strings.Split(strings.TrimSpace(uploadHeader), ",")
			row := func(id, name string) []string {
				return strings.Split(strings.TrimSpace(uploadRow(id, name, "0740601", "30300")), ",")
			}
			data, err := filingcsv.WriteXLSX([][]string{header, row(twid.MakeNationalID('E', 1, 11), "許甲"), row(twid.MakeNationalID('E', 1, 12), "許乙")})
			if err != nil {
				t.Fatal(err)
			}
			preview := func(c *client) string {
				t.Helper()
				r := c.multipartPost("/portal/filings/upload", map[string]string{"step": "preview"}, map[string][2]string{"file": {"f.xlsx", string(data)}})
				wantStatus(t, r, http.StatusOK)
				wantContains(t, r, "預覽：尚未匯入", "2 筆檢核正確")
				token, _ := r.doc(t).Find(`#upload-preview input[name="token"]`).Attr("value")
				if token == "" {
					t.Fatal("no token in the preview")
				}
				return token
			}
			stored := func() int {
				n, err := e1.db.NewSelect().Table("filings").Where("source = 'upload'").Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return int(n)
			}
			c1 := e1.unitClient(ownUnit, models.RoleClerkFiler)
			c2 := *c1
			c2.e = e2 // the same session, through the other instance

			token := preview(c1)
			r := c2.post("/portal/filings/upload/confirm", url.Values{"token": {token}, "mode": {"all_or_none"}})
			wantStatus(t, r, http.StatusOK)
			if n := stored(); n != 2 {
				t.Fatalf("%d rows stored through the second instance, want 2", n)
			}
			r = c1.post("/portal/filings/upload/confirm", url.Values{"token": {token}, "mode": {"all_or_none"}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if n := stored(); n != 2 {
				t.Fatalf("the spent token stored again: %d rows", n)
			}
		})
	}
}

// TestPayrollWithdrawalOfDependent: a joint 退保 file as payroll software
// writes it has no 眷屬 columns, and its 眷屬 row names only the dependant.
// The insured and the 稱謂 come from the unit's roster; a dependant not on
// it is refused in words, and another unit's roster is never read.
func TestPayrollWithdrawalOfDependent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	insured := ruleInsured(7300001)
	child := insured
	child.Person, child.DependentID, child.Name, child.Sex, child.Relation, child.Reason, child.Amount =
		rules.PersonDependent, twid.MakeNationalID('B', 2, 7300002), "陳小華", "F", "3", "D1", 0
	child.Birth = modelstest.Clock.AddDate(-10, 0, 0).Truncate(24 * 3600e9)
	fileAs(t, e, ownUnit, insured)
	fileAs(t, e, ownUnit, child)
	// Another unit insures someone with a dependant too.
	strangerChild := child
	strangerChild.InsuredID, strangerChild.DependentID = twid.MakeNationalID('A', 1, 7300003), twid.MakeNationalID('B', 2, 7300004)
	strangerInsured := insured
	strangerInsured.InsuredID = strangerChild.InsuredID
	fileAs(t, e, otherUnit, strangerInsured)
	fileAs(t, e, otherUnit, strangerChild)

	header := []string{"異動別", "勞工保險證號", "勞工保險證號檢查碼", "健保投保單位代碼", "健保業務組別", "投保別", "投保者", "被保險人外籍",
		"被保險人姓名", "被保險人身分證號", "居留證號", "被保險人出生日期", "健保退保原因別", "退保原因說明別", "退保原因說明", "健保退保原因發生日期"}
	day := rocdate.FormatCompact(modelstest.Clock.AddDate(0, 0, 10))
	row := func(id, name string, birth time.Time) []string {
		m := map[string]string{"異動別": "2", "投保者": "2", "被保險人姓名": name, "被保險人身分證號": id,
			"被保險人出生日期": rocdate.FormatCompact(birth), "健保退保原因別": "E5", "健保退保原因發生日期": day}
		out := make([]string, len(header))
		for i, h := range header {
			out[i] = m[h]
		}
		return out
	}
	file, err := filingcsv.WriteXLSX([][]string{header, row(child.DependentID, child.Name, child.Birth), row(strangerChild.DependentID, strangerChild.Name, strangerChild.Birth)})
	if err != nil {
		t.Fatal(err)
	}
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	r := c.multipartPost("/portal/filings/upload", map[string]string{"mode": "valid_only"}, map[string][2]string{"file": {"out.xlsx", string(file)}})
	wantContains(t, r, "匯入 1 筆", "第 3 行", strangerChild.DependentID+" 在退保日期前不在本單位的投保名單上")
	var got []models.Filing
	if err := e.db.NewSelect().Model(&got).Where("unit_id = ? AND kind = ?", e.unitID(ownUnit), rules.KindWithdraw).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].InsuredID != insured.InsuredID || got[0].DependentID != child.DependentID || got[0].Relation != "3" || got[0].Person != rules.PersonDependent {
		t.Fatalf("withdrawals stored: %+v; want the dependant %s of %s with 稱謂 3", got, child.DependentID, insured.InsuredID)
	}
}
