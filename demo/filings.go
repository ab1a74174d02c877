package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// filer marks the filings the demo made.
const filer = "示範資料"

// SeedFilings brings the demo's filings up to n, spread over the
// registered demo units and the past two months: employees enrolled with
// grades of the table in force, one in three with a child, one in twenty
// with an error code (as if the nightly batch had found it), one in twenty
// part-time (部分工時) at a part-time amount where the table has them. Inserted in
// batches of 2,000 rows per transaction; running it again adds only what
// is missing.
func SeedFilings(ctx context.Context, s *models.Store, n int) (int, error) {
	have, err := s.DB.NewSelect().Table("filings").Where("filed_by = ?", filer).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("demo: filings: %w", err)
	}
	var units []struct {
		ID     int64  `bun:"id"`
		Branch string `bun:"branch_code"`
	}
	if err := s.DB.NewSelect().Table("units").Column("id", "branch_code").
		Where("status = ? AND id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')", models.UnitActive).
		Order("id").Scan(ctx, &units); err != nil {
		return 0, fmt.Errorf("demo: filings: %w", err)
	}
	if len(units) == 0 || int(have) >= n {
		return 0, nil
	}
	tables := rules.Builtin()
	now := s.Timestamp()
	t := now.In(models.Taipei())
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) // today in Taipei, as effective dates are kept
	added := 0
	for start := int(have); start < n; start += 2000 {
		end := min(start+2000, n)
		err := s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			fs := make([]models.Filing, 0, end-start)
			for i := start; i < end; i++ {
				fs = append(fs, filing(i, units[(i/2)%len(units)].ID, day, now, tables))
			}
			return models.ImportFilings(ctx, tx, fs)
		})
		if err != nil {
			return added, err
		}
		added += end - start
	}
	return added, nil
}

// filing is the i-th demo filing; the same i gives the same filing.
// Even i: an employee (person i/2); odd i: for one in three the child of
// that employee, otherwise a second employee. Both filings of a pair go to
// the same unit. IDs are unique: employees have national IDs whose serial
// is the person number (+5,000,000 for the second), children the new
// resident-ID format.
func filing(i int, unitID int64, day, now time.Time, tables []rules.GradeTable) models.Filing {
	r := random(i + 7_000_003)
	filed := day.AddDate(0, 0, -r.IntN(60))
	person := i / 2
	letter := idLetters[person%len(idLetters)]
	employeeID := twid.MakeNationalID(letter, 1+person%2, person%10_000_000)
	f := models.Filing{UnitID: unitID, FiledBy: filer, Source: "web", Kind: rules.KindAdd, Operation: "health",
		FiledAt: filed.Add(time.Duration(9+r.IntN(8)) * time.Hour), FiledOn: date(filed), Status: models.FilingValidated,
		ValidatedAt: now, EffectiveDate: date(filed), Category: "1", Name: fullName(r)}
	if i%2 == 1 && i%3 == 1 {
		f.Person, f.InsuredID, f.Reason, f.Relation, f.Sex = rules.PersonDependent, employeeID, "D1", "3", "F"
		f.DependentID = twid.MakeResidentIDNew(letter, 2, person%10_000_000)
		f.Birth = date(time.Date(2005+r.IntN(18), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC))
		return f
	}
	if i%2 == 1 {
		employeeID = twid.MakeNationalID(letter, 1+person%2, (person+5_000_000)%10_000_000)
	}
	f.Person, f.InsuredID, f.Reason = rules.PersonInsured, employeeID, "A1"
	f.Sex = map[bool]string{true: "M", false: "F"}[employeeID[1] == '1']
	f.Birth = date(time.Date(1965+r.IntN(35), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC))
	g := rules.TableOn(tables, filed)
	f.Amount = g.Grades[r.IntN(min(len(g.Grades), 30))]
	if i%20 == 11 && len(g.PartTime) > 0 { // a part-time employee (部分工時) at a part-time amount
		f.PartTime, f.Amount = true, g.PartTime[r.IntN(len(g.PartTime))]
	}
	if i%20 == 6 { // as if the nightly batch had found an amount that is no grade
		f.Status, f.Codes, f.Amount = models.FilingError, "5", f.Amount+100
	}
	return f
}

// date is t as filings keep dates.
func date(t time.Time) string { return t.Format(time.DateOnly) }
