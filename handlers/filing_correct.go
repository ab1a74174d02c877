package handlers

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// 補正: a filing with error codes, or a 預辦 one before its effective
// date, is corrected by a new filing entered on the same form, pre-filled
// from it and validated as new.

// correctionForm is the entry form posting to the correction of f.
func (s *Server) correctionForm(c *fiber.Ctx, f *models.Filing) FilingFormView {
	vm := s.filingForm(c)
	vm.Title = "補正申報資料"
	vm.Action = "/portal/filings/" + strconv.FormatInt(f.ID, 10) + "/correct"
	vm.Correcting = f
	vm.OrigCodes, _ = explainCodes(c.UserContext(), s.Store, codesOf(f)...)
	return vm
}

// filingValues are a stored filing's values as the form shows them.
func filingValues(f *models.Filing) map[string]string {
	v := map[string]string{"kind": f.Kind, "person": f.Person, "operation": f.Operation, "category": f.Category,
		"insured_id": f.InsuredID, "dependent_id": f.DependentID, "name": f.Name, "sex": f.Sex, "relation": f.Relation, "reason": f.Reason,
		"birth": rocdate.FormatSlash(dateOf(f.Birth)), "effective_date": rocdate.FormatSlash(dateOf(f.EffectiveDate))}
	if f.Amount > 0 {
		v["amount"] = strconv.Itoa(f.Amount)
	}
	if f.LegalRep {
		v["legal_rep"] = "1"
	}
	if f.PartTime {
		v["part_time"] = "1"
	}
	return v
}

// loadFixable loads the unit's filing :fid (404 when absent or another
// unit's) and refuses one that can no longer be corrected or withdrawn.
func (s *Server) loadFixable(c *fiber.Ctx) (*models.Filing, error) {
	id, err := paramID(c, "fid")
	if err != nil {
		return nil, err
	}
	f, err := models.FilingByID(c.UserContext(), s.Store.R(), principal(c).UnitID, id)
	if err != nil {
		return nil, err
	}
	if f.Voided == models.FilingCorrected {
		return nil, apperr.New(apperr.Conflict, "這筆申報已經補正過了（補正後的申報編號 "+strconv.FormatInt(f.CorrectedBy, 10)+"），請到異動檢核後查詢查看。")
	}
	if !f.Fixable(s.todayTaipei()) {
		return nil, apperr.New(apperr.Conflict, "只有檢核有錯誤代碼、或生效日還沒到（預辦）的申報可以補正或撤回；這筆申報請另行申報退保或投保金額調整。")
	}
	return f, nil
}

// showCorrection shows the entry form pre-filled from the filing to correct.
func (s *Server) showCorrection(c *fiber.Ctx) error {
	f, err := s.loadFixable(c)
	if err != nil {
		return err
	}
	vm := s.correctionForm(c, f)
	vm.Values = filingValues(f)
	return s.render(c, fiber.StatusOK, "filing_form", vm)
}

// codesOf is a filing's stored codes.
func codesOf(f *models.Filing) []rules.Code {
	var out []rules.Code
	for _, c := range f.CodeList() {
		out = append(out, rules.Code(c))
	}
	return out
}

// createCorrection files the form as the correction of :fid: refused with
// its codes explained (nothing changes), or stored as 審核正確 with the
// original marked 已補正. A repeated submit answers 409.
func (s *Server) createCorrection(c *fiber.Ctx) error {
	p := principal(c)
	orig, err := s.loadFixable(c)
	if err != nil {
		return err
	}
	f, values, errs := readFiling(c)
	vm := s.correctionForm(c, orig)
	vm.Values, vm.Errors = values, errs
	confirm := c.FormValue("confirm_age") == "1"
	conf := models.AgeConfirmation{Reason: strings.Clone(c.FormValue("age_confirm")), Note: strings.Clone(c.FormValue("age_confirm_note"))}
	vm.Values["age_confirm"], vm.Values["age_confirm_note"] = conf.Reason, conf.Note
	if len(errs) > 0 {
		return s.render(c, fiber.StatusUnprocessableEntity, "filing_form", vm)
	}
	ctx := c.UserContext()
	by := models.Filer{Actor: p.Actor(c), UnitID: p.UnitID, ClerkID: p.ClerkID, Source: "web"}
	var confp *models.AgeConfirmation
	if confirm {
		confp = &conf
	}
	stored, err := s.Store.CorrectFiling(ctx, by, orig.ID, f, confp)
	if answered, err := s.filingRefused(c, vm, confirm, err); answered || err != nil {
		return err
	}
	s.flash(c, "已補正，檢核結果：審核正確。原申報資料已標示為「已補正」。")
	return redirect(c, "/portal/filings/new?done="+strconv.FormatInt(stored.ID, 10))
}
