package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
)

// Deregistration statuses share the change request's words.
const (
	DeregPending  = "pending"
	DeregApproved = "approved"
	DeregRejected = "rejected"
)

// Deregistration is a request to deregister (註銷) a unit account so that
// the unit can register again with the other card type (Q4). Staff ask; a
// supervisor who is not the requester decides.
type Deregistration struct {
	bun.BaseModel `bun:"table:deregistrations"`
	ID            int64      `bun:"id,pk,autoincrement"`
	UnitID        int64      `bun:"unit_id"`
	AccountID     int64      `bun:"account_id"`
	Reason        string     `bun:"reason"`
	RequestedBy   int64      `bun:"requested_by"`
	RequestedAt   time.Time  `bun:"requested_at"`
	Status        string     `bun:"status"`
	DecidedBy     *int64     `bun:"decided_by"`
	DecidedAt     *time.Time `bun:"decided_at"`
	DecisionNote  string     `bun:"decision_note"`
	Version       int64      `bun:"version"`

	Unit      *Unit        `bun:"rel:belongs-to,join:unit_id=id"`
	Account   *UnitAccount `bun:"rel:belongs-to,join:account_id=id"`
	Requester *Staff       `bun:"rel:belongs-to,join:requested_by=id"`
	Decider   *Staff       `bun:"rel:belongs-to,join:decided_by=id"`
}

// RequestDeregistration asks for the unit's active account to be
// deregistered, with a reason; it waits for a supervisor.
func (s *Store) RequestDeregistration(ctx context.Context, a Actor, sc Scope, unitID int64, reason string) (*Deregistration, error) {
	reason = strings.TrimSpace(reason)
	f := fieldErrors{}
	f.text("reason", "註銷原因", reason, 500)
	if err := f.err("請填寫註銷原因。"); err != nil {
		return nil, err
	}
	var d *Deregistration
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, sc, unitID)
		if err != nil {
			return err
		}
		acct, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
		if err != nil {
			return err
		}
		if acct == nil {
			return apperr.New(apperr.Conflict, "此單位沒有有效的多憑證帳號，不需註銷。")
		}
		// The same request sent twice by the same person: answered with
		// the first, not with the other-request-waits refusal.
		var prev Deregistration
		err = tx.NewSelect().Model(&prev).Column("id").
			Where("account_id = ? AND status = ? AND requested_by = ? AND reason = ? AND requested_at >= ?", acct.ID, DeregPending, a.ID, reason, now.Add(-RepeatWindow)).
			Limit(1).Scan(ctx)
		if err == nil {
			return &Repeated{What: "deregistration", ID: prev.ID}
		}
		if !isNoRows(err) {
			return fmt.Errorf("models: request deregistration: %w", err)
		}
		if err := pendingDeregistration(ctx, tx, acct.ID); err != nil {
			return err
		}
		d = &Deregistration{UnitID: u.ID, AccountID: acct.ID, Reason: reason, RequestedBy: a.ID, RequestedAt: now, Status: DeregPending, Version: 1}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "此帳號已有一件待主管核准的註銷申請。")
			}
			return fmt.Errorf("models: request deregistration: %w", err)
		}
		return audit(ctx, tx, now, a, Change{Action: "deregistration.request", UnitID: u.ID, Branch: u.BranchCode,
			ObjectType: "deregistration", ObjectID: fmt.Sprint(d.ID), Reason: reason,
			After: map[string]any{"account_id": acct.ID, "reg_type": acct.RegType}})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// pendingDeregistration refuses a second request for an account while
// one waits, saying who asked and when: the form is then not shown, and a
// request sent from an older page learns why it was not taken.
func pendingDeregistration(ctx context.Context, tx bun.IDB, accountID int64) error {
	d := new(Deregistration)
	err := tx.NewSelect().Model(d).Relation("Requester").
		Where("deregistration.account_id = ? AND deregistration.status = ?", accountID, DeregPending).Limit(1).Scan(ctx)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("models: pending deregistration of account %d: %w", accountID, err)
	}
	who := "另一位同仁"
	if d.Requester != nil {
		who = d.Requester.Name
	}
	return apperr.Newf(apperr.Conflict, "已有待核准的註銷申請（申請人：%s，申請時間：%s），請等候另一位主管核准或駁回。",
		who, d.RequestedAt.In(taipei).Format("2006-01-02 15:04"))
}

// ErrFourEyes refuses a supervisor's decision on their own request.
var ErrFourEyes = apperr.New(apperr.Forbidden, "不能核准或駁回自己提出的申請，請由另一位主管決定。")

// DecideDeregistration approves or rejects a pending deregistration. The
// decider must not be the requester (also enforced by the schema). On
// approval it re-checks that the account is still the unit's active one,
// deregisters it, revokes the unit's clerks and ends every session of
// the unit; the unit may then register again with either card type.
func (s *Store) DecideDeregistration(ctx context.Context, a Actor, sc Scope, id int64, approve bool, note string) error {
	note = strings.TrimSpace(note)
	if msg := input.Text("理由", note, input.MaxReason); msg != "" {
		return apperr.InvalidFields(msg, map[string]string{"note": msg})
	}
	if !approve && note == "" {
		return apperr.InvalidFields("駁回時請填寫理由。", map[string]string{"note": "請填寫駁回理由。"})
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		d := new(Deregistration)
		err := tx.NewSelect().Model(d).Where("deregistration.id = ?", id).
			Where("deregistration.unit_id IN (?)", sc.units(tx.NewSelect().TableExpr("units AS u").Column("u.id"), "u")).Scan(ctx)
		if isNoRows(err) {
			return notFound("註銷申請")
		}
		if err != nil {
			return fmt.Errorf("models: decide deregistration: %w", err)
		}
		if d.RequestedBy == a.ID {
			return ErrFourEyes
		}
		if d.Status != DeregPending {
			return apperr.New(apperr.Conflict, "這件註銷申請已經決定過了，請重新整理查看結果。")
		}
		u, err := UnitByID(ctx, tx, ScopeAll, d.UnitID)
		if err != nil {
			return err
		}
		status, action := DeregRejected, "deregistration.reject"
		after := map[string]any{"waited_seconds": int64(now.Sub(d.RequestedAt).Seconds())}
		if approve {
			status, action = DeregApproved, "deregistration.approve"
			acct, err := ActiveAccount(ctx, tx, UnitScope(d.UnitID), d.UnitID)
			if err != nil {
				return err
			}
			if acct == nil || acct.ID != d.AccountID {
				return apperr.New(apperr.Conflict, "申請後單位帳號已經變動（已註銷或重新註冊），這件申請不能核准，請駁回後視需要重新申請。")
			}
			res, err := tx.NewUpdate().Model(acct).Set("status = ?, deregistered_at = ?, version = version + 1", AccountDeregistered, now).
				Where("id = ? AND version = ?", acct.ID, acct.Version).Exec(ctx)
			if err != nil {
				return fmt.Errorf("models: deregister account: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return apperr.New(apperr.Conflict, "帳號資料剛被變更，請重新整理後再試。")
			}
			res, err = tx.NewUpdate().Model((*Clerk)(nil)).
				Set("status = ?, revoked_at = ?, revoked_by = ?, version = version + 1", ClerkRevoked, now, "本署註銷帳號").
				Where("unit_id = ? AND status = ?", d.UnitID, ClerkActive).Exec(ctx)
			if err != nil {
				return fmt.Errorf("models: revoke clerks: %w", err)
			}
			revoked, _ := res.RowsAffected()
			ended, err := EndSessionsOfUnit(ctx, tx, d.UnitID)
			if err != nil {
				return err
			}
			after["account_status"], after["clerks_revoked"], after["sessions_ended"] = AccountDeregistered, revoked, ended
		}
		res, err := tx.NewUpdate().Model(d).Set("status = ?, decided_by = ?, decided_at = ?, decision_note = ?, version = version + 1", status, a.ID, now, note).
			Where("id = ? AND version = ? AND status = ?", d.ID, d.Version, DeregPending).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: decide deregistration: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "這件註銷申請剛被另一位主管決定，請重新整理查看結果。")
		}
		after["status"] = status
		if err := audit(ctx, tx, now, a, Change{Action: action, UnitID: d.UnitID, Branch: u.BranchCode, ObjectType: "deregistration",
			ObjectID: fmt.Sprint(d.ID), Before: map[string]string{"status": DeregPending}, After: after, Reason: note}); err != nil {
			return err
		}
		if !approve {
			return nil // the unit asked by phone; the officer tells them
		}
		return notify(ctx, tx, now, u, "貴單位的多憑證帳號已註銷",
			"依貴單位的申請，本署已註銷貴單位的多憑證帳號，原指派的承辦人已一併解除。請以工商憑證或負責人健保卡重新註冊，並重新指派承辦人。",
			"/register", fmt.Sprintf("deregistration.approve:%d", d.ID))
	})
}

// DeregistrationQueue is one page (from 1) of the pending deregistrations
// within the scope, oldest first, and how many are pending in all.
func DeregistrationQueue(ctx context.Context, db bun.IDB, sc Scope, page int) ([]Deregistration, int, error) {
	if !sc.staffWork() {
		return nil, 0, nil
	}
	_, total, err := pendingCounts(ctx, db, sc)
	if err != nil {
		return nil, 0, fmt.Errorf("models: deregistration queue: %w", err)
	}
	var ds []Deregistration
	// The queue shows the unit's code and name, the account's kind and
	// the requester's name: only those columns of the joined rows (50
	// rows of four whole joined rows were two fifths of the page's time,
	// scanned); a pending request has no decider.
	cols := func(c ...string) func(*bun.SelectQuery) *bun.SelectQuery {
		return func(q *bun.SelectQuery) *bun.SelectQuery { return q.Column(c...) }
	}
	p := bindFirstPage(db, page)
	q := sc.unitsBound(p, db.NewSelect().Conn(p).Model(&ds).Relation("Unit", cols("id", "code", "name", "branch_code")).
		Relation("Requester", cols("id", "name")).Relation("Account", cols("id", "reg_type")), `"unit"`).
		Where("deregistration.status = ?", DeregPending).Order("deregistration.requested_at", "deregistration.id").
		Limit(QueuePageSize).Offset(int64((max(page, 1) - 1) * QueuePageSize))
	if err := q.Scan(ctx); err != nil {
		return nil, 0, fmt.Errorf("models: deregistration queue: %w", err)
	}
	return ds, total, nil
}

// Deregistrations lists deregistrations within the scope: pending ones
// only, or those of one unit (unitID ≠ 0), newest first.
func Deregistrations(ctx context.Context, db bun.IDB, sc Scope, pendingOnly bool, unitID int64) ([]Deregistration, error) {
	var ds []Deregistration
	// The scope filters the joined unit ("unit"), so that head office
	// reads no list of every unit's id.
	p := bind(db)
	q := sc.unitsBound(p, db.NewSelect().Conn(p).Model(&ds).Relation("Unit").Relation("Requester").Relation("Decider").Relation("Account"), `"unit"`)
	if pendingOnly {
		q = q.Where("deregistration.status = ?", DeregPending).Order("deregistration.requested_at")
	} else {
		q = q.Order("deregistration.requested_at DESC")
	}
	if unitID != 0 {
		q = q.Where("deregistration.unit_id = ?", p.ID(unitID))
	}
	if err := q.Limit(200).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: deregistrations: %w", err)
	}
	return ds, nil
}
