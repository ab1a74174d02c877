package handlers

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// Filing entry (加保、退保、薪調, Q10): the form and reading it.

// filingFields are the entry form's fields read through rules.Filing.Set.
var filingFields = []string{"insured_id", "dependent_id", "name", "sex", "birth", "relation", "reason", "amount", "effective_date", "part_time"}

// FilingFormView is the model of the entry form.
type FilingFormView struct {
	Page
	Values    map[string]string
	Errors    map[string]string
	Refused   []rules.Info
	Relations []struct{ Code, Name string }
	Reasons   []rules.Reason
	Done      *models.Filing
	// AgeWarning is code 2 when it is the filing's only code: the clerk
	// may confirm it with one of AgeReasons and file.
	AgeWarning []rules.Info
	AgeReasons []struct{ Code, Name string }
	// Action is where the form posts: a new filing, or the correction of
	// Correcting (補正).
	Action     string
	Correcting *models.Filing
	OrigCodes  []rules.Info // Correcting's codes, explained
}

// ageReasons are the reasons a clerk may give for confirming code 2.
var ageReasons = []struct{ Code, Name string }{{models.AgeAdopted, "養子女"}, {models.AgeStep, "繼子女"}, {models.AgeOther, "其他"}}

func (s *Server) filingForm(c *fiber.Ctx) FilingFormView {
	return FilingFormView{Page: s.page(c, "加退保申報", "filing"), Values: map[string]string{"kind": rules.KindAdd, "person": rules.PersonInsured,
		"operation": "health"}, Errors: map[string]string{}, Relations: rules.Relations, Reasons: rules.Reasons, AgeReasons: ageReasons,
		Action: "/portal/filings"}
}

// showFilingForm shows the entry form; ?done=<id> confirms the last filing.
func (s *Server) showFilingForm(c *fiber.Ctx) error {
	vm := s.filingForm(c)
	if id, err := strconv.ParseInt(c.Query("done"), 10, 64); err == nil {
		p := principal(c)
		fs, err := models.RecentFilingsOfUnit(c.UserContext(), s.Store.R(), principal(c).Scope(), p.UnitID, false, 20)
		if err != nil {
			return err
		}
		for i := range fs {
			if fs[i].ID == id {
				vm.Done = &fs[i]
			}
		}
	}
	return s.render(c, fiber.StatusOK, "filing_form", vm)
}

// readFiling reads the form into a filing; it returns the values as typed
// and a message per field that could not be read.
func readFiling(c *fiber.Ctx) (rules.Filing, map[string]string, map[string]string) {
	f := rules.Filing{Kind: c.FormValue("kind"), Person: c.FormValue("person"), Operation: c.FormValue("operation"),
		Category: c.FormValue("category"), LegalRepresentative: c.FormValue("legal_rep") == "1"}
	if f.Operation == "" {
		f.Operation = "health"
	}
	values := map[string]string{"kind": f.Kind, "person": f.Person, "operation": f.Operation, "category": f.Category}
	if f.LegalRepresentative {
		values["legal_rep"] = "1"
	}
	errs := map[string]string{}
	for _, name := range filingFields {
		v := strings.Clone(c.FormValue(name))
		values[name] = v
		if err := f.Set(name, v); err != nil {
			errs[name] = err.Error()
		}
	}
	return f, values, errs
}
