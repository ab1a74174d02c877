package handlers

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/models"
)

// rosterCSVHeader names the roster export's columns.
var rosterCSVHeader = []string{"被保險人身分證號", "身分證號", "身份", "姓名", "性別", "出生日", "稱謂", "投保日", "投保金額", "部分工時", "投保金額生效日", "申報資料編號"}

// exportRoster sends the unit's roster of the same filter as the page, all
// pages, as CSV; a database error mid-stream fails the download (see
// streamCSV).
func (s *Server) exportRoster(c *fiber.Ctx) error {
	p := principal(c)
	var vm RosterView
	f := s.rosterFilter(c, &vm)
	if len(vm.Errors) > 0 {
		msgs := make([]string, 0, len(vm.Errors))
		for _, m := range vm.Errors {
			msgs = append(msgs, m)
		}
		return apperr.New(apperr.Invalid, strings.Join(msgs, "；"))
	}
	ctx := c.UserContext()
	name := "投保名單-" + strings.ReplaceAll(vm.On, "/", "") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="roster.csv"; filename*=UTF-8''`+url.PathEscape(name))
	c.Set("X-Content-Type-Options", "nosniff")
	db, sc, unitID := s.Store.R(), p.Scope(), p.UnitID
	log := s.log(c).With("export", "roster", "unit_id", unitID)
	streamCSV(c, log, rosterCSVHeader, func(emit func([]string) error) error {
		return models.RosterForExport(ctx, db, sc, unitID, f, 1_000_000, func(r *models.RosterRow) error {
			amount, partTime, amountSince, relation := "", "", "", ""
			if r.Dependent() {
				relation = vm.RelationName(r.Relation)
			} else {
				amount, partTime, amountSince = strconv.Itoa(r.Amount), yes(r.PartTime), rocdate.FormatSlash(dateOf(r.AmountSince))
			}
			ids := make([]string, len(r.Filings))
			for i, x := range r.Filings {
				ids[i] = strconv.FormatInt(x.ID, 10)
			}
			return emit([]string{r.InsuredID, r.PersonID, personNames[r.Person], csvCell(r.Name), sexNames[r.Sex], birthCell(dateOf(r.Birth)),
				relation, rocdate.FormatSlash(dateOf(r.Since)), amount, partTime, amountSince, strings.Join(ids, " ")})
		})
	})
	return nil
}
