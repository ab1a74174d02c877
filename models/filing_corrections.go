package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/rules"
)

// Why a filing no longer stands (Filing.Voided).
const (
	FilingCorrected = "corrected" // 已補正: a later filing corrects it
	FilingWithdrawn = "withdrawn" // 已撤回: withdrawn after the nightly check found errors
	FilingDeleted   = "deleted"   // 已刪除: a 預辦 filing deleted before its effective date
)

// Open reports whether the filing still stands (neither corrected nor withdrawn).
func (f *Filing) Open() bool { return f.Voided == "" }

// Early reports whether the filing's effective date has not come yet on
// today (預辦): it may then be corrected or deleted, as BLI allows.
func (f *Filing) Early(today time.Time) bool { return f.EffectiveDate > dateString(today) }

// Fixable reports whether the clerk may correct or withdraw the filing on
// today: it stands, and it has error codes or its date has not come yet.
func (f *Filing) Fixable(today time.Time) bool {
	return f.Open() && (f.Status == FilingError || f.Early(today))
}

// FilingByID returns one of the unit's filings, or NotFound (also for
// another unit's filing).
func FilingByID(ctx context.Context, db bun.IDB, unitID, id int64) (*Filing, error) {
	f := new(Filing)
	if err := db.NewSelect().Model(f).ColumnExpr("filing.*").ColumnExpr(correctedByColumn).
		Where("filing.id = ? AND filing.unit_id = ?", id, unitID).Scan(ctx); err != nil {
		if isNoRows(err) {
			return nil, notFound("申報資料")
		}
		return nil, fmt.Errorf("models: filing %d: %w", id, err)
	}
	return f, nil
}

// CorrectFiling files in as the correction (補正) of the unit's filing id:
// the original must be fixable today. In one transaction the original is
// marked corrected and its coverage undone, then in is validated as a new
// filing (the original no longer counts, so re-enrolling the same person
// is no 重複加保) and stored linked to it. A refused correction changes
// nothing (*BatchRefused, as SubmitFiling). conf, when not nil, confirms
// code 2 as in SubmitConfirmedFiling. A second correction of the same
// original (a double submit) is a Conflict.
func (s *Store) CorrectFiling(ctx context.Context, by Filer, id int64, in rules.Filing, conf *AgeConfirmation) (*Filing, error) {
	var confirms map[int]AgeConfirmation
	if conf != nil {
		c := *conf
		c.Note = strings.TrimSpace(c.Note)
		confirms = map[int]AgeConfirmation{0: c}
	}
	fix := func(ctx context.Context, tx bun.Tx, u *Unit, today time.Time) (*Filing, error) {
		return voidFiling(ctx, tx, u.ID, id, today, FilingCorrected, by.Actor.Name, "", s.now())
	}
	fs, err := s.submitFilings(ctx, by, []rules.Filing{in}, confirms, true, fix, false)
	if err != nil {
		return nil, err
	}
	return &fs[0], nil
}

// WithdrawFiling withdraws the unit's filing id with the clerk's reason:
// a filing with error codes is withdrawn (撤回, audited filing.withdraw),
// a 預辦 filing whose effective date has not come is deleted (刪除,
// audited filing.delete). Either way the filing stays on record, marked,
// and its coverage is undone. The reason is required (field "reason").
func (s *Store) WithdrawFiling(ctx context.Context, by Filer, id int64, reason string) (*Filing, error) {
	reason = strings.TrimSpace(reason)
	if msg := reasonError(reason); msg != "" {
		return nil, fieldErrors{"reason": msg}.err("請填寫撤回原因。")
	}
	var f *Filing
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, UnitScope(by.UnitID), by.UnitID)
		if err != nil {
			return err
		}
		cur, err := FilingByID(ctx, tx, u.ID, id)
		if err != nil {
			return err
		}
		how, action := FilingWithdrawn, "filing.withdraw"
		if cur.Status != FilingError {
			how, action = FilingDeleted, "filing.delete"
		}
		if f, err = voidFiling(ctx, tx, u.ID, id, today(now), how, by.Actor.Name, reason, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, by.Actor, Change{Action: action, UnitID: u.ID, Branch: u.BranchCode, ObjectType: "filing",
			ObjectID: fmt.Sprint(f.ID), Before: map[string]any{"status": f.Status, "codes": f.Codes}, After: map[string]any{"voided": how, "reason": reason}})
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// reasonError checks a withdrawal's reason: required, one bounded line.
func reasonError(reason string) string {
	if reason == "" {
		return "請填寫撤回的原因。"
	}
	if msg := input.Name("撤回原因", reason, input.MaxReason); msg != "" {
		return msg
	}
	if strings.ContainsAny(reason, "<>") {
		return "撤回原因不可包含 < > 等符號。"
	}
	return ""
}

// voidFiling marks the unit's filing id as how (if it is fixable today)
// and undoes what it did to the coverage table: an enrollment's coverage
// is removed (it never took effect), a withdrawal's coverage is reopened.
// It refuses (Conflict) what would leave the coverage wrong: an
// enrollment already ended by a later withdrawal, an insured whose
// dependents are still covered, a withdrawal after which the person was
// enrolled again.
func voidFiling(ctx context.Context, tx bun.IDB, unitID, id int64, today time.Time, how, by, reason string, now time.Time) (*Filing, error) {
	f, err := FilingByID(ctx, tx, unitID, id)
	if err != nil {
		return nil, err
	}
	switch {
	case f.Voided == FilingCorrected:
		return nil, apperr.New(apperr.Conflict, "這筆申報已經補正過了，請查看補正後的申報。")
	case !f.Open():
		return nil, apperr.New(apperr.Conflict, "這筆申報已經撤回。")
	case !f.Fixable(today):
		return nil, apperr.New(apperr.Conflict, "只有檢核有錯誤代碼、或生效日還沒到（預辦）的申報可以補正或撤回；生效日已過的申報請另行申報退保或投保金額調整。")
	}
	res, err := tx.NewUpdate().Table("filings").Set("voided = ?, voided_at = ?, voided_by = ?, void_reason = ?", how, now, by, reason).
		Where("id = ? AND voided = ''", id).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: void filing %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 { // a concurrent correction won
		return nil, apperr.New(apperr.Conflict, "這筆申報剛剛已被補正或撤回（可能是重複送出），請重新整理後查詢。")
	}
	pid := f.PersonID()
	switch f.Kind {
	case rules.KindAdd:
		var cov []struct {
			ID          int64  `bun:"id"`
			EndFilingID *int64 `bun:"end_filing_id"`
		}
		if err := tx.NewSelect().Table("coverage").Column("id", "end_filing_id").Where("add_filing_id = ?", id).Scan(ctx, &cov); err != nil {
			return nil, fmt.Errorf("models: void filing %d: %w", id, err)
		}
		for _, c := range cov {
			if c.EndFilingID != nil {
				return nil, apperr.New(apperr.Conflict, "這筆加保之後已申報退保，請先撤回那筆退保，再補正或撤回這筆加保。")
			}
		}
		if f.Person == rules.PersonInsured && how != FilingCorrected {
			deps, err := tx.NewSelect().Table("coverage").Where("unit_id = ? AND insured_id = ? AND person_id <> ? AND until IS NULL", unitID, pid, pid).Count(ctx)
			if err != nil {
				return nil, fmt.Errorf("models: void filing %d: %w", id, err)
			}
			if deps > 0 {
				return nil, apperr.New(apperr.Conflict, fmt.Sprintf("這位被保險人還有 %d 位眷屬依附投保，請先撤回或退保眷屬，再撤回這筆加保。", deps))
			}
		}
		if _, err := tx.NewDelete().Table("coverage").Where("add_filing_id = ?", id).Exec(ctx); err != nil {
			return nil, fmt.Errorf("models: void filing %d: %w", id, err)
		}
	case rules.KindWithdraw:
		if _, err := tx.NewUpdate().Table("coverage").Set("until = NULL, end_filing_id = NULL").Where("end_filing_id = ?", id).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return nil, apperr.New(apperr.Conflict, "這個人在這筆退保之後又加保了，不能撤回這筆退保；請先撤回之後的加保。")
			}
			return nil, fmt.Errorf("models: void filing %d: %w", id, err)
		}
	}
	f.Voided, f.VoidedAt, f.VoidedBy, f.VoidReason = how, now, by, reason
	return f, nil
}

// checkOrphans refuses a correction that leaves dependents of the
// original's insured without their insured: the correction changed the
// insured's ID or made the enrollment something else.
func checkOrphans(ctx context.Context, tx bun.IDB, unitID int64, insuredID string) error {
	deps, err := tx.NewSelect().Table("coverage").Where("unit_id = ? AND insured_id = ? AND person_id <> ? AND until IS NULL", unitID, insuredID, insuredID).Count(ctx)
	if err != nil || deps == 0 {
		return err
	}
	ok, err := tx.NewSelect().Table("coverage").Where("unit_id = ? AND person_id = ? AND until IS NULL", unitID, insuredID).Exists(ctx)
	if err != nil || ok {
		return err
	}
	return apperr.New(apperr.Conflict, fmt.Sprintf("這位被保險人還有 %d 位眷屬依附投保：補正不能改掉被保險人的加保或身分證號，請先撤回或退保眷屬。", deps))
}
