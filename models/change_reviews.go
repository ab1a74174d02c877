package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/rocdate"
)

// ReviewItem is a change request in a branch's review queue.
type ReviewItem struct {
	ChangeRequest
	UnitCode   string `bun:"unit_code"`
	UnitName   string `bun:"unit_name"`
	BranchCode string `bun:"branch_code"`
}

// QueuePageSize is how many items a page of a console queue shows (the
// review and approval queues): a page is read at a glance, and what waits
// longest comes first.
const QueuePageSize = 50

// ReviewQueue is one page (from 1) of the pending change requests within
// the scope, oldest first, and how many are pending in all.
func ReviewQueue(ctx context.Context, db bun.IDB, sc Scope, page int) ([]ReviewItem, int, error) {
	pending := func(p *params) *bun.SelectQuery {
		q := db.NewSelect().Conn(p).TableExpr("change_requests AS change_request").
			Join("JOIN units AS u ON u.id = change_request.unit_id").
			Where("change_request.status = ?", RequestPending)
		return sc.unitsBound(p, q, "u")
	}
	if !sc.staffWork() {
		return nil, 0, nil
	}
	total, _, err := pendingCounts(ctx, db, sc)
	if err != nil {
		return nil, 0, fmt.Errorf("models: review queue: %w", err)
	}
	var items []ReviewItem
	if err := pending(bindFirstPage(db, page)).ColumnExpr("change_request.*").
		ColumnExpr("u.code AS unit_code, u.name AS unit_name, u.branch_code AS branch_code").
		OrderExpr("change_request.submitted_at, change_request.id").
		Limit(QueuePageSize).Offset(int64((max(page, 1)-1)*QueuePageSize)).Scan(ctx, &items); err != nil {
		return nil, 0, fmt.Errorf("models: review queue: %w", err)
	}
	return items, total, nil
}

// DecideChangeRequest approves or rejects a pending change request, under
// optimistic locking: version is the one the reviewer saw. When two staff
// decide at once exactly one wins; the other gets a Conflict naming the
// decision already made. An approved change whose effective date has come
// is applied at once; a later one is applied by ApplyDueChanges on that
// date. The unit gets a notice and an e-mail either way.
func (s *Store) DecideChangeRequest(ctx context.Context, a Actor, sc Scope, id, version int64, approve bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if msg := input.Text("理由", reason, input.MaxReason); msg != "" {
		return apperr.InvalidFields(msg, map[string]string{"reason": msg})
	}
	if !approve && reason == "" {
		return apperr.InvalidFields("駁回時請填寫理由，單位會看到這段說明。", map[string]string{"reason": "請填寫駁回理由。"})
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		req, err := ChangeRequestByID(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		status, action := RequestRejected, "change_request.reject"
		if approve {
			status, action = RequestApproved, "change_request.approve"
		}
		res, err := tx.NewUpdate().Model(req).
			Set("status = ?, decided_by = ?, decided_at = ?, decision_reason = ?, version = version + 1", status, a.ID, now, reason).
			Where("id = ? AND version = ? AND status = ?", req.ID, version, RequestPending).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: decide change request: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return alreadyDecided(ctx, tx, req)
		}
		// The unit's row before the audit chain's head, as a filing takes
		// them: an approval applied now updates the unit after its event,
		// and a filing of the unit holding the row while it waited for the
		// head would deadlock with it.
		if err := lockUnitRow(ctx, tx, req.UnitID); err != nil {
			return err
		}
		u, err := UnitByID(ctx, tx, ScopeAll, req.UnitID)
		if err != nil {
			return err
		}
		after := map[string]any{"status": status, "waited_seconds": int64(now.Sub(req.SubmittedAt).Seconds()), "effective_date": req.EffectiveDate}
		if err := audit(ctx, tx, now, a, Change{Action: action, UnitID: u.ID, Branch: u.BranchCode, ObjectType: "change_request",
			ObjectID: fmt.Sprint(req.ID), Before: map[string]string{"status": RequestPending}, After: after, Reason: reason}); err != nil {
			return err
		}
		link := fmt.Sprintf("/portal/requests/%d", req.ID)
		if !approve {
			return notify(ctx, tx, now, u, "基本資料變更申請未通過", fmt.Sprintf("案號 %d 的基本資料變更申請未通過審核，理由：%s", req.ID, reason),
				link, fmt.Sprintf("change_request.reject:%d", req.ID))
		}
		eff := req.Effective()
		if !eff.After(today(now)) {
			req.Status = status
			return applyChange(ctx, tx, now, a, req, u)
		}
		return notify(ctx, tx, now, u, "基本資料變更申請已審核通過",
			fmt.Sprintf("案號 %d 的基本資料變更申請已審核通過，將於生效日期 %s 更新。", req.ID, rocdate.Format(eff)),
			link, fmt.Sprintf("change_request.approve:%d", req.ID))
	})
}

// alreadyDecided explains why a decision lost: someone decided first.
func alreadyDecided(ctx context.Context, tx bun.IDB, req *ChangeRequest) error {
	cur := new(ChangeRequest)
	if err := tx.NewSelect().Model(cur).Where("id = ?", req.ID).Scan(ctx); err != nil {
		return fmt.Errorf("models: decide change request: %w", err)
	}
	switch cur.Status {
	case RequestPending:
		return apperr.New(apperr.Conflict, "這件申請剛被修改，請重新整理後再審核。")
	case RequestCancelled:
		return apperr.New(apperr.Conflict, "單位已取消這件申請。")
	}
	who := "另一位同仁"
	if cur.DecidedBy != nil {
		if st, err := StaffByID(ctx, tx, *cur.DecidedBy); err == nil {
			who = st.Name
		}
	}
	result := "審核通過"
	if cur.Status == RequestRejected {
		result = "駁回"
	}
	at := ""
	if cur.DecidedAt != nil {
		t := cur.DecidedAt.In(taipei)
		at = rocdate.FormatSlash(t) + " " + t.Format("15:04")
	}
	return apperr.Newf(apperr.Conflict, "這件申請已由%s於 %s %s，您的決定未儲存。", who, at, result)
}

// today is the date in Taipei, at 00:00 UTC like effective dates.
func today(now time.Time) time.Time {
	t := now.In(taipei)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// applyChange writes an approved request into the unit, once.
func applyChange(ctx context.Context, tx bun.IDB, now time.Time, a Actor, req *ChangeRequest, u *Unit) error {
	res, err := tx.NewUpdate().Model((*ChangeRequest)(nil)).Set("applied_at = ?", now).
		Where("id = ? AND status = ? AND applied_at IS NULL", req.ID, RequestApproved).Exec(ctx)
	if err != nil {
		return fmt.Errorf("models: apply change request %d: %w", req.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil // applied already, by another instance
	}
	before, after := map[string]any{}, map[string]any{}
	q := tx.NewUpdate().Model((*Unit)(nil)).Set("updated_at = ?, version = version + 1", now).Where("id = ?", u.ID)
	if req.ChangeName {
		before["name"], after["name"] = u.Name, req.NewName
		q = q.Set("name = ?", req.NewName)
	}
	if req.ChangeReg {
		before["reg"], after["reg"] = u.Reg.String(), req.NewReg.String()
		q = q.Set("reg_county = ?, reg_township = ?, reg_village = ?, reg_neighborhood = ?, reg_street = ?",
			req.NewReg.County, req.NewReg.Township, req.NewReg.Village, req.NewReg.Neighborhood, req.NewReg.Street)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("models: apply change request %d: %w", req.ID, err)
	}
	if err := audit(ctx, tx, now, a, Change{Action: "change_request.apply", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "change_request",
		ObjectID: fmt.Sprint(req.ID), Before: before, After: after}); err != nil {
		return err
	}
	return notify(ctx, tx, now, u, "基本資料已變更", fmt.Sprintf("案號 %d 的基本資料變更已生效，貴單位的資料已更新。", req.ID),
		fmt.Sprintf("/portal/requests/%d", req.ID), fmt.Sprintf("change_request.apply:%d", req.ID))
}

// ApplyDueChanges applies the approved requests whose effective date has
// come. It is safe to run anywhere and often: each request is applied once.
func (s *Store) ApplyDueChanges(ctx context.Context) (int, error) {
	var ids []int64
	if err := s.DB.NewSelect().Table("change_requests").Column("id").
		Where("status = ? AND applied_at IS NULL AND effective_date <= ?", RequestApproved, today(s.now()).Format(time.DateOnly)).
		Order("id").Scan(ctx, &ids); err != nil {
		return 0, fmt.Errorf("models: due changes: %w", err)
	}
	n := 0
	for _, id := range ids {
		err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			req := new(ChangeRequest)
			if err := tx.NewSelect().Model(req).Where("id = ?", id).Scan(ctx); err != nil {
				return err
			}
			u, err := UnitByID(ctx, tx, ScopeAll, req.UnitID)
			if err != nil {
				return err
			}
			return applyChange(ctx, tx, s.now(), SystemActor, req, u)
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
