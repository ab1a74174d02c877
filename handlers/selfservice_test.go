package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func auditCount(t *testing.T, db bun.IDB, action string) int {
	t.Helper()
	n, err := db.NewSelect().Table("audit_events").Where("action = ?", action).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestAddClerkWithNHICard(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.unitClient(ownUnit, models.RoleUnitOwner)
		id := twid.MakeNationalID('H', 2, 7654321)
		good := url.Values{"card_type": {"nhi_card"}, "card_no": {"000012345678"}, "card_id_no": {id}, "id_no": {id},
			"name": {"陳美玲"}, "email": {"meiling@example.com.tw"}, "may_file": {"1"}}
		for _, tc := range []struct {
			name, field, value, want string
		}{
			{"no card read", "card_no", "", "按「讀取」"},
			{"bad ID checksum", "id_no", id[:9] + string('0'+(id[9]-'0'+1)%10), "檢查碼"},
			{"ID of another person than the card", "id_no", twid.MakeNationalID('A', 1, 1), "與讀卡機中的健保卡不符"},
			{"no name", "name", "", "請輸入姓名"},
			{"bad e-mail", "email", "meiling@", "電子郵件信箱格式不正確"},
			{"no card type", "card_type", "", "請選擇憑證類別"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := url.Values{}
				for k, v := range good {
					f[k] = v
				}
				f.Set(tc.field, tc.value)
				r := c.post("/portal/handlers", f)
				wantStatus(t, r, http.StatusUnprocessableEntity)
				wantContains(t, r, tc.want)
				if tc.field != "card_no" && tc.field != "card_type" { // those have no input to mark
					wantContains(t, r, `aria-invalid="true"`)
				}
			})
		}
		before := auditCount(t, db, "clerk.add")
		r := c.post("/portal/handlers", good)
		wantStatus(t, r, http.StatusSeeOther)
		list := c.get("/portal/handlers")
		wantContains(t, list, "陳美玲", twid.Mask(id), "已新增承辦人", "允許使用所有加退保業務功能")
		wantNotContains(t, list, id)
		if auditCount(t, db, "clerk.add") != before+1 {
			t.Error("no clerk.add audit event")
		}
		e.clock.Advance(models.RepeatWindow + time.Second) // at once, the same form is a double submit (TestDoubleSubmit)
		if r := c.post("/portal/handlers", good); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "已指派") {
			t.Errorf("the same person twice: %d", r.StatusCode)
		}
		// Another unit does not see them.
		other := e.unitClient(otherUnit, models.RoleUnitOwner).get("/portal/handlers")
		wantStatus(t, other, http.StatusOK)
		wantNotContains(t, other, "陳美玲")
	})
}

func TestAddClerkWithCitizenCertificate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.unitClient(ownUnit, models.RoleUnitOwner)
	id := twid.MakeNationalID('B', 1, 2345678)
	card, err := devCA(t).IssueCitizen("林峯堃", id, modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"card_type": {"citizen_cert"}, "cert": {base64.StdEncoding.EncodeToString(card.Cert.Raw)},
		"id_no": {twid.MakeNationalID('B', 1, 1111111)}, "name": {"林峯堃"}, "email": {"lin@example.com"}}
	r := c.post("/portal/handlers", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "與讀卡機中的自然人憑證不符", "林峯堃")
	form.Set("id_no", id)
	wantStatus(t, c.post("/portal/handlers", form), http.StatusSeeOther)
	var h models.Clerk
	if err := e.db.NewSelect().Model(&h).Where("id_no = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.CardSerial != card.Cert.SerialNumber.Text(16) || h.CertIssuer == nil || *h.CertIssuer != card.Cert.Issuer.String() {
		t.Errorf("clerk bound to %s / %v, want the certificate's serial and issuer", h.CardSerial, h.CertIssuer)
	}

	other, err := devCAOther(t).IssueCitizen("王小明", twid.MakeNationalID('C', 1, 3), modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	form.Set("cert", base64.StdEncoding.EncodeToString(other.Cert.Raw))
	form.Set("id_no", twid.MakeNationalID('C', 1, 3))
	r = c.post("/portal/handlers", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "讀取的自然人憑證無法使用")
}

func TestRevokeClerkEndsTheirSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	owner := e.unitClient(ownUnit, models.RoleUnitOwner)
	clerk := e.unitClient(ownUnit, models.RoleClerkFiler)
	wantStatus(t, clerk.get("/portal"), http.StatusOK)
	var h models.Clerk
	if err := e.db.NewSelect().Model(&h).Where("name = ?", "測試"+models.RoleClerkFiler).Where("unit_id = ?", e.unitID(ownUnit)).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := owner.get("/portal/handlers")
	if !strings.Contains(page.body, `data-confirm="確定要刪除承辦人「測試clerk_filer」嗎？`) {
		t.Error("the delete button asks for no confirmation")
	}
	wantStatus(t, owner.post(fmt.Sprintf("/portal/handlers/%d/revoke", h.ID), nil), http.StatusSeeOther)
	wantContains(t, owner.get("/portal/handlers"), "已刪除承辦人「測試clerk_filer」")
	if r := clerk.get("/portal", "HX-Request", "true"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the revoked clerk's next request: %d, want 401", r.StatusCode)
	}
	if r := owner.post(fmt.Sprintf("/portal/handlers/%d/revoke", h.ID), nil); r.StatusCode != http.StatusConflict {
		t.Errorf("revoking twice: %d, want 409", r.StatusCode)
	}
}

func TestChangeUnitCertificate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	c := e.unitClient(ownUnit, models.RoleUnitOwner)
	var u models.Unit
	if err := e.db.NewSelect().Model(&u).Where("id = ?", e.unitID(ownUnit)).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	wantContains(t, c.get("/portal/certificate"), "單位憑證變更作業", "讀取")
	ca := devCA(t)
	send := func(der []byte, step string) *response {
		return c.post("/portal/certificate", url.Values{"cert": {base64.StdEncoding.EncodeToString(der)}, "step": {step}})
	}
	wrong, _ := ca.IssueBusiness("04595257", "別家公司", modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
	r := send(wrong.Cert.Raw, "check")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "不是貴單位的統一編號")
	expired, _ := ca.IssueBusiness(u.BAN, u.Name, modelstest.Clock.AddDate(-3, 0, 0), modelstest.Clock.AddDate(0, 0, -1))
	wantContains(t, send(expired.Cert.Raw, "check"), "憑證已過期")
	untrusted, _ := devCAOther(t).IssueBusiness(u.BAN, u.Name, modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
	wantContains(t, send(untrusted.Cert.Raw, "check"), "這張憑證不能使用")

	good, _ := ca.IssueBusiness(u.BAN, u.Name, modelstest.Clock.AddDate(0, -1, 0), modelstest.Clock.AddDate(3, 0, 0))
	r = send(good.Cert.Raw, "check")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "新憑證發行者", "新憑證主體", "新憑證序號", u.Name, u.BAN, `value="save"`)
	before, _ := models.ActiveAccount(ctx, e.db, models.ScopeAll, u.ID)
	wantStatus(t, send(good.Cert.Raw, "save"), http.StatusSeeOther)
	after, _ := models.ActiveAccount(ctx, e.db, models.ScopeAll, u.ID)
	if *after.CertSerial != good.Cert.SerialNumber.Text(16) || *after.CertSerial == *before.CertSerial {
		t.Errorf("account serial %s, want the new certificate's", *after.CertSerial)
	}
	if auditCount(t, e.db, "unit.cert_change") != 1 {
		t.Error("no unit.cert_change audit event")
	}
	// A clerk without management rights may not.
	if r := e.unitClient(ownUnit, models.RoleClerk).get("/portal/certificate"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a plain clerk opened the certificate page: %d", r.StatusCode)
	}
}

func TestLaborInsuranceNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.unitClient(ownUnit, models.RoleUnitOwner)
	for _, bad := range []string{"1234567", "ABCDEFGHI", "12345678AB", "1234 5678"} {
		r := c.post("/portal/unit/labor-insurance", url.Values{"labor_ins_no": {bad}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "勞保證號", "12345678A", `aria-invalid="true"`)
	}
	wantStatus(t, c.post("/portal/unit/labor-insurance", url.Values{"labor_ins_no": {"８７６５４３２１ｂ"}}), http.StatusSeeOther)
	r := c.get("/portal/unit")
	wantContains(t, r, "87654321B", "立即生效")
	if auditCount(t, e.db, "unit.labor_ins_no") != 1 {
		t.Error("no audit event")
	}
	if r := e.unitClient(ownUnit, models.RoleClerk).post("/portal/unit/labor-insurance", url.Values{"labor_ins_no": {"12345678A"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a plain clerk changed the 勞保證號: %d", r.StatusCode)
	}
}

func TestContactChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.unitClient(ownUnit, models.RoleUnitOwner)
	form := url.Values{"change_mail": {"1"}, "mail_county": {"台北市"}, "mail_township": {"中正區"}, "mail_village": {"建國里"},
		"mail_neighborhood": {"5"}, "mail_street": {"公園路15之1號"}, "phone": {"(02)2523-2388"}, "fax": {""}}
	for _, tc := range []struct{ field, value, want string }{
		{"mail_village", "光復里x", "沒有「光復里x」這個村里"},
		{"mail_township", "板橋區", "沒有「板橋區」這個鄉鎮市區"},
		{"mail_neighborhood", "abc", "鄰請輸入 1 到 999 的數字"},
		{"mail_street", "", "請輸入街路門號"},
		{"phone", "call me", "通訊電話格式不正確"},
		{"fax", "12", "電話傳真格式不正確"},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(tc.field, tc.value)
		r := c.post("/portal/unit/contact", f)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, tc.want)
	}
	wantStatus(t, c.post("/portal/unit/contact", form), http.StatusSeeOther)
	wantContains(t, c.get("/portal/unit"), "臺北市中正區建國里5鄰公園路15之1號")
	var ev models.AuditEvent
	if err := e.db.NewSelect().Model(&ev).Where("action = 'unit.contact'").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ev.BeforeJSON, "mail") || !strings.Contains(ev.AfterJSON, "臺北市中正區建國里") {
		t.Errorf("audit before %s after %s", ev.BeforeJSON, ev.AfterJSON)
	}
	opts := c.get("/address/townships?prefix=mail&mail_county=臺北市", "HX-Request", "true")
	wantContains(t, opts, "<option>中正區</option>", `hx-swap-oob`)
	vill := c.get("/address/villages?prefix=mail&mail_county=臺北市&mail_township=中正區", "HX-Request", "true")
	wantContains(t, vill, "<option>建國里</option>")
}

// multipartPost posts a multipart form with files.
func (c *client) multipartPost(path string, fields map[string]string, files map[string][2]string) *response {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", c.csrf) //nolint:errcheck
	for k, v := range fields {
		w.WriteField(k, v) //nolint:errcheck
	}
	for field, f := range files {
		fw, _ := w.CreateFormFile(field, f[0])
		fw.Write([]byte(f[1])) //nolint:errcheck
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func TestChangeRequestWithProof(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.unitClient(ownUnit, models.RoleUnitOwner)
		fields := map[string]string{"effective_date": "115/03/20", "change_reg": "1", "reg_county": "臺北市", "reg_township": "中正區",
			"reg_village": "建國里", "reg_neighborhood": "3", "reg_street": "公園路15之1號", "contact_name": "王大明", "contact_phone": "(02)2345-6789"}
		pdf := "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
		for _, tc := range []struct {
			name   string
			files  map[string][2]string
			mut    map[string]string
			status int
			want   string
		}{
			{"no document", nil, nil, http.StatusUnprocessableEntity, "請上傳證明文件"},
			{"HTML renamed to .pdf", map[string][2]string{"doc1": {"proof.pdf", "<html><script>alert(1)</script></html>"}}, nil,
				http.StatusUnprocessableEntity, "不是 PDF、JPEG 或 PNG 檔"},
			{"empty file", map[string][2]string{"doc1": {"empty.pdf", ""}}, nil, http.StatusUnprocessableEntity, "是空的檔案"},
			{"too large", map[string][2]string{"doc1": {"big.pdf", "%PDF-" + strings.Repeat("x", models.MaxDocumentBytes)}}, nil,
				http.StatusRequestEntityTooLarge, "超過 10 MB"},
			{"bad ROC date", map[string][2]string{"doc1": {"p.pdf", pdf}}, map[string]string{"effective_date": "115/02/30"},
				http.StatusUnprocessableEntity, "日期"},
			{"nothing ticked", map[string][2]string{"doc1": {"p.pdf", pdf}}, map[string]string{"change_reg": ""},
				http.StatusUnprocessableEntity, "請勾選要變更的項目"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := map[string]string{}
				for k, v := range fields {
					f[k] = v
				}
				for k, v := range tc.mut {
					f[k] = v
				}
				r := c.multipartPost("/portal/requests", f, tc.files)
				wantStatus(t, r, tc.status)
				wantContains(t, r, tc.want)
			})
		}
		r := c.multipartPost("/portal/requests", fields, map[string][2]string{"doc1": {"../../etc/營業登記.pdf", pdf},
			"doc2": {"map.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"}})
		wantStatus(t, r, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		page := c.get(loc)
		wantStatus(t, page, http.StatusOK)
		wantContains(t, page, "審核中", "115 年 3 月 20 日", "臺北市中正區建國里3鄰公園路15之1號", "營業登記.pdf", "map.png", "已送出", "取消申請")
		wantNotContains(t, page, "../")
		docLink, _ := page.doc(t).Find(`a[href^="/portal/documents/"]`).First().Attr("href")
		dl := c.get(docLink)
		wantStatus(t, dl, http.StatusOK)
		if dl.body != pdf || dl.Header.Get("Content-Type") != "application/pdf" || dl.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(dl.Header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("download: %q %q %q", dl.Header.Get("Content-Type"), dl.Header.Get("Content-Disposition"), dl.body)
		}
		// Another unit: 404 for the request and the document, not 403.
		other := e.unitClient(otherUnit, models.RoleUnitOwner)
		for _, p := range []string{loc, docLink} {
			if r := other.get(p); r.StatusCode != http.StatusNotFound {
				t.Errorf("another unit GET %s: %d, want 404", p, r.StatusCode)
			}
		}
		if r := other.post(loc+"/cancel", nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("another unit cancelling: %d, want 404", r.StatusCode)
		}
		// One pending request at a time (the same form again at once is a
		// double submit, answered with the first: TestDoubleSubmit).
		e.clock.Advance(models.RepeatWindow + time.Second)
		again := c.multipartPost("/portal/requests", fields, map[string][2]string{"doc1": {"p.pdf", pdf}})
		wantStatus(t, again, http.StatusConflict)
		wantContains(t, again, "已有一件審核中")
		wantContains(t, c.get("/portal"), "審核中的申請")
		wantStatus(t, c.post(loc+"/cancel", nil), http.StatusSeeOther)
		wantContains(t, c.get(loc), "已取消")
		wantStatus(t, c.multipartPost("/portal/requests", fields, map[string][2]string{"doc1": {"p.pdf", pdf}}), http.StatusSeeOther)
		for _, a := range []string{"change_request.submit", "change_request.cancel"} {
			if auditCount(t, db, a) == 0 {
				t.Errorf("no %s audit event", a)
			}
		}
	})
}
