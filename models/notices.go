package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/twid"
)

// notify leaves a portal notice for the unit and queues an e-mail to its
// active clerks, in the caller's transaction. key makes the mail unique.
func notify(ctx context.Context, tx bun.IDB, now time.Time, u *Unit, title, body, link, key string) error {
	n := &Notice{UnitID: u.ID, Title: title, Body: body, Link: link, CreatedAt: now}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return fmt.Errorf("models: notice: %w", err)
	}
	var emails []string
	err := tx.NewSelect().Table("clerks").ColumnExpr("DISTINCT email").
		Where("unit_id = ? AND status = ?", u.ID, ClerkActive).Scan(ctx, &emails)
	if err != nil {
		return fmt.Errorf("models: notice recipients: %w", err)
	}
	if len(emails) == 0 {
		return nil
	}
	// Bodies may carry a reason typed by staff: no ID leaves in full.
	subject := "【健保署多憑證網路】" + twid.MaskIDsIn(title)
	text := fmt.Sprintf("%s（投保單位代號 %s）您好：\n\n%s\n\n請登入多憑證網路承保作業查看詳情。\n本信件由系統自動發送，請勿直接回覆。\n", u.Name, u.Code, twid.MaskIDsIn(body))
	return Enqueue(ctx, tx, now, key, emails, subject, text)
}

// NoticesOfUnit returns the unit's newest notices.
func NoticesOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64, limit int) ([]Notice, error) {
	var ns []Notice
	p := bind(db)
	err := sc.ofUnitsBound(p, db.NewSelect().Conn(p).Model(&ns).Where("unit_id = ?", p.ID(unitID)), "unit_id").Order("created_at DESC", "id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: notices of unit %d: %w", unitID, err)
	}
	return ns, nil
}
