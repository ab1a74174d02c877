package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// statsDefaultDays is the default range: the past 30 days, today included.
const statsDefaultDays = 30

// StatsView is the model of the decision statistics page.
type StatsView struct {
	Page
	From, To string // as typed, ROC
	Errors   map[string]string
	Branches StatsTable
	Staff    StatsTable
	All      *StatsRow
	Period   string // the range shown, in words
}

// StatsTable is one table of the page.
type StatsTable struct {
	Head    string        // the first column's heading
	Actions []StatsColumn // the count columns
	Rows    []StatsRow
	Total   *StatsRow // a closing line, or nil
}

// StatsColumn heads the count of one decision action: a short name that
// keeps the table narrow, and the full one.
type StatsColumn struct{ Short, Full string }

// statsColumns head the counts of the decision actions with the registry's
// short and full names.
func statsColumns(actions []string) []StatsColumn {
	out := make([]StatsColumn, len(actions))
	for i, a := range actions {
		reg, _ := models.AuditActionOf(a)
		out[i] = StatsColumn{Short: reg.Short, Full: actionName(a)}
		if out[i].Short == "" {
			out[i].Short = out[i].Full
		}
	}
	return out
}

// StatsRow is one line of the tables: counts per action, then the waits in
// hours.
type StatsRow struct {
	Name              string
	Detail            []string // lines under the name
	Counts            []int    // in the order of Actions
	Total, Timed      int
	Mean, Median, P90 string
}

func statsRow(g models.DecisionGroup, actions []string) StatsRow {
	r := StatsRow{Name: g.Name, Total: g.Total, Timed: g.Waits.N, Mean: "—", Median: "—", P90: "—"}
	for _, a := range actions {
		r.Counts = append(r.Counts, g.Counts[a])
	}
	if g.Waits.N > 0 {
		r.Mean, r.Median, r.P90 = hours(g.Waits.Mean), hours(g.Waits.Median), hours(g.Waits.P90)
	}
	return r
}

// hours shows seconds as hours with one decimal.
func hours(sec float64) string { return strconv.FormatFloat(sec/3600, 'f', 1, 64) }

// showStats counts the decisions of a date range (by default the past 30
// days) by staff member and by branch, with how long requests waited for
// them, within the user's branch (all for head office).
func (s *Server) showStats(c *fiber.Ctx) error {
	p := principal(c)
	today := s.Store.Now().In(models.Taipei())
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC) // a calendar date, as rocdate.Parse gives
	from, to := today.AddDate(0, 0, -(statsDefaultDays-1)), today
	vm := StatsView{Page: s.page(c, "決定統計", "stats"),
		From: strings.Clone(strings.TrimSpace(c.Query("from"))), To: strings.Clone(strings.TrimSpace(c.Query("to")))}
	errs := map[string]string{}
	for field, v := range map[string]string{"from": vm.From, "to": vm.To} {
		if v == "" {
			continue
		}
		d, err := rocdate.Parse(v)
		if err != nil {
			errs[field] = err.Error()
		} else if field == "from" {
			from = d
		} else {
			to = d
		}
	}
	if vm.From == "" {
		vm.From = rocdate.FormatSlash(from)
	}
	if vm.To == "" {
		vm.To = rocdate.FormatSlash(to)
	}
	if len(errs) > 0 {
		vm.Errors = errs
		return s.render(c, fiber.StatusUnprocessableEntity, "stats_page", vm)
	}
	st, err := models.DecisionStatsFor(c.UserContext(), s.Store.R(), p.Scope(), from, to)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		vm.Errors = e.Fields
		return s.render(c, fiber.StatusUnprocessableEntity, "stats_page", vm)
	}
	if err != nil {
		return err
	}
	vm.Period = rocdate.Format(from) + " 至 " + rocdate.Format(to)
	for _, g := range st.Staff {
		r := statsRow(g, st.Actions)
		r.Detail = []string{g.Username}
		if g.Branch != nil {
			r.Detail = append(r.Detail, models.BranchNames[*g.Branch])
		} else if strings.HasPrefix(g.Key, "staff:") {
			r.Detail = append(r.Detail, "署本部")
		}
		vm.Staff.Rows = append(vm.Staff.Rows, r)
	}
	for _, g := range st.Branches {
		r := statsRow(g, st.Actions)
		if g.Key == "" {
			r.Name = "未歸屬業務組"
		}
		vm.Branches.Rows = append(vm.Branches.Rows, r)
	}
	all := statsRow(st.All, st.Actions)
	all.Name = "合計"
	vm.All = &all
	cols := statsColumns(st.Actions)
	vm.Branches.Head, vm.Branches.Actions, vm.Branches.Total = "業務組", cols, &all
	vm.Staff.Head, vm.Staff.Actions = "承辦人員", cols
	return s.render(c, fiber.StatusOK, "stats_page", vm)
}
