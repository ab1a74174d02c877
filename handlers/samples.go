package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
)

// samplesShown is how many samples the list shows, newest first.
const samplesShown = 100

// SamplesView is the model of the sampling page (抽樣覆核): the samples
// and, for supervisors, the form that draws a new one.
type SamplesView struct {
	Page
	Samples []models.SampleSummary
	CanDraw bool
	Size    string // as typed
	Errors  map[string]string
	MaxSize int
	Window  int // days
}

func (s *Server) samplesView(c *fiber.Ctx) (SamplesView, error) {
	p := principal(c)
	list, err := models.Samples(c.UserContext(), s.Store.R(), p.Scope(), samplesShown)
	if err != nil {
		return SamplesView{}, err
	}
	return SamplesView{Page: s.page(c, "抽樣覆核", "samples"), Samples: list, CanDraw: s.may(c, "sample", "create"),
		Size: "10", MaxSize: models.MaxSampleSize, Window: int(models.SampleWindow.Hours() / 24)}, nil
}

// showSamples lists the samples of the user's branch (all for head office).
func (s *Server) showSamples(c *fiber.Ctx) error {
	vm, err := s.samplesView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "sample_list", vm)
}

// drawSample draws a new sample of the past week's decisions and opens it.
func (s *Server) drawSample(c *fiber.Ctx) error {
	p := principal(c)
	size := strings.Clone(strings.TrimSpace(c.FormValue("size")))
	n, convErr := strconv.Atoi(size)
	var smp *models.Sample
	var err error = apperr.InvalidFields("抽樣筆數有誤。", map[string]string{"size": fmt.Sprintf("請輸入 1 到 %d 之間的整數。", models.MaxSampleSize)})
	if convErr == nil {
		smp, err = s.Store.DrawSample(c.UserContext(), p.Actor(c), p.Scope(), n)
	}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || (e.Code != apperr.Invalid && e.Code != apperr.Conflict) {
			return err
		}
		vm, verr := s.samplesView(c)
		if verr != nil {
			return verr
		}
		vm.Size, vm.Errors = size, e.Fields
		if len(vm.Errors) == 0 {
			vm.Errors = map[string]string{"size": e.Message}
		}
		status := fiber.StatusUnprocessableEntity
		if e.Code == apperr.Conflict {
			status = fiber.StatusConflict
		}
		return s.render(c, status, "sample_list", vm)
	}
	msg := fmt.Sprintf("已抽出 %d 筆決定紀錄，請逐筆覆核。", smp.Size)
	if smp.Size < n {
		msg = fmt.Sprintf("近 %d 日內尚未抽樣的決定只有 %d 筆，已全部抽出，請逐筆覆核。", int(models.SampleWindow.Hours()/24), smp.Size)
	}
	s.flash(c, msg)
	return redirect(c, "/console/samples/"+strconv.FormatInt(smp.ID, 10))
}
