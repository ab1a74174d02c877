package handlers

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// SampleView is the model of one sample: its decisions with their
// verdicts, and forms for those not yet judged.
type SampleView struct {
	Page
	Sample  *models.SampleDetail
	Items   []SampleItemView
	Pending int
}

// SampleItemView is one sampled decision; the sample page and the HTMX
// answer to a verdict render it alike (template sample_item).
type SampleItemView struct {
	models.SampleItemDetail
	SampleID int64
	Diff     AuditDiff
	CanJudge bool
	CSRF     string
	// FormVerdict and FormNote are the form as sent, when it comes back
	// with Errors.
	FormVerdict, FormNote string
	Errors                map[string]string
	// Message says that the verdict was recorded (Alert "ok"), why not
	// ("error"), or that it had been already ("warn").
	Message, Alert string
}

// URL is where the item's verdict is posted.
func (v SampleItemView) URL() string {
	return "/console/samples/" + strconv.FormatInt(v.SampleID, 10) + "/items/" + strconv.FormatInt(v.ID, 10) + "/verdict"
}

func (s *Server) sampleView(c *fiber.Ctx, id int64) (SampleView, error) {
	p := principal(c)
	d, err := models.SampleByID(c.UserContext(), s.Store.R(), p.Scope(), id)
	if err != nil {
		return SampleView{}, err
	}
	vm := SampleView{Page: s.page(c, "抽樣 "+strconv.FormatInt(d.ID, 10), "samples"), Sample: d}
	canJudge := s.may(c, "sample", "update")
	for _, it := range d.Items {
		iv := SampleItemView{SampleItemDetail: it, SampleID: d.ID, CanJudge: canJudge, CSRF: vm.CSRF}
		if it.Event != nil {
			iv.Diff = diffJSON(it.Event.BeforeJSON, it.Event.AfterJSON)
		}
		if it.Verdict == nil {
			vm.Pending++
		}
		vm.Items = append(vm.Items, iv)
	}
	return vm, nil
}

// showSample shows a sample's decisions, each with its event, before and
// after, and its verdict or (for supervisors) the form to record one.
func (s *Server) showSample(c *fiber.Ctx) error {
	id, err := paramID(c, "sid")
	if err != nil {
		return err
	}
	vm, err := s.sampleView(c, id)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "sample_show", vm)
}

// recordVerdict records 適當 or 有疑義 (with a note) on one sampled
// decision. An HTMX form gets its item back: judged, or with the messages;
// a plain form returns to the sample page. A recorded verdict is final:
// trying again answers 409 with who judged it and how.
func (s *Server) recordVerdict(c *fiber.Ctx) error {
	p := principal(c)
	sid, err := paramID(c, "sid")
	if err != nil {
		return err
	}
	iid, err := paramID(c, "iid")
	if err != nil {
		return err
	}
	in := models.VerdictInput{Verdict: strings.Clone(c.FormValue("verdict")), Note: strings.Clone(c.FormValue("note"))}
	_, err = s.Store.RecordVerdict(c.UserContext(), p.Actor(c), p.Scope(), sid, iid, in)
	e, coded := apperr.As(err)
	if err != nil && (!coded || (e.Code != apperr.Invalid && e.Code != apperr.Conflict)) {
		return err
	}
	if err == nil && !isHTMX(c) {
		s.flash(c, "已記錄覆核結果。")
		return redirect(c, "/console/samples/"+strconv.FormatInt(sid, 10)+"#item-"+strconv.FormatInt(iid, 10))
	}
	vm, verr := s.sampleView(c, sid)
	if verr != nil {
		return verr
	}
	status := fiber.StatusOK
	idx := -1
	for i := range vm.Items {
		if vm.Items[i].ID == iid {
			idx = i
		}
	}
	if idx < 0 {
		return apperr.New(apperr.NotFound, "查無此抽樣項目。")
	}
	it := &vm.Items[idx]
	switch {
	case err == nil:
		it.Message, it.Alert = "已記錄覆核結果。", "ok"
	case e.Code == apperr.Invalid:
		status = fiber.StatusUnprocessableEntity
		it.FormVerdict, it.FormNote, it.Errors = in.Verdict, in.Note, e.Fields
		it.Message, it.Alert = e.Message, "error"
	default: // Conflict: judged already; the item shows the recorded verdict
		status = fiber.StatusConflict
		it.Message, it.Alert = e.Message, "warn"
	}
	c.Vary("HX-Request")
	if isHTMX(c) {
		return c.Status(status).Render("sample_item", *it)
	}
	return s.render(c, status, "sample_show", vm)
}
