package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Actor is who does something: a staff member, a unit, a handler, or the system.
type Actor struct {
	Kind   string // system, anonymous, staff, unit, handler
	ID     int64  // staff, account or handler id; 0 for none
	Name   string
	Role   string
	Branch string // the actor's branch code; "" for head office or units
	UnitID int64  // the unit a unit-side actor acts for
	IP     string
}

// SystemActor is the actor of jobs and command-line tools.
var SystemActor = Actor{Kind: "system", Name: "system"}

// Change describes one audited state change.
type Change struct {
	Action     string // e.g. "staff.login", "unit.reopen"
	UnitID     int64  // 0 when no unit is involved
	Branch     string // the branch concerned, "" when none
	ObjectType string
	ObjectID   string
	Before     any // marshalled to JSON; nil for none
	After      any
	Reason     string
}

// audit appends an event to the hash chain. It must run inside the
// transaction of the change it records: if the change rolls back, so does
// its event. Updating audit_head first takes its row lock, so concurrent
// writers queue and the chain never forks.
func audit(ctx context.Context, tx bun.IDB, now time.Time, a Actor, ch Change) error {
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	if err := tx.NewRaw("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").Scan(ctx, &head); err != nil {
		return fmt.Errorf("models: audit %s: head: %w", ch.Action, err)
	}
	ev := &AuditEvent{
		Seq:        head.Seq,
		At:         now.UTC().Truncate(time.Microsecond),
		ActorKind:  a.Kind,
		ActorName:  a.Name,
		Role:       a.Role,
		Action:     ch.Action,
		ObjectType: ch.ObjectType,
		ObjectID:   ch.ObjectID,
		Reason:     ch.Reason,
		ClientIP:   a.IP,
		PrevHash:   head.Hash,
	}
	if a.ID != 0 {
		ev.ActorID = &a.ID
	}
	if ch.UnitID != 0 {
		ev.UnitID = &ch.UnitID
	}
	if ch.Branch != "" {
		ev.BranchCode = &ch.Branch
	}
	var err error
	if ev.BeforeJSON, err = marshalState(ch.Before); err != nil {
		return fmt.Errorf("models: audit %s: before: %w", ch.Action, err)
	}
	if ev.AfterJSON, err = marshalState(ch.After); err != nil {
		return fmt.Errorf("models: audit %s: after: %w", ch.Action, err)
	}
	ev.Hash = ev.computeHash()
	if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("models: audit %s: insert: %w", ch.Action, err)
	}
	if _, err := tx.NewUpdate().Table("audit_head").Set("hash = ?", ev.Hash).Where("id = 1").Exec(ctx); err != nil {
		return fmt.Errorf("models: audit %s: head: %w", ch.Action, err)
	}
	return nil
}

func marshalState(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// computeHash is SHA-256 over a canonical JSON array of every field but the
// row id and the hash itself, including the previous event's hash.
func (ev *AuditEvent) computeHash() string {
	optInt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	optStr := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	fields := []string{
		strconv.FormatInt(ev.Seq, 10),
		ev.At.UTC().Format(time.RFC3339Nano),
		ev.ActorKind, optInt(ev.ActorID), ev.ActorName, ev.Role,
		optInt(ev.UnitID), optStr(ev.BranchCode),
		ev.Action, ev.ObjectType, ev.ObjectID,
		ev.BeforeJSON, ev.AfterJSON, ev.Reason, ev.ClientIP,
		ev.PrevHash,
	}
	b, _ := json.Marshal(fields) // a []string always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AuditBreak names the first event where the chain does not hold.
type AuditBreak struct {
	Seq    int64
	ID     int64
	Reason string
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("audit chain broken at event seq %d (id %d): %s", b.Seq, b.ID, b.Reason)
}

// VerifyAudit walks the whole chain in order, recomputing every hash. It
// returns the number of events checked, and an *AuditBreak for the first
// event whose hash, link or sequence is wrong.
func VerifyAudit(ctx context.Context, db bun.IDB) (int64, error) {
	const page = 2000
	prev := genesisHash
	var seq, n int64
	for {
		var evs []AuditEvent
		if err := db.NewSelect().Model(&evs).Where("seq > ?", seq).Order("seq").Limit(page).Scan(ctx); err != nil {
			return n, fmt.Errorf("models: verify audit: %w", err)
		}
		for i := range evs {
			ev := &evs[i]
			switch {
			case ev.Seq != seq+1:
				return n, &AuditBreak{Seq: ev.Seq, ID: ev.ID, Reason: fmt.Sprintf("sequence jumps from %d to %d (an event is missing)", seq, ev.Seq)}
			case ev.PrevHash != prev:
				return n, &AuditBreak{Seq: ev.Seq, ID: ev.ID, Reason: "prev_hash does not match the previous event's hash"}
			case ev.computeHash() != ev.Hash:
				return n, &AuditBreak{Seq: ev.Seq, ID: ev.ID, Reason: "hash does not match the event's content (the row was changed)"}
			}
			prev, seq = ev.Hash, ev.Seq
			n++
		}
		if len(evs) < page {
			break
		}
	}
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	if err := db.NewRaw("SELECT seq, hash FROM audit_head WHERE id = 1").Scan(ctx, &head); err != nil {
		return n, fmt.Errorf("models: verify audit: head: %w", err)
	}
	if head.Seq != seq || head.Hash != prev {
		return n, &AuditBreak{Seq: head.Seq, Reason: fmt.Sprintf("the chain ends at seq %d but the head says %d (events were removed from the end)", seq, head.Seq)}
	}
	return n, nil
}

// AuditEventsForUnit returns the newest events about a unit, newest first.
func AuditEventsForUnit(ctx context.Context, db bun.IDB, unitID int64, limit int) ([]AuditEvent, error) {
	var evs []AuditEvent
	err := db.NewSelect().Model(&evs).Where("unit_id = ?", unitID).Order("seq DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: audit events of unit %d: %w", unitID, err)
	}
	return evs, nil
}
