package models

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
)

// BatchChunk is how many filings the nightly batch validates per
// transaction, unless Store.BatchChunk says otherwise.
const BatchChunk = 2000

// NightlyValidate re-validates, for the day `on`, every filing of the
// query horizon (the past two months) not yet validated that day, in
// chunks of BatchChunk, each in one transaction that records the filings
// whose result changed. It then mails each filer whose filings changed one
// e-mail listing the codes with their explanations. It is idempotent and
// resumable: killed halfway and run again for the same day, it validates
// only what is left, and the mail (keyed by day and filer) goes out once.
func (s *Store) NightlyValidate(ctx context.Context, on time.Time) (int, error) {
	day := dateString(on)
	now := s.now()
	if _, err := s.DB.NewInsert().Model(&filingBatch{BatchOn: day, StartedAt: now}).On("CONFLICT (batch_on) DO NOTHING").Exec(ctx); err != nil {
		return 0, fmt.Errorf("models: nightly batch %s: %w", day, err)
	}
	tables, err := gradeTables(ctx, s.DB)
	if err != nil {
		return 0, err
	}
	horizon := dateString(on.AddDate(0, -MaxQueryMonths, 0))
	total := 0
	var after int64
	for {
		n, last, err := s.validateChunk(ctx, day, on, horizon, after, tables)
		if err != nil {
			return total, err
		}
		total += n
		if last == 0 {
			break
		}
		after = last
	}
	if err := s.mailBatch(ctx, day, on); err != nil {
		return total, err
	}
	return total, nil
}

// NightlyMissed reports whether the nightly validation of the day on is
// still to do on a system that has run it before: some batch exists, and
// none of on or a later day has finished. A new database has missed
// nothing.
func (s *Store) NightlyMissed(ctx context.Context, on time.Time) (bool, error) {
	ran, err := s.DB.NewSelect().Table("filing_batches").Exists(ctx)
	if err != nil || !ran {
		return false, err
	}
	done, err := s.DB.NewSelect().Table("filing_batches").
		Where("batch_on >= ? AND finished_at IS NOT NULL", dateString(on)).Exists(ctx)
	if err != nil {
		return false, err
	}
	return !done, nil
}

// validateChunk validates the next chunk of filings after id `after` and
// returns how many it validated and the last id (0 when none was left).
func (s *Store) validateChunk(ctx context.Context, day string, on time.Time, horizon string, after int64, tables []rules.GradeTable) (int, int64, error) {
	var n int
	var last int64
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var fs []Filing
		if err := tx.NewSelect().Model(&fs).Where("id > ? AND filed_on >= ? AND batch_on < ? AND voided = ''", after, horizon, day).
			Order("id").Limit(int64(s.batchChunk())).Scan(ctx); err != nil {
			return fmt.Errorf("models: nightly batch: %w", err)
		}
		if len(fs) == 0 {
			return nil
		}
		last = fs[len(fs)-1].ID
		unitIDs := make([]int64, 0, 64)
		seen := map[int64]bool{}
		for _, f := range fs {
			if !seen[f.UnitID] {
				seen[f.UnitID] = true
				unitIDs = append(unitIDs, f.UnitID)
			}
		}
		rosters, err := loadRosters(ctx, tx, unitIDs)
		if err != nil {
			return err
		}
		branches, err := unitBranches(ctx, tx, unitIDs)
		if err != nil {
			return err
		}
		// Changed filings are written in bulk: one UPDATE per outcome (few
		// distinct status and code lists) and multi-row change records.
		type outcome struct{ status, codes string }
		changed := map[outcome][]int64{}
		var changes []filingChange
		for i := range fs {
			f := &fs[i]
			r := rosters[f.UnitID]
			rf := f.Rule(branches[f.UnitID])
			r.insuredBirth(&rf)
			// Date-window rules are about when the filing was made, not tonight.
			res := rules.Check(rf, r.context(date(f.FiledOn), tables, f.ID))
			if f.AgeConfirm != "" { // the clerk confirmed code 2 with a reason
				res = res.Without(rules.CodeDescendantAge)
			}
			status, codes := FilingValidated, ""
			if !res.OK() {
				status = FilingError
				cs := make([]string, len(res.Codes))
				for j, c := range res.Codes {
					cs[j] = string(c)
				}
				codes = strings.Join(cs, ",")
			}
			if status == f.Status && codes == f.Codes {
				continue
			}
			k := outcome{status, codes}
			changed[k] = append(changed[k], f.ID)
			changes = append(changes, filingChange{BatchOn: day, FilingID: f.ID, UnitID: f.UnitID, ClerkID: f.ClerkID, OldStatus: f.Status, NewStatus: status, Codes: codes})
		}
		now := s.now()
		for k, ids := range changed {
			for lo := 0; lo < len(ids); lo += insertChunk {
				if _, err := tx.NewUpdate().Table("filings").Set("status = ?, codes = ?, validated_at = ?", k.status, k.codes, now).
					Where("id IN (?)", bun.List(ids[lo:min(lo+insertChunk, len(ids))])).Exec(ctx); err != nil {
					return fmt.Errorf("models: nightly batch: %w", err)
				}
			}
		}
		for lo := 0; lo < len(changes); lo += insertChunk {
			chunk := changes[lo:min(lo+insertChunk, len(changes))]
			if _, err := tx.NewInsert().Model(&chunk).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("models: nightly batch: %w", err)
			}
		}
		// Every filing of the chunk is validated for the day, changed or not.
		if _, err := tx.NewUpdate().Table("filings").Set("batch_on = ?", day).
			Where("id > ? AND id <= ? AND filed_on >= ? AND batch_on < ?", after, last, horizon, day).Exec(ctx); err != nil {
			return fmt.Errorf("models: nightly batch: %w", err)
		}
		n = len(fs)
		_, err = tx.NewUpdate().Table("filing_batches").Set("validated = validated + ?", n).Where("batch_on = ?", day).Exec(ctx)
		return err
	})
	return n, last, err
}

type filingBatch struct {
	bun.BaseModel `bun:"table:filing_batches"`
	BatchOn       string    `bun:"batch_on,pk"`
	StartedAt     time.Time `bun:"started_at"`
}

type filingChange struct {
	bun.BaseModel `bun:"table:filing_changes"`
	BatchOn       string `bun:"batch_on,pk"`
	FilingID      int64  `bun:"filing_id,pk"`
	UnitID        int64  `bun:"unit_id"`
	ClerkID       *int64 `bun:"clerk_id"`
	OldStatus     string `bun:"old_status"`
	NewStatus     string `bun:"new_status"`
	Codes         string `bun:"codes"`
}

func (s *Store) batchChunk() int {
	if s.BatchChunk > 0 {
		return s.BatchChunk
	}
	return BatchChunk
}

func unitBranches(ctx context.Context, db bun.IDB, ids []int64) (map[int64]string, error) {
	var rows []struct {
		ID     int64  `bun:"id"`
		Branch string `bun:"branch_code"`
	}
	if err := db.NewSelect().Table("units").Column("id", "branch_code").Where("id IN (?)", bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("models: unit branches: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Branch
	}
	return out, nil
}

// mailBatch sends each filer one e-mail for the day's changes and each
// unit a notice; the outbox key (day, filer) makes a rerun send nothing new.
func (s *Store) mailBatch(ctx context.Context, day string, on time.Time) error {
	var changes []struct {
		FilingID  int64  `bun:"filing_id"`
		UnitID    int64  `bun:"unit_id"`
		ClerkID   *int64 `bun:"clerk_id"`
		NewStatus string `bun:"new_status"`
		Codes     string `bun:"codes"`
	}
	if err := s.DB.NewSelect().Table("filing_changes").Column("filing_id", "unit_id", "clerk_id", "new_status", "codes").
		Where("batch_on = ?", day).Order("unit_id", "filing_id").Scan(ctx, &changes); err != nil {
		return fmt.Errorf("models: nightly mail: %w", err)
	}
	type key struct {
		unit  int64
		clerk int64
	}
	groups := map[key][]int{}
	var keys []key
	for i, c := range changes {
		k := key{unit: c.UnitID}
		if c.ClerkID != nil {
			k.clerk = *c.ClerkID
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].unit < keys[j].unit || keys[i].unit == keys[j].unit && keys[i].clerk < keys[j].clerk
	})
	table, err := ErrorCodes(ctx, s.DB)
	if err != nil {
		return err
	}
	explainText := map[string]string{}
	for _, c := range table {
		explainText[string(c.Code)] = c.Message
	}
	// Groups are written mailChunk at a time, one transaction each, with
	// their units, filings and clerks read in bulk.
	for lo := 0; lo < len(keys); lo += mailChunk {
		ks := keys[lo:min(lo+mailChunk, len(keys))]
		err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var unitIDs, clerkIDs, filingIDs []int64
			for _, k := range ks {
				unitIDs = append(unitIDs, k.unit)
				if k.clerk != 0 {
					clerkIDs = append(clerkIDs, k.clerk)
				}
				for _, i := range groups[k] {
					filingIDs = append(filingIDs, changes[i].FilingID)
				}
			}
			units := map[int64]*Unit{}
			var us []Unit
			if err := tx.NewSelect().Model(&us).Where("id IN (?)", bun.List(unitIDs)).Scan(ctx); err != nil {
				return err
			}
			for i := range us {
				units[us[i].ID] = &us[i]
			}
			filings := make(map[int64]*Filing, len(filingIDs))
			for flo := 0; flo < len(filingIDs); flo += insertChunk {
				var fs []Filing
				if err := tx.NewSelect().Model(&fs).Where("id IN (?)", bun.List(filingIDs[flo:min(flo+insertChunk, len(filingIDs))])).Scan(ctx); err != nil {
					return err
				}
				for i := range fs {
					filings[fs[i].ID] = &fs[i]
				}
			}
			emails := map[int64]string{}
			if len(clerkIDs) > 0 {
				var hs []struct {
					ID    int64  `bun:"id"`
					Email string `bun:"email"`
				}
				if err := tx.NewSelect().Table("clerks").Column("id", "email").Where("id IN (?)", bun.List(clerkIDs)).Scan(ctx, &hs); err != nil {
					return err
				}
				for _, h := range hs {
					emails[h.ID] = h.Email
				}
			}
			link := "/portal/filings?batch=" + day
			noticed := map[int64]map[string]bool{}
			var ns []Notice
			if err := tx.NewSelect().Model(&ns).Column("unit_id", "title").Where("link = ? AND unit_id IN (?)", link, bun.List(unitIDs)).Scan(ctx); err != nil {
				return err
			}
			for _, n := range ns {
				if noticed[n.UnitID] == nil {
					noticed[n.UnitID] = map[string]bool{}
				}
				noticed[n.UnitID][n.Title] = true
			}
			now := s.now()
			var notices []Notice
			for _, k := range ks {
				u := units[k.unit]
				if u == nil {
					return fmt.Errorf("unit %d: %w", k.unit, sql.ErrNoRows)
				}
				// The mail (and the notice, which shares its text) names
				// people by masked ID: the portal shows the full rows.
				var b strings.Builder
				used := map[string]bool{}
				errorsN := 0
				for _, i := range groups[k] {
					c := changes[i]
					f := filings[c.FilingID]
					if f == nil {
						return fmt.Errorf("filing %d: %w", c.FilingID, sql.ErrNoRows)
					}
					if c.NewStatus == FilingValidated {
						fmt.Fprintf(&b, "・%s %s（%s，申報日 %s）：審核正確\n", f.Name, twid.MaskMail(f.PersonID()), kindName(f.Kind), rocdate.FormatSlash(date(f.FiledOn)))
						continue
					}
					errorsN++
					fmt.Fprintf(&b, "・%s %s（%s，申報日 %s）：錯誤代碼 %s\n", f.Name, twid.MaskMail(f.PersonID()), kindName(f.Kind), rocdate.FormatSlash(date(f.FiledOn)), c.Codes)
					for _, code := range strings.Split(c.Codes, ",") {
						used[code] = true
					}
				}
				if len(used) > 0 {
					b.WriteString("\n錯誤代碼說明：\n")
					codes := make([]string, 0, len(used))
					for c := range used {
						codes = append(codes, c)
					}
					sort.Strings(codes)
					for _, c := range codes {
						fmt.Fprintf(&b, "  %s：%s\n", c, explainText[c])
					}
				}
				title := fmt.Sprintf("%s 異動檢核結果有變動（%d 筆錯誤）", rocdate.FormatSlash(on), errorsN)
				body := "本署夜間重新檢核貴單位近兩個月的申報資料，以下資料的檢核結果有變動：\n\n" + b.String() +
					"\n請登入多憑證網路承保作業，至「單位資料查詢及變更 → 異動檢核後查詢」查看並更正，或電洽本組承辦人。"
				if email := emails[k.clerk]; email != "" {
					mailKey := fmt.Sprintf("filing-batch:%s:%d:%d", day, k.unit, k.clerk)
					subject := "【健保署多憑證網路】" + title
					text := fmt.Sprintf("%s（投保單位代號 %s）您好：\n\n%s\n\n本信件由系統自動發送，請勿直接回覆。\n", u.Name, u.Code, body)
					if err := Enqueue(ctx, tx, now, mailKey, []string{email}, subject, text); err != nil {
						return err
					}
				}
				if noticed[u.ID][title] {
					continue
				}
				if noticed[u.ID] == nil {
					noticed[u.ID] = map[string]bool{}
				}
				noticed[u.ID][title] = true
				notices = append(notices, Notice{UnitID: u.ID, Title: title, Body: body, Link: link, CreatedAt: now})
			}
			if len(notices) == 0 {
				return nil
			}
			_, err := tx.NewInsert().Model(&notices).Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("models: nightly mail: %w", err)
		}
	}
	_, err = s.DB.NewUpdate().Table("filing_batches").Set("finished_at = ?, mailed_at = ?, changed = ?", s.now(), s.now(), len(changes)).
		Where("batch_on = ?", day).Exec(ctx)
	return err
}

// mailChunk is how many (unit, filer) groups one transaction of the
// nightly mail writes.
const mailChunk = 200

func kindName(k string) string {
	switch k {
	case rules.KindAdd:
		return "加保"
	case rules.KindWithdraw:
		return "退保"
	}
	return "投保金額調整"
}

// NightlyBatch is how far a day's re-validation has come: started, how
// many filings it validated and, once finished, how many changed result.
type NightlyBatch struct {
	bun.BaseModel `bun:"table:filing_batches"`
	BatchOn       string     `bun:"batch_on,pk"`
	StartedAt     time.Time  `bun:"started_at"`
	FinishedAt    *time.Time `bun:"finished_at"`
	Validated     int64      `bun:"validated"`
	Changed       int64      `bun:"changed"`
}

// NightlyBatchOn returns the re-validation of the day on, or nil when it
// has not started (queued, or not asked for).
func NightlyBatchOn(ctx context.Context, db bun.IDB, on time.Time) (*NightlyBatch, error) {
	b := new(NightlyBatch)
	err := db.NewSelect().Model(b).Where("batch_on = ?", dateString(on)).Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: nightly batch of %s: %w", dateString(on), err)
	}
	return b, nil
}
