package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// markCode5 does what the nightly check does to a filing whose amount is
// found to be no grade: status error, code 5.
func markCode5(t *testing.T, db bun.IDB, id int64) {
	t.Helper()
	if _, err := db.NewUpdate().Table("filings").Set("status = 'error', codes = '5'").Where("id = ?", id).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// covered is who the unit insures now: person → the enrollment behind it.
func covered(t *testing.T, db bun.IDB, unitID int64) map[string]int64 {
	t.Helper()
	var rows []struct {
		PersonID    string `bun:"person_id"`
		AddFilingID int64  `bun:"add_filing_id"`
	}
	if err := db.NewSelect().Table("coverage").Column("person_id", "add_filing_id").Where("unit_id = ? AND until IS NULL", unitID).
		Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.PersonID] = r.AddFilingID
	}
	return out
}

func wantErrCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// TestCorrectFiling: a filing the nightly check marked with code 5 blocks
// re-enrolment (code s) until it is corrected; the correction is validated
// as new, linked to the original, which is marked corrected and no longer
// counts; a second correction is refused, and a refused one changes nothing.
func TestCorrectFiling(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if err := f.s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		by := filer(t, f)
		ins := insuredAdd(5100001)
		orig, err := f.s.SubmitFiling(ctx, by, ins)
		if err != nil {
			t.Fatal(err)
		}
		markCode5(t, db, orig.ID)
		if _, err := f.s.SubmitFiling(ctx, by, ins); !contains(strings.Join(refusedCodes(t, err), ","), "s") {
			t.Fatalf("re-filing before the correction: %v, want code s", err)
		}

		t.Run("RefusedChangesNothing", func(t *testing.T) {
			bad := ins
			bad.Amount = 30000
			if _, err := f.s.CorrectFiling(ctx, by, orig.ID, bad, nil); strings.Join(refusedCodes(t, err), ",") != "5" {
				t.Errorf("correction with amount 30000: %v, want code 5", err)
			}
			if got, _ := models.FilingByID(ctx, db, f.cert.ID, orig.ID); got.Voided != "" {
				t.Errorf("original voided %q after a refused correction", got.Voided)
			}
			if covered(t, db, f.cert.ID)[ins.InsuredID] != orig.ID {
				t.Errorf("coverage changed by a refused correction")
			}
		})

		fixed := ins
		fixed.Amount = 31800
		corr, err := f.s.CorrectFiling(ctx, by, orig.ID, fixed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if corr.Status != models.FilingValidated || corr.CorrectsID == nil || *corr.CorrectsID != orig.ID || corr.Amount != 31800 {
			t.Errorf("correction %+v, want validated, correcting %d", corr, orig.ID)
		}
		got, err := models.FilingByID(ctx, db, f.cert.ID, orig.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Voided != models.FilingCorrected || got.CorrectedBy != corr.ID || got.VoidedBy != by.Actor.Name {
			t.Errorf("original voided %q by %q, corrected by %d; want corrected by %d", got.Voided, got.VoidedBy, got.CorrectedBy, corr.ID)
		}
		if cov := covered(t, db, f.cert.ID); len(cov) != 1 || cov[ins.InsuredID] != corr.ID {
			t.Errorf("coverage %v, want only %s by the correction %d", cov, ins.InsuredID, corr.ID)
		}
		if n := count(t, db, "audit_events", "action = 'filing.correct' AND object_id = ?", fmt.Sprint(orig.ID)); n != 1 {
			t.Errorf("%d filing.correct events, want 1", n)
		}
		// The query lists the original with its correction.
		fs, _, err := models.FilingsOfUnit(ctx, db, models.ScopeAll, f.cert.ID, models.FilingFilter{From: testToday, To: testToday})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range fs {
			if x.ID == orig.ID && x.CorrectedBy != corr.ID {
				t.Errorf("query: original corrected by %d, want %d", x.CorrectedBy, corr.ID)
			}
		}

		t.Run("DoubleSubmit", func(t *testing.T) {
			_, err := f.s.CorrectFiling(ctx, by, orig.ID, fixed, nil)
			wantErrCode(t, err, apperr.Conflict)
			if n := count(t, db, "filings", "corrects_id = ?", orig.ID); n != 1 {
				t.Errorf("%d corrections, want 1", n)
			}
		})
		t.Run("ConcurrentCorrections", func(t *testing.T) {
			// Two submits at once (two tabs, a double click that got past
			// the browser): one correction, the other refused.
			x, err := f.s.SubmitFiling(ctx, by, insuredAdd(5100009))
			if err != nil {
				t.Fatal(err)
			}
			markCode5(t, db, x.ID)
			again := insuredAdd(5100009)
			again.Amount = 31800
			errs := make(chan error, 2)
			for range 2 {
				go func() {
					_, err := f.s.CorrectFiling(ctx, by, x.ID, again, nil)
					errs <- err
				}()
			}
			ok := 0
			for range 2 {
				if err := <-errs; err == nil {
					ok++
				} else if e, isApp := apperr.As(err); !isApp || e.Code != apperr.Conflict {
					t.Errorf("the losing correction: %v, want Conflict", err)
				}
			}
			if ok != 1 || count(t, db, "filings", "corrects_id = ?", x.ID) != 1 {
				t.Errorf("%d corrections succeeded, %d stored; want 1", ok, count(t, db, "filings", "corrects_id = ?", x.ID))
			}
		})
		t.Run("ValidatedInForceRefused", func(t *testing.T) {
			_, err := f.s.CorrectFiling(ctx, by, corr.ID, fixed, nil)
			wantErrCode(t, err, apperr.Conflict)
		})
		t.Run("NightlyLeavesOriginalAlone", func(t *testing.T) {
			if _, err := f.s.NightlyValidate(ctx, testToday.AddDate(0, 0, 1)); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "filing_changes", "filing_id = ?", orig.ID); n != 0 {
				t.Errorf("nightly re-checked the corrected original")
			}
			if got, _ := models.FilingByID(ctx, db, f.cert.ID, corr.ID); got.Status != models.FilingValidated {
				t.Errorf("correction found %s %s at night", got.Status, got.Codes)
			}
		})
		t.Run("AnotherUnit", func(t *testing.T) {
			other := models.Filer{Actor: models.Actor{Kind: "clerk", Name: "other", UnitID: f.nhi.ID}, UnitID: f.nhi.ID, Source: "web"}
			_, err := f.s.CorrectFiling(ctx, other, orig.ID, fixed, nil)
			wantErrCode(t, err, apperr.NotFound)
			_, err = f.s.WithdrawFiling(ctx, other, corr.ID, "不是我們的")
			wantErrCode(t, err, apperr.NotFound)
			if _, err := models.FilingByID(ctx, db, f.nhi.ID, orig.ID); err == nil {
				t.Error("FilingByID read another unit's filing")
			}
		})
	})
}

// TestWithdrawFiling: a filing with codes is withdrawn with a reason and
// its coverage undone; a 預辦 filing is deleted before its effective date
// and refused on it; withdrawing a 退保 reopens the coverage.
func TestWithdrawFiling(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newLoginFixture(t, db)
		if err := f.s.EnsureReferenceData(ctx); err != nil {
			t.Fatal(err)
		}
		by := filer(t, f)
		ins := insuredAdd(5200001)
		orig, err := f.s.SubmitFiling(ctx, by, ins)
		if err != nil {
			t.Fatal(err)
		}
		markCode5(t, db, orig.ID)

		t.Run("ReasonRequired", func(t *testing.T) {
			for _, reason := range []string{"", "   ", strings.Repeat("長", 501)} {
				_, err := f.s.WithdrawFiling(ctx, by, orig.ID, reason)
				e, ok := apperr.As(err)
				if !ok || e.Code != apperr.Invalid || e.Fields["reason"] == "" {
					t.Errorf("reason %.10q: err = %v, want a field error on reason", reason, err)
				}
			}
		})
		got, err := f.s.WithdrawFiling(ctx, by, orig.ID, "員工未到職")
		if err != nil {
			t.Fatal(err)
		}
		if got.Voided != models.FilingWithdrawn || got.VoidReason != "員工未到職" {
			t.Errorf("withdrawn %q (%q)", got.Voided, got.VoidReason)
		}
		if _, ok := covered(t, db, f.cert.ID)[ins.InsuredID]; ok {
			t.Error("withdrawn enrollment still covers the person")
		}
		if n := count(t, db, "audit_events", "action = 'filing.withdraw' AND object_id = ?", fmt.Sprint(orig.ID)); n != 1 {
			t.Errorf("%d filing.withdraw events, want 1", n)
		}
		if _, err := f.s.WithdrawFiling(ctx, by, orig.ID, "再一次"); err == nil {
			t.Error("withdrew twice")
		}
		// The person can be enrolled again: no 重複加保.
		if _, err := f.s.SubmitFiling(ctx, by, ins); err != nil {
			t.Errorf("re-enrolment after withdrawal: %v", err)
		}

		t.Run("EarlyDeletedBeforeItsDate", func(t *testing.T) {
			early := insuredAdd(5200002)
			early.EffectiveDate = testToday.AddDate(0, 0, 5)
			a, err := f.s.SubmitFiling(ctx, by, early)
			if err != nil {
				t.Fatal(err)
			}
			d, err := f.s.WithdrawFiling(ctx, by, a.ID, "到職日延後")
			if err != nil {
				t.Fatal(err)
			}
			if d.Voided != models.FilingDeleted {
				t.Errorf("voided %q, want deleted", d.Voided)
			}
			if _, ok := covered(t, db, f.cert.ID)[early.InsuredID]; ok {
				t.Error("deleted 預辦 enrollment still covers the person")
			}
			if n := count(t, db, "audit_events", "action = 'filing.delete' AND object_id = ?", fmt.Sprint(a.ID)); n != 1 {
				t.Errorf("%d filing.delete events, want 1", n)
			}
		})
		t.Run("EarlyRefusedOnItsDate", func(t *testing.T) {
			s, clk := modelstest.NewStore(db)
			early := insuredAdd(5200003)
			early.EffectiveDate = testToday.AddDate(0, 0, 2)
			a, err := s.SubmitFiling(ctx, by, early)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * 24 * time.Hour)
			_, err = s.WithdrawFiling(ctx, by, a.ID, "太晚了")
			wantErrCode(t, err, apperr.Conflict)
			fixed := early
			fixed.Amount = 31800
			_, err = s.CorrectFiling(ctx, by, a.ID, fixed, nil)
			wantErrCode(t, err, apperr.Conflict)
			if covered(t, db, f.cert.ID)[early.InsuredID] != a.ID {
				t.Error("a refused withdrawal changed the coverage")
			}
		})
		t.Run("WithdrawalOfAWithdrawalReopens", func(t *testing.T) {
			ins2 := insuredAdd(5200004)
			a, err := f.s.SubmitFiling(ctx, by, ins2)
			if err != nil {
				t.Fatal(err)
			}
			out := ins2
			out.Kind, out.Reason, out.Amount, out.EffectiveDate = rules.KindWithdraw, "W1", 0, testToday.AddDate(0, 0, 3)
			w, err := f.s.SubmitFiling(ctx, by, out)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := covered(t, db, f.cert.ID)[ins2.InsuredID]; ok {
				t.Fatal("退保 did not end the coverage")
			}
			// The enrollment cannot be undone under its withdrawal.
			markCode5(t, db, a.ID)
			_, err = f.s.WithdrawFiling(ctx, by, a.ID, "撤回加保")
			wantErrCode(t, err, apperr.Conflict)
			if _, err := f.s.WithdrawFiling(ctx, by, w.ID, "員工留任"); err != nil {
				t.Fatal(err)
			}
			if covered(t, db, f.cert.ID)[ins2.InsuredID] != a.ID {
				t.Error("withdrawing the 退保 did not reopen the coverage")
			}
		})
		t.Run("InsuredWithDependents", func(t *testing.T) {
			ins3 := insuredAdd(5200005)
			a, err := f.s.SubmitFiling(ctx, by, ins3)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.SubmitFiling(ctx, by, childAdd(ins3, 5300001, day(2015, 1, 1))); err != nil {
				t.Fatal(err)
			}
			markCode5(t, db, a.ID)
			_, err = f.s.WithdrawFiling(ctx, by, a.ID, "撤回")
			wantErrCode(t, err, apperr.Conflict)
			// A correction keeps the insured, so the dependent stays.
			fixed := ins3
			fixed.Amount = 31800
			if _, err := f.s.CorrectFiling(ctx, by, a.ID, fixed, nil); err != nil {
				t.Errorf("correcting an insured with a dependent: %v", err)
			}
		})
	})
}
