package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// The preview of 媒體上傳: the read rows wait here, in this process's
// memory, for the clerk's confirmation. They are the parsed filings, not the
// file, and are checked again when stored. A restart or another instance
// behind a load balancer loses them: the clerk is asked to upload again.

// Bounds of the waiting previews: 10,000 filings are a few megabytes.
const (
	previewTTL  = 30 * time.Minute
	maxPreviews = 32
	previewRows = 20 // rows shown in the preview
)

type pendingUpload struct {
	unitID, clerkID int64
	up              *parsedUpload
	expires         time.Time
}

// pendingUploads holds previews by a random token.
type pendingUploads struct {
	mu sync.Mutex
	m  map[string]*pendingUpload
}

func (p *pendingUploads) put(now time.Time, pu *pendingUpload) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	token := hex.EncodeToString(b[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*pendingUpload{}
	}
	var oldest string
	for k, v := range p.m {
		// One preview per clerk; expired ones go.
		if now.After(v.expires) || v.unitID == pu.unitID && v.clerkID == pu.clerkID {
			delete(p.m, k)
		} else if oldest == "" || v.expires.Before(p.m[oldest].expires) {
			oldest = k
		}
	}
	if len(p.m) >= maxPreviews {
		delete(p.m, oldest)
	}
	pu.expires = now.Add(previewTTL)
	p.m[token] = pu
	return token
}

// take removes and returns the unit's and clerk's preview.
func (p *pendingUploads) take(now time.Time, token string, unitID, clerkID int64) *pendingUpload {
	p.mu.Lock()
	defer p.mu.Unlock()
	pu, ok := p.m[token]
	if !ok || pu.unitID != unitID || pu.clerkID != clerkID {
		return nil
	}
	delete(p.m, token)
	if now.After(pu.expires) {
		return nil
	}
	return pu
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
	pv.Token = s.uploads.put(s.Store.Now(), &pendingUpload{unitID: p.UnitID, clerkID: p.ClerkID, up: up})
	vm.Preview = pv
	return s.render(c, fiber.StatusOK, "upload", vm)
}

// confirmUpload stores the previewed rows as the clerk chose: all or
// nothing, or the valid rows only.
func (s *Server) confirmUpload(c *fiber.Ctx) error {
	p := principal(c)
	vm := s.uploadView(c)
	vm.AllOrNone = c.FormValue("mode") != "valid_only"
	pu := s.uploads.take(s.Store.Now(), c.FormValue("token"), p.UnitID, p.ClerkID)
	if pu == nil {
		if c.FormValue("token") == "" {
			return apperr.New(apperr.Invalid, "沒有要匯入的資料，請重新上傳檔案。")
		}
		vm.FileErr = "預覽已逾時（30 分鐘）或已匯入，請重新上傳檔案。"
		return s.render(c, fiber.StatusUnprocessableEntity, "upload", vm)
	}
	return s.importUpload(c, vm, pu.up)
}

// personID is the ID of the person a filing is for.
func personID(f rules.Filing) string {
	if f.Person == rules.PersonDependent {
		return f.DependentID
	}
	return f.InsuredID
}
