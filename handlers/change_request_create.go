package handlers

import (
	"io"
	"mime/multipart"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/upload"
	"github.com/multicert/multicert/models"
)

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
		return s.render(c, status, "change_request_list", vm)
	}
	if len(errs) > 0 {
		if err := in.Validate(s.Store.Now().In(models.Taipei())); err != nil {
			e, _ := apperr.As(err)
			return showAgain(e, fiber.StatusUnprocessableEntity)
		}
		return showAgain(apperr.New(apperr.Invalid, "申請資料有誤。"), fiber.StatusUnprocessableEntity)
	}
	req, err := s.Store.SubmitChangeRequest(c.UserContext(), p.Actor(c), p.UnitID, in)
	if answered, err := s.repeatedSubmit(c, err, "申請", func(id int64) string { return "/portal/requests/" + strconv.FormatInt(id, 10) }); answered {
		return err
	}
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
