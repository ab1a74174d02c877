package handlers

import (
	"fmt"
	"io"
	"mime/multipart"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/upload"
	"github.com/multicert/multicert/models"
)

// RequestsView is the model of 基本資料變更-需證明文件 (Q9.1): the form and
// the unit's requests.
type RequestsView struct {
	Page
	Unit      *models.Unit
	Requests  []models.ChangeRequest
	Form      models.ChangeRequestInput
	Effective string // as typed, ROC
	Reg       AddressField
	Errors    map[string]string
	Pending   bool
}

func (s *Server) requestsView(c *fiber.Ctx) (RequestsView, error) {
	p := principal(c)
	ctx := c.UserContext()
	u, err := models.UnitByID(ctx, s.Store.R(), p.Scope(), p.UnitID)
	if err != nil {
		return RequestsView{}, err
	}
	rs, err := models.ChangeRequestsOfUnit(ctx, s.Store.R(), u.ID)
	if err != nil {
		return RequestsView{}, err
	}
	vm := RequestsView{Page: s.page(c, "基本資料變更-需證明文件", "requests"), Unit: u, Requests: rs,
		Reg: addressField("reg", "變更登記地址", models.Address{}, nil)}
	for _, r := range rs {
		if r.Status == models.RequestPending {
			vm.Pending = true
		}
	}
	return vm, nil
}

// showRequests shows the form and the unit's requests with their timeline.
func (s *Server) showRequests(c *fiber.Ctx) error {
	vm, err := s.requestsView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_requests", vm)
}

// readDocument reads one uploaded proof document, checked by content and size.
func readDocument(fh *multipart.FileHeader, label string) (*models.Upload, error) {
	if fh.Size > models.MaxDocumentBytes {
		return nil, apperr.Newf(apperr.TooLarge, "%s「%s」超過 10 MB，請縮小檔案（例如降低掃描解析度）後再上傳。", label, upload.DisplayName(fh.Filename))
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, models.MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	typ, err := upload.Check(label, fh.Filename, b, models.MaxDocumentBytes)
	if err != nil {
		return nil, err
	}
	return &models.Upload{FileName: upload.DisplayName(fh.Filename), ContentType: typ, Data: b}, nil
}

// createRequest files a change request with its proof documents.
func (s *Server) createRequest(c *fiber.Ctx) error {
	p := principal(c)
	vm, err := s.requestsView(c)
	if err != nil {
		return err
	}
	in := models.ChangeRequestInput{
		ChangeName: c.FormValue("change_name") == "1", NewName: c.FormValue("new_name"),
		ChangeReg: c.FormValue("change_reg") == "1", NewReg: addressFromForm(c, "reg"),
		ContactName: c.FormValue("contact_name"), ContactPhone: c.FormValue("contact_phone"),
	}
	vm.Effective = strings.TrimSpace(c.FormValue("effective_date"))
	errs := map[string]string{}
	if vm.Effective != "" {
		if d, err := rocdate.Parse(vm.Effective); err != nil {
			errs["effective_date"] = err.Error()
		} else {
			in.EffectiveDate = d
		}
	}
	for i, field := range []string{"doc1", "doc2"} {
		fh, err := c.FormFile(field)
		if err != nil {
			continue // not chosen
		}
		doc, err := readDocument(fh, []string{"證明文件一", "證明文件二"}[i])
		if err != nil {
			if apperr.CodeOf(err) == apperr.TooLarge {
				return err // 413, with the message
			}
			e, ok := apperr.As(err)
			if !ok {
				return err
			}
			errs[field] = e.Message
			continue
		}
		in.Documents = append(in.Documents, *doc)
	}
	showAgain := func(e *apperr.Error, status int) error {
		for k, v := range e.Fields {
			if _, ok := errs[k]; !ok {
				errs[k] = v
			}
		}
		if len(errs) == 0 {
			errs["form"] = e.Message
		}
		vm.Form, vm.Errors = in, errs
		vm.Reg = addressField("reg", "變更登記地址", models.NormalizeAddress(in.NewReg), errs)
		return s.render(c, status, "portal_requests", vm)
	}
	if len(errs) > 0 {
		if err := in.Validate(s.Store.Now().In(models.Taipei())); err != nil {
			e, _ := apperr.As(err)
			return showAgain(e, fiber.StatusUnprocessableEntity)
		}
		return showAgain(apperr.New(apperr.Invalid, "申請資料有誤。"), fiber.StatusUnprocessableEntity)
	}
	req, err := s.Store.SubmitChangeRequest(c.UserContext(), p.Actor(c), p.UnitID, in)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || (e.Code != apperr.Invalid && e.Code != apperr.Conflict) {
			return err
		}
		status := fiber.StatusUnprocessableEntity
		if e.Code == apperr.Conflict {
			status = fiber.StatusConflict
		}
		return showAgain(e, status)
	}
	s.flash(c, "已送出申請（案號 "+strconv.FormatInt(req.ID, 10)+"），請等候本署審核；審核結果會顯示在此，並以電子郵件通知。")
	return redirect(c, "/portal/requests/"+strconv.FormatInt(req.ID, 10))
}

// RequestView is the model of one request with its timeline.
type RequestView struct {
	Page
	Request   *models.ChangeRequest
	OldName   string
	OldReg    models.Address
	Effective string
	CanCancel bool
}

// showRequest shows one request: before and after, documents, timeline.
func (s *Server) showRequest(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "rid")
	if err != nil {
		return err
	}
	r, err := models.ChangeRequestByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	safeNames(r)
	vm := RequestView{Page: s.page(c, "申請案件 "+strconv.FormatInt(r.ID, 10), "requests"), Request: r,
		Effective: rocdate.Format(r.Effective()), CanCancel: r.Status == models.RequestPending && s.may(c, "change_request", "cancel")}
	vm.OldName, vm.OldReg = r.Before()
	return s.render(c, fiber.StatusOK, "portal_request", vm)
}

// safeNames strips controls from the documents' names for display again:
// names stored before uploads were checked for them may still hold
// right-to-left overrides.
func safeNames(r *models.ChangeRequest) {
	for i := range r.Documents {
		r.Documents[i].FileName = upload.DisplayName(r.Documents[i].FileName)
	}
}

// cancelRequest withdraws a pending request.
func (s *Server) cancelRequest(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "rid")
	if err != nil {
		return err
	}
	if err := s.Store.CancelChangeRequest(c.UserContext(), p.Actor(c), p.UnitID, id); err != nil {
		return err
	}
	s.flash(c, "已取消申請。")
	return redirect(c, "/portal/requests/"+strconv.FormatInt(id, 10))
}

// downloadDocument sends a proof document as an attachment (see
// sendDocument); the request page draws PDFs from these bytes with PDF.js.
func (s *Server) downloadDocument(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "did")
	if err != nil {
		return err
	}
	d, err := models.DocumentByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return err
	}
	return sendDocument(c, d)
}

// sendDocument writes a stored document so that no browser renders it:
// always an attachment (a link opened in a new window downloads; a PDF's
// JavaScript never runs in the browser's viewer), never sniffed, and
// sandboxed should anything display it anyway. fetch (PDF.js) and <img>
// ignore the disposition. The file name is the display name, stripped of
// controls when uploaded, with the extension of the stored type, in
// RFC 6266 / RFC 5987 form with an ASCII fallback.
func sendDocument(c *fiber.Ctx, d *models.ChangeDocument) error {
	ext := upload.Extension(d.ContentType)
	fallback := "document-" + strconv.FormatInt(d.ID, 10) + ext
	name := upload.DisplayName(d.FileName)
	if !strings.EqualFold(path.Ext(name), ext) && !(ext == ".jpg" && strings.EqualFold(path.Ext(name), ".jpeg")) {
		name += ext
	}
	c.Set(fiber.HeaderContentType, d.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+fallback+`"; filename*=UTF-8''`+rfc5987(name))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderLastModified, d.CreatedAt.UTC().Format(time.RFC1123))
	return c.Status(fiber.StatusOK).Send(d.Data)
}

// rfc5987 percent-encodes s as an RFC 5987 ext-value: every byte but the
// attr-chars.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
