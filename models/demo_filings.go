package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
)

// demoFiler marks the filings the demo made.
const demoFiler = "示範資料"

// SeedDemoFilings brings the demo's filings up to n, spread over the
// registered demo units and the past two months: employees enrolled with
// grades of the table in force, one in three with a child, one in twenty
// with an error code (as if the nightly batch had found it). Inserted in
// batches of 2,000 rows per transaction; running it again adds only what
// is missing.
func (s *Store) SeedDemoFilings(ctx context.Context, n int) (int, error) {
	have, err := s.DB.NewSelect().Table("filings").Where("filed_by = ?", demoFiler).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: demo filings: %w", err)
	}
	var units []struct {
		ID     int64  `bun:"id"`
		Branch string `bun:"branch_code"`
	}
	if err := s.DB.NewSelect().Table("units").Column("id", "branch_code").
		Where("status = ? AND id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')", UnitActive).
		Order("id").Scan(ctx, &units); err != nil {
		return 0, fmt.Errorf("models: demo filings: %w", err)
	}
	if len(units) == 0 || int(have) >= n {
		return 0, nil
	}
	tables := rules.Builtin()
	now := s.now()
	day := today(now)
	added := 0
	for start := int(have); start < n; start += 2000 {
		end := min(start+2000, n)
		err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			fs := make([]Filing, 0, end-start)
			for i := start; i < end; i++ {
				fs = append(fs, demoFiling(i, units[(i/2)%len(units)].ID, day, now, tables))
			}
			if _, err := tx.NewInsert().Model(&fs).Exec(ctx); err != nil {
				return fmt.Errorf("models: demo filings: %w", err)
			}
			cov := make([]coverage, 0, len(fs))
			for _, f := range fs {
				if f.Status == FilingValidated {
					cov = append(cov, coverage{UnitID: f.UnitID, PersonID: f.PersonID(), InsuredID: f.InsuredID, Birth: f.Birth,
						Since: f.EffectiveDate, AddFilingID: f.ID})
				}
			}
			if len(cov) > 0 {
				if _, err := tx.NewInsert().Model(&cov).Exec(ctx); err != nil {
					return fmt.Errorf("models: demo coverage: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return added, err
		}
		added += end - start
	}
	return added, nil
}

// demoFiling is the i-th demo filing; the same i gives the same filing.
// Even i: an employee (person i/2); odd i: for one in three the child of
// that employee, otherwise a second employee. Both filings of a pair go to
// the same unit. IDs are unique: employees have national IDs whose serial
// is the person number (+5,000,000 for the second), children the new
// resident-ID format.
func demoFiling(i int, unitID int64, day, now time.Time, tables []rules.GradeTable) Filing {
	r := demoRand(i + 7_000_003)
	filed := day.AddDate(0, 0, -r.IntN(60))
	person := i / 2
	letter := demoIDLetters[person%len(demoIDLetters)]
	employeeID := twid.MakeNationalID(letter, 1+person%2, person%10_000_000)
	f := Filing{UnitID: unitID, FiledBy: demoFiler, Source: "web", Kind: rules.KindAdd, Operation: "health",
		FiledAt: filed.Add(time.Duration(9+r.IntN(8)) * time.Hour), FiledOn: dateString(filed), Status: FilingValidated,
		ValidatedAt: now, EffectiveDate: dateString(filed), Category: "1", Name: demoPerson(r)}
	if i%2 == 1 && i%3 == 1 {
		f.Person, f.InsuredID, f.Reason, f.Relation, f.Sex = rules.PersonDependent, employeeID, "D1", "3", "F"
		f.DependentID = twid.MakeResidentIDNew(letter, 2, person%10_000_000)
		f.Birth = dateString(time.Date(2005+r.IntN(18), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC))
		return f
	}
	if i%2 == 1 {
		employeeID = twid.MakeNationalID(letter, 1+person%2, (person+5_000_000)%10_000_000)
	}
	f.Person, f.InsuredID, f.Reason = rules.PersonInsured, employeeID, "A1"
	f.Sex = map[bool]string{true: "M", false: "F"}[employeeID[1] == '1']
	f.Birth = dateString(time.Date(1965+r.IntN(35), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC))
	g := rules.TableOn(tables, filed)
	f.Amount = g.Grades[r.IntN(min(len(g.Grades), 30))]
	if i%20 == 6 { // as if the nightly batch had found an amount that is no grade
		f.Status, f.Codes, f.Amount = FilingError, "5", f.Amount+100
	}
	return f
}
