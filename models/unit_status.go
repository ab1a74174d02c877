package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// CloseReasons are the reason codes for temporarily closing a unit (Q5).
var CloseReasons = map[string]string{
	"address_unknown": "營業地址查無此單位",
	"suspended":       "單位申請停業",
	"returned_mail":   "文件連續退件",
	"data_check":      "資料待查核",
	"other":           "其他",
}

// ReopenReasons are the reason codes for reopening a unit.
var ReopenReasons = map[string]string{
	"verified":  "經查核資料無誤",
	"resumed":   "單位已復業",
	"corrected": "單位已更正資料",
	"other":     "其他",
}

// SetUnitStatus closes (暫時關閉) or reopens a unit, at once, with a reason
// code and a comment. Closing ends the unit's sessions; reopening lets the
// unit log in again immediately (the old system said "tomorrow"). The unit
// gets a portal notice and an e-mail.
func (s *Store) SetUnitStatus(ctx context.Context, a Actor, sc Scope, unitID int64, status, code, comment string) error {
	reasons := CloseReasons
	action := "unit.close"
	if status == UnitActive {
		reasons, action = ReopenReasons, "unit.reopen"
	} else if status != UnitClosed {
		return apperr.New(apperr.Invalid, "不明的單位狀態。")
	}
	comment = strings.TrimSpace(comment)
	f := fieldErrors{}
	if _, ok := reasons[code]; !ok {
		f["code"] = "請選擇原因。"
	}
	if code == "other" || comment != "" {
		f.text("comment", "說明", comment, 500)
	}
	if err := f.err("請選擇原因並填寫說明。"); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, sc, unitID)
		if err != nil {
			return err
		}
		if u.Status == status {
			if status == UnitActive {
				return apperr.New(apperr.Conflict, "此單位已經是正常狀態。")
			}
			return apperr.New(apperr.Conflict, "此單位已經是暫時關閉狀態。")
		}
		text := reasons[code]
		if comment != "" {
			text += "：" + comment
		}
		before := map[string]string{"status": u.Status, "reason": u.StatusReason}
		res, err := tx.NewUpdate().Model(u).
			Set("status = ?, status_code = ?, status_reason = ?, updated_at = ?, version = version + 1", status, code, text, now).
			Where("id = ? AND version = ?", u.ID, u.Version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: %s: %w", action, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "單位資料剛被變更，請重新整理後再試。")
		}
		after := map[string]any{"status": status, "reason": text}
		if status == UnitClosed {
			n, err := EndSessionsOfUnit(ctx, tx, u.ID)
			if err != nil {
				return err
			}
			after["sessions_ended"] = n
		}
		if err := audit(ctx, tx, now, a, Change{Action: action, UnitID: u.ID, Branch: u.BranchCode, ObjectType: "unit",
			ObjectID: fmt.Sprint(u.ID), Before: before, After: after, Reason: text}); err != nil {
			return err
		}
		title, body := "貴單位已恢復正常，可立即登入使用", "本署已將貴單位的投保資料恢復為正常狀態（"+text+"），現在即可登入多憑證網路承保作業。"
		if status == UnitClosed {
			title = "貴單位的投保資料已暫時關閉"
			body = fmt.Sprintf("本署已將貴單位的投保資料暫時關閉（%s）。如有疑問請電洽%s %s。", text, u.Branch.Name, u.Branch.Phone)
		}
		return notify(ctx, tx, now, u, title, body, "/portal", fmt.Sprintf("%s:%d:%d", action, u.ID, u.Version+1))
	})
}

// Notice is a message on the unit's portal home page.
type Notice struct {
	bun.BaseModel `bun:"table:notices"`
	ID            int64      `bun:"id,pk,autoincrement"`
	UnitID        int64      `bun:"unit_id"`
	Title         string     `bun:"title"`
	Body          string     `bun:"body"`
	Link          string     `bun:"link"`
	CreatedAt     time.Time  `bun:"created_at"`
	ReadAt        *time.Time `bun:"read_at"`
}
