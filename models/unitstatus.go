package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/twid"
)

var _ = register(Migration{
	Version: 4,
	Name:    "console decisions: unit status reasons, deregistration with four eyes, notices and the mail outbox",
	Up: []string{
		`ALTER TABLE units ADD COLUMN status_code TEXT NOT NULL DEFAULT ''`,
		// Q4: staff request the deregistration of a unit account; another
		// person, a supervisor, decides. The schema refuses a decision by
		// the requester.
		`CREATE TABLE deregistrations (
			id {{ID}},
			unit_id BIGINT NOT NULL REFERENCES units(id),
			account_id BIGINT NOT NULL REFERENCES unit_accounts(id),
			reason TEXT NOT NULL CHECK (reason <> ''),
			requested_by BIGINT NOT NULL REFERENCES staff(id),
			requested_at {{TS}} NOT NULL,
			status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
			decided_by BIGINT REFERENCES staff(id),
			decided_at {{TS}},
			decision_note TEXT NOT NULL DEFAULT '',
			version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
			CHECK (decided_by IS NULL OR decided_by <> requested_by),
			CHECK ((status = 'pending') = (decided_at IS NULL)),
			CHECK ((status = 'pending') = (decided_by IS NULL))
		)`,
		`CREATE UNIQUE INDEX deregistrations_one_pending ON deregistrations (account_id) WHERE status = 'pending'`,
		`CREATE INDEX deregistrations_status ON deregistrations (status, requested_at)`,
		// Portal notices: what the unit sees on its home page.
		`CREATE TABLE notices (
			id {{ID}},
			unit_id BIGINT NOT NULL REFERENCES units(id),
			title TEXT NOT NULL CHECK (title <> ''),
			body TEXT NOT NULL DEFAULT '',
			link TEXT NOT NULL DEFAULT '',
			created_at {{TS}} NOT NULL,
			read_at {{TS}}
		)`,
		`CREATE INDEX notices_unit ON notices (unit_id, created_at)`,
		// The mail outbox: written in the transaction of the change it
		// reports, sent afterwards; dedup_key makes a mail unique.
		`CREATE TABLE outbox (
			id {{ID}},
			dedup_key TEXT NOT NULL UNIQUE,
			to_addrs TEXT NOT NULL CHECK (to_addrs <> ''),
			subject TEXT NOT NULL,
			body TEXT NOT NULL,
			created_at {{TS}} NOT NULL,
			sent_at {{TS}},
			attempts INTEGER NOT NULL DEFAULT 0,
			last_error TEXT NOT NULL DEFAULT '',
			next_attempt_at {{TS}} NOT NULL
		)`,
		`CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at)`,
	},
	Down: []string{
		`DROP TABLE outbox`,
		`DROP TABLE notices`,
		`DROP TABLE deregistrations`,
		`ALTER TABLE units DROP COLUMN status_code`,
	},
})

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

// notify leaves a portal notice for the unit and queues an e-mail to its
// active handlers, in the caller's transaction. key makes the mail unique.
func notify(ctx context.Context, tx bun.IDB, now time.Time, u *Unit, title, body, link, key string) error {
	n := &Notice{UnitID: u.ID, Title: title, Body: body, Link: link, CreatedAt: now}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return fmt.Errorf("models: notice: %w", err)
	}
	var emails []string
	err := tx.NewSelect().Table("handlers").ColumnExpr("DISTINCT email").
		Where("unit_id = ? AND status = ?", u.ID, HandlerActive).Scan(ctx, &emails)
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

// NoticesOfUnit returns the unit's newest notices.
func NoticesOfUnit(ctx context.Context, db bun.IDB, unitID int64, limit int) ([]Notice, error) {
	var ns []Notice
	err := db.NewSelect().Model(&ns).Where("unit_id = ?", unitID).Order("created_at DESC", "id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: notices of unit %d: %w", unitID, err)
	}
	return ns, nil
}
