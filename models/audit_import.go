package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// AuditEntry is one past change to import into the audit log: when it
// happened, who made it and what it changed, as a business action would
// have recorded it with audit().
type AuditEntry struct {
	At     time.Time
	Actor  Actor
	Change Change
}

// ImportAuditEvents appends entries to the chain in the order given, each
// event exactly as audit() writes it (registered action, cut fields, keyed
// hash linked to the previous one), but with one lock of the head and one
// INSERT for all: for loading history, such as the demo's, a few thousand
// at a time. It runs in tx, a transaction begun by Store.RunInTx (which
// hands it the keys). The events' times are the entries' own; the chain
// orders by seq, so give the entries oldest first.
func ImportAuditEvents(ctx context.Context, tx bun.IDB, entries []AuditEntry) ([]AuditEvent, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	keys := auditKeysFrom(ctx)
	if keys == nil {
		return nil, fmt.Errorf("models: import audit events: %w", ErrNoAuditKey)
	}
	evs := make([]AuditEvent, len(entries))
	for i, e := range entries {
		ev, err := newAuditEvent(e.At, e.Actor, e.Change)
		if err != nil {
			return nil, err
		}
		evs[i] = *ev
	}
	// Taking all the seqs at once holds the head's row lock, as
	// appendEvent does for one: other writers wait, the chain never forks.
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	if err := tx.NewRaw("UPDATE audit_head SET seq = seq + ? WHERE id = 1 RETURNING seq, hash", len(evs)).Scan(ctx, &head); err != nil {
		return nil, fmt.Errorf("models: import audit events: head: %w", err)
	}
	prev, seq := head.Hash, head.Seq-int64(len(evs))
	for i := range evs {
		ev := &evs[i]
		seq++
		ev.ID, ev.Seq, ev.PrevHash, ev.KeyID = 0, seq, prev, keys.CurrentID()
		ev.At = ev.At.UTC().Truncate(time.Microsecond)
		var err error
		if ev.Hash, err = ev.keyedHash(keys); err != nil {
			return nil, fmt.Errorf("models: import audit events: %w", err)
		}
		prev = ev.Hash
	}
	if _, err := tx.NewInsert().Model(&evs).Exec(ctx); err != nil {
		return nil, fmt.Errorf("models: import audit events: insert: %w", err)
	}
	if _, err := tx.NewUpdate().Table("audit_head").Set("hash = ?", prev).Where("id = 1").Exec(ctx); err != nil {
		return nil, fmt.Errorf("models: import audit events: head: %w", err)
	}
	return evs, nil
}
