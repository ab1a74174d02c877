package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/traditionalchinese"

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
