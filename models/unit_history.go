package models

// The unit's own history (最近異動 on the portal): its own actions and the
// bureau's decisions on its requests, from the audit log, in words. The
// bureau's internal work (phone-case notes, sampling, the audit log
// itself) and its staff's user names never reach it.

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// unitHistoryPrefixes are the action families a unit sees about itself.
// Phone cases (case.*), sampling (sample.*) and refusals (access.*) are
// the bureau's own work and never listed.
var unitHistoryPrefixes = []string{"unit.", "clerk.", "handler.", "nhi.", "change_request.", "deregistration.", "filing."}

// unitHistoryReasons are the staff decisions whose reason is written for
// the unit: a rejected change request says why, and closing or reopening
// the unit tells it the reason in a notice already. Other staff reasons
// (a deregistration's) are the bureau's notes and stay in the console.
var unitHistoryReasons = map[string]bool{"change_request.reject": true, "unit.close": true, "unit.reopen": true}

// staffRoleNames name a staff member to a unit by role, never by user name.
var staffRoleNames = map[string]string{
	"supervisor": "健保署主管",
	"admin":      "健保署系統管理員",
}

// UnitHistoryEntry is one line of a unit's history, in words.
type UnitHistoryEntry struct {
	At     time.Time
	Action string // the action's label
	Who    string // 投保單位, 承辦人 name, 健保署承辦人, …
	Reason string
}

// UnitHistory returns the newest entries of the unit's history, newest
// first, within the scope: the portal passes the unit's own.
func UnitHistory(ctx context.Context, db bun.IDB, sc Scope, unitID int64, limit int) ([]UnitHistoryEntry, error) {
	var evs []AuditEvent
	p := bind(db)
	q := db.NewSelect().Conn(p).Model(&evs).Where("unit_id = ?", p.ID(unitID)).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, p := range unitHistoryPrefixes {
				q = q.WhereOr("action LIKE ?", p+"%")
			}
			return q
		})
	err := sc.ofUnitsBound(p, q, "unit_id").Order("seq DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: history of unit %d: %w", unitID, err)
	}
	out := make([]UnitHistoryEntry, len(evs))
	for i, ev := range evs {
		e := UnitHistoryEntry{At: ev.At, Action: AuditActionLabel(ev.Action), Who: unitHistoryWho(ev)}
		if ev.ActorKind != "staff" || unitHistoryReasons[ev.Action] {
			e.Reason = AuditReasonLabel(ev.Reason)
		}
		out[i] = e
	}
	return out, nil
}

// unitHistoryWho names the actor as the unit may know them.
func unitHistoryWho(ev AuditEvent) string {
	switch ev.ActorKind {
	case "staff":
		if n, ok := staffRoleNames[ev.Role]; ok {
			return n
		}
		return "健保署承辦人"
	case "unit":
		return "投保單位"
	case ActorKindClerk, actorKindClerkFormer:
		return "承辦人 " + ev.ActorName
	case "system":
		return "系統"
	}
	return "未登入者"
}
