package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// createFiling validates and stores one filing: refused with its codes
// explained at once, or stored as 審核正確. Code 2 alone is a warning: the
// form asks for a reason, and the confirm button files with it.
func (s *Server) createFiling(c *fiber.Ctx) error {
	p := principal(c)
	f, values, errs := readFiling(c)
	vm := s.filingForm(c)
	vm.Values, vm.Errors = values, errs
	confirm := c.FormValue("confirm_age") == "1"
	conf := models.AgeConfirmation{Reason: strings.Clone(c.FormValue("age_confirm")), Note: strings.Clone(c.FormValue("age_confirm_note"))}
	vm.Values["age_confirm"], vm.Values["age_confirm_note"] = conf.Reason, conf.Note
	if len(errs) > 0 {
		return s.render(c, fiber.StatusUnprocessableEntity, "filing_form", vm)
	}
	ctx := c.UserContext()
	by := models.Filer{Actor: p.Actor(c), UnitID: p.UnitID, ClerkID: p.ClerkID, Source: "web"}
	var stored *models.Filing
	var err error
	if confirm {
		stored, err = s.Store.SubmitConfirmedFiling(ctx, by, f, conf)
	} else {
		stored, err = s.Store.SubmitFiling(ctx, by, f)
	}
	if answered, err := s.repeatedSubmit(c, err, "申報", func(id int64) string { return "/portal/filings/new?done=" + strconv.FormatInt(id, 10) }); answered {
		return err
	}
	if answered, err := s.filingRefused(c, vm, confirm, err); answered || err != nil {
		return err
	}
	s.flash(c, "已申報，檢核結果：審核正確。")
	return redirect(c, "/portal/filings/new?done="+strconv.FormatInt(stored.ID, 10))
}

// filingRefused shows the form again when a filing (new or a correction)
// was refused: with its codes, a warning alone asking to be confirmed; or,
// when a confirmation's reason is missing or wrong, with code 2 standing
// and the reason's field errors. It reports whether it answered; any other
// error is returned as it is.
func (s *Server) filingRefused(c *fiber.Ctx, vm FilingFormView, confirm bool, err error) (bool, error) {
	var br *models.BatchRefused
	if errors.As(err, &br) {
		if codes := br.Rows[0].Codes; onlyWarnings(codes) {
			vm.AgeWarning = codes
		} else {
			vm.Refused = codes
		}
		return true, s.render(c, fiber.StatusUnprocessableEntity, "filing_form", vm)
	}
	if e, ok := apperr.As(err); ok && confirm && e.Code == apperr.Invalid && len(e.Fields) > 0 {
		for k, v := range e.Fields {
			vm.Errors[k] = v
		}
		var xerr error
		if vm.AgeWarning, xerr = explainCodes(c.UserContext(), s.Store, rules.CodeDescendantAge); xerr != nil {
			return true, xerr
		}
		return true, s.render(c, fiber.StatusUnprocessableEntity, "filing_form", vm)
	}
	return false, err
}

// onlyWarnings reports whether a refusal's codes are all warnings the
// clerk may confirm.
func onlyWarnings(codes []rules.Info) bool {
	r := rules.Result{}
	for _, i := range codes {
		r.Codes = append(r.Codes, i.Code)
	}
	return r.OnlyWarnings()
}

// explainCodes returns the code table's entries (the database's copy) for codes.
func explainCodes(ctx context.Context, st *models.Store, codes ...rules.Code) ([]rules.Info, error) {
	table, err := models.ErrorCodes(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	var out []rules.Info
	for _, i := range table {
		if slices.Contains(codes, i.Code) {
			out = append(out, i)
		}
	}
	return out, nil
}
