package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// The preview of 媒體上傳: the read rows wait in the database (models'
// upload previews), gzipped JSON of the parsed filings, not the file, for
// the clerk's confirmation on whichever instance it reaches. They are
// checked again when stored.

const previewRows = 20 // rows shown in the preview

// savedUpload is a parsedUpload as the preview keeps it.
type savedUpload struct {
	Result   *filingcsv.Result
	Good     []rules.Filing
	Lines    []int
	Rejected []UploadRow
}

// keepPreview stores up as the unit's and clerk's preview and returns its
// token.
func (s *Server) keepPreview(ctx context.Context, unitID, clerkID int64, up *parsedUpload) (string, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // the level is valid
	if err := json.NewEncoder(zw).Encode(savedUpload{up.res, up.good, up.lines, up.rejected}); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return s.Store.KeepUploadPreview(ctx, unitID, clerkID, buf.Bytes())
}

// takePreview takes back the preview the token names; nil when there is
// none for this unit and clerk (expired, confirmed already, another's).
func (s *Server) takePreview(ctx context.Context, token string, unitID, clerkID int64) (*parsedUpload, error) {
	body, err := s.Store.TakeUploadPreview(ctx, token, unitID, clerkID)
	if err != nil || body == nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("upload preview: %w", err)
	}
	var su savedUpload
	if err := json.NewDecoder(zr).Decode(&su); err != nil {
		return nil, fmt.Errorf("upload preview: %w", err)
	}
	if su.Result == nil || len(su.Good) != len(su.Lines) {
		return nil, errors.New("upload preview: malformed")
	}
	return &parsedUpload{res: su.Result, good: su.Good, lines: su.Lines, rejected: su.Rejected}, nil
}

// UploadPreview is the preview of a read file.
type UploadPreview struct {
	Token   string
	Good    int // rows that pass the rules now
	Shown   []PreviewRow
	More    int // rows not shown
	Problem int // rows with an error or a code
}

// PreviewRow is one row of the preview.
type PreviewRow struct {
	Line                     int
	Kind, Person, Name, ID   string
	Birth, Effective, Amount string
	Err                      string
	Codes                    []rules.Info
}

// previewUpload checks the rows without storing them and shows the first
// ones with their codes and the confirmation form.
func (s *Server) previewUpload(c *fiber.Ctx, vm UploadView, up *parsedUpload) error {
	p := principal(c)
	by := models.Filer{Actor: p.Actor(c), UnitID: p.UnitID, ClerkID: p.ClerkID, Source: "upload"}
	refused, err := s.Store.PreviewFilings(c.UserContext(), by, up.good)
	if err != nil {
		return err
	}
	vm.Encoding, vm.Rows = up.res.Encoding, len(up.res.Rows)
	vm.Layout, vm.Ignored = layoutName(up.res.Layout), up.res.Ignored
	codes := map[int][]rules.Info{}
	for _, r := range refused {
		codes[up.lines[r.Index]] = r.Codes
	}
	errs := map[int]string{}
	for _, r := range up.rejected {
		errs[r.Line] = r.Err
	}
	pv := &UploadPreview{Good: len(up.good) - len(refused), Problem: len(up.rejected) + len(refused)}
	for _, r := range up.res.Rows {
		if len(pv.Shown) == previewRows {
			pv.More = len(up.res.Rows) - previewRows
			break
		}
		f := r.Filing
		row := PreviewRow{Line: r.Line, Kind: kindNames[f.Kind], Person: personNames[f.Person], Name: f.Name, ID: twid.Mask(personID(f)),
			Err: errs[r.Line], Codes: codes[r.Line]}
		if !f.Birth.IsZero() {
			row.Birth = rocdate.Format(f.Birth)
		}
		if !f.EffectiveDate.IsZero() {
			row.Effective = rocdate.Format(f.EffectiveDate)
		}
		if f.Amount > 0 {
			row.Amount = strconv.Itoa(f.Amount)
			if f.PartTime {
				row.Amount += "（部分工時）"
			}
		}
		pv.Shown = append(pv.Shown, row)
	}
	if pv.Token, err = s.keepPreview(c.UserContext(), p.UnitID, p.ClerkID, up); err != nil {
		return err
	}
	vm.Preview = pv
	return s.render(c, fiber.StatusOK, "upload", vm)
}

// confirmUpload stores the previewed rows as the clerk chose: all or
// nothing, or the valid rows only.
func (s *Server) confirmUpload(c *fiber.Ctx) error {
	p := principal(c)
	vm := s.uploadView(c)
	vm.AllOrNone = c.FormValue("mode") != "valid_only"
	up, err := s.takePreview(c.UserContext(), c.FormValue("token"), p.UnitID, p.ClerkID)
	if err != nil {
		return err
	}
	if up == nil {
		if c.FormValue("token") == "" {
			return apperr.New(apperr.Invalid, "沒有要匯入的資料，請重新上傳檔案。")
		}
		vm.FileErr = "預覽已逾時（30 分鐘）或已匯入，請重新上傳檔案。"
		return s.render(c, fiber.StatusUnprocessableEntity, "upload", vm)
	}
	return s.importUpload(c, vm, up)
}

// personID is the ID of the person a filing is for.
func personID(f rules.Filing) string {
	if f.Person == rules.PersonDependent {
		return f.DependentID
	}
	return f.InsuredID
}
