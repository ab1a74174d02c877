package models

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Actor is who does something: a staff member, a unit, a clerk, or the system.
type Actor struct {
	Kind   string // system, anonymous, staff, unit, clerk
	ID     int64  // staff, account or clerk id; 0 for none
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

// Audit field limits: audit() cuts longer values and marks the cut, so that
// no input, however large, lands in the log whole. Strings are counted in
// runes (characters), the JSON states in bytes.
const (
	AuditMaxName   = 200      // actor_name, object_id
	AuditMaxReason = 1000     // reason
	AuditMaxShort  = 100      // actor_kind, role, action, object_type, client_ip
	AuditMaxJSON   = 16 << 10 // before_json, after_json
)

// audit appends an event to the keyed hash chain. It must run inside the
// transaction of the change it records (Store.tx, which also hands it the
// keys): if the change rolls back, so does its event. Long fields are cut
// (see AuditMaxName and the others). An action missing from the registry
// (auditActions) is refused, so that none escapes the audit search.
func audit(ctx context.Context, tx bun.IDB, now time.Time, a Actor, ch Change) error {
	ev, err := newAuditEvent(now, a, ch)
	if err != nil {
		return err
	}
	return appendEvent(ctx, tx, ev)
}

// newAuditEvent is the event audit() appends for a change by a at now,
// before it is linked into the chain.
func newAuditEvent(now time.Time, a Actor, ch Change) (*AuditEvent, error) {
	if _, ok := auditActionByCode[ch.Action]; !ok {
		return nil, fmt.Errorf("models: audit %q: not a registered audit action (models/audit_actions.go)", ch.Action)
	}
	ev := &AuditEvent{
		At:         now,
		ActorKind:  boundText(a.Kind, AuditMaxShort),
		ActorName:  boundText(a.Name, AuditMaxName),
		Role:       boundText(a.Role, AuditMaxShort),
		Action:     boundText(ch.Action, AuditMaxShort),
		ObjectType: boundText(ch.ObjectType, AuditMaxShort),
		ObjectID:   boundText(ch.ObjectID, AuditMaxName),
		Reason:     boundText(ch.Reason, AuditMaxReason),
		ClientIP:   boundText(a.IP, AuditMaxShort),
	}
	if a.ID != 0 {
		ev.ActorID = &a.ID
	}
	if ch.UnitID != 0 {
		ev.UnitID = &ch.UnitID
	}
	if ch.Branch != "" {
		b := boundText(ch.Branch, AuditMaxShort)
		ev.BranchCode = &b
	}
	var err error
	if ev.BeforeJSON, err = marshalState(ch.Before); err != nil {
		return nil, fmt.Errorf("models: audit %s: before: %w", ch.Action, err)
	}
	if ev.AfterJSON, err = marshalState(ch.After); err != nil {
		return nil, fmt.Errorf("models: audit %s: after: %w", ch.Action, err)
	}
	return ev, nil
}

// AppendAuditEvent appends ev to the chain as it is given, in one
// transaction of the store: it sets Seq, PrevHash, KeyID and Hash, and cuts
// long fields as audit() does. Business actions write their events
// themselves; this is for events prepared elsewhere, such as tests'.
func (s *Store) AppendAuditEvent(ctx context.Context, ev *AuditEvent) error {
	ev.ActorKind, ev.Role = boundText(ev.ActorKind, AuditMaxShort), boundText(ev.Role, AuditMaxShort)
	ev.Action, ev.ObjectType = boundText(ev.Action, AuditMaxShort), boundText(ev.ObjectType, AuditMaxShort)
	ev.ActorName, ev.ObjectID = boundText(ev.ActorName, AuditMaxName), boundText(ev.ObjectID, AuditMaxName)
	ev.Reason, ev.ClientIP = boundText(ev.Reason, AuditMaxReason), boundText(ev.ClientIP, AuditMaxShort)
	ev.BeforeJSON, ev.AfterJSON = boundJSON(ev.BeforeJSON), boundJSON(ev.AfterJSON)
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error { return appendEvent(ctx, tx, ev) })
}

// appendEvent links ev to the head and signs it with the current key of the
// context. Updating audit_head first takes its row lock, so concurrent
// writers queue and the chain never forks.
func appendEvent(ctx context.Context, tx bun.IDB, ev *AuditEvent) error {
	keys := auditKeysFrom(ctx)
	if keys == nil {
		return fmt.Errorf("models: audit %s: %w", ev.Action, ErrNoAuditKey)
	}
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	if err := tx.NewRaw("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").Scan(ctx, &head); err != nil {
		return fmt.Errorf("models: audit %s: head: %w", ev.Action, err)
	}
	ev.ID, ev.Seq, ev.PrevHash, ev.KeyID = 0, head.Seq, head.Hash, keys.CurrentID()
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	var err error
	if ev.Hash, err = ev.keyedHash(keys); err != nil {
		return fmt.Errorf("models: audit %s: %w", ev.Action, err)
	}
	if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("models: audit %s: insert: %w", ev.Action, err)
	}
	if _, err := tx.NewUpdate().Table("audit_head").Set("hash = ?", ev.Hash).Where("id = 1").Exec(ctx); err != nil {
		return fmt.Errorf("models: audit %s: head: %w", ev.Action, err)
	}
	return nil
}

func marshalState(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return boundJSON(string(b)), err
}

// boundText makes s storable text of at most max runes: invalid UTF-8 and
// NUL (which PostgreSQL refuses) become U+FFFD, and a longer value keeps
// its beginning followed by a marker giving the original length.
func boundText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	n := utf8.RuneCountInString(s)
	if n <= max {
		return s
	}
	marker := fmt.Sprintf("…〔已截斷，原長 %d 字〕", n)
	keep := max - utf8.RuneCountInString(marker)
	if keep < 0 {
		keep = 0
	}
	i, k := 0, 0
	for k < keep {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		k++
	}
	return s[:i] + marker
}

// boundJSON replaces a JSON text longer than AuditMaxJSON bytes with a small
// JSON object that says so and keeps the text's beginning:
// {"truncated":true,"bytes":N,"head":"…"}.
func boundJSON(s string) string {
	if len(s) <= AuditMaxJSON {
		return s
	}
	head := strings.ToValidUTF8(s[:AuditMaxJSON], "")
	for {
		b, _ := json.Marshal(struct {
			Truncated bool   `json:"truncated"`
			Bytes     int    `json:"bytes"`
			Head      string `json:"head"`
		}{true, len(s), head})
		if len(b) <= AuditMaxJSON {
			return string(b)
		}
		// Escaping made it longer: keep less, on a rune boundary.
		cut := len(head) - (len(b) - AuditMaxJSON) - 16
		if cut < 0 {
			cut = 0
		}
		for cut > 0 && !utf8.RuneStart(head[cut]) {
			cut--
		}
		head = head[:cut]
	}
}

// hashFields is the canonical JSON array of every field but the row id,
// the hash and the key id, including the previous event's hash.
func (ev *AuditEvent) hashFields() []string {
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
	return []string{
		strconv.FormatInt(ev.Seq, 10),
		ev.At.UTC().Format(time.RFC3339Nano),
		ev.ActorKind, optInt(ev.ActorID), ev.ActorName, ev.Role,
		optInt(ev.UnitID), optStr(ev.BranchCode),
		ev.Action, ev.ObjectType, ev.ObjectID,
		ev.BeforeJSON, ev.AfterJSON, ev.Reason, ev.ClientIP,
		ev.PrevHash,
	}
}

// legacyHash is the hash of events written before the chain was keyed:
// plain SHA-256 over hashFields. Anyone can compute it, so it only proves
// order, not authorship.
func (ev *AuditEvent) legacyHash() string {
	b, _ := json.Marshal(ev.hashFields()) // a []string always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// keyedHash is HMAC-SHA256, under the key ev.KeyID, of hashFields followed
// by the key id.
func (ev *AuditEvent) keyedHash(keys *AuditKeys) (string, error) {
	b, _ := json.Marshal(append(ev.hashFields(), ev.KeyID))
	return keys.mac(ev.KeyID, b)
}

// AuditBreak names the first event where the chain does not hold.
type AuditBreak struct {
	Seq    int64
	ID     int64 // 0 when no row is at fault (a missing tail)
	Reason string
}

func (b *AuditBreak) Error() string {
	if b.ID == 0 {
		return fmt.Sprintf("audit chain broken at seq %d: %s", b.Seq, b.Reason)
	}
	return fmt.Sprintf("audit chain broken at event seq %d (id %d): %s", b.Seq, b.ID, b.Reason)
}

// VerifyAudit walks the whole chain in order, recomputing every hash, and
// returns the number of events checked, or an *AuditBreak naming the first
// event whose hash, key, link or sequence is wrong. Keyed events verify with
// keys; legacy events (plain SHA-256, key id "") only before the first
// keyed one, and the newest event must be keyed, so that a chain recomputed
// without the key shows. With a checkpoint cp (taken earlier and kept
// outside the database), the chain must also reach cp's seq with cp's hash,
// so that removing the newest events and rewinding the head shows too.
func VerifyAudit(ctx context.Context, db bun.IDB, keys *AuditKeys, cp *AuditCheckpoint) (int64, error) {
	if cp != nil {
		if err := cp.Verify(keys); err != nil {
			return 0, err
		}
	}
	end, err := verifyChain(ctx, db, keys, cp, 1)
	return end.n, err
}

// chainEnd is how far a verification went: n events, up to the head seq
// with hash.
type chainEnd struct {
	n    int64
	seq  int64
	hash string
}

// verifyChain verifies the events from seq from onwards; from 1 is the
// whole chain. Starting later trusts the link into event from, which a
// checkpoint at from vouches for. The head is read first and the walk stops
// there, so that events committed meanwhile do not count as a mismatch.
func verifyChain(ctx context.Context, db bun.IDB, keys *AuditKeys, cp *AuditCheckpoint, from int64) (chainEnd, error) {
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	if err := db.NewRaw("SELECT seq, hash FROM audit_head WHERE id = 1").Scan(ctx, &head); err != nil {
		return chainEnd{}, fmt.Errorf("models: verify audit: head: %w", err)
	}
	const page = 2000
	prev, seq := genesisHash, from-1
	var n int64
	keyed := false // a keyed event was seen
	var last *AuditEvent
	for {
		var evs []AuditEvent
		err := db.NewSelect().Model(&evs).Where("seq > ? AND seq <= ?", seq, head.Seq).Order("seq").Limit(page).Scan(ctx)
		if err != nil {
			return chainEnd{n: n}, fmt.Errorf("models: verify audit: %w", err)
		}
		for i := range evs {
			ev := &evs[i]
			link := from == 1 || seq >= from
			if reason := checkEvent(ev, keys, seq, prev, link, keyed); reason != "" {
				return chainEnd{n: n}, &AuditBreak{Seq: ev.Seq, ID: ev.ID, Reason: reason}
			}
			if cp != nil && ev.Seq == cp.Seq && ev.Hash != cp.Hash {
				return chainEnd{n: n}, &AuditBreak{Seq: ev.Seq, ID: ev.ID, Reason: fmt.Sprintf(
					"the hash differs from the checkpoint of %s (the chain up to here was rewritten)", cp.At.Format(time.RFC3339))}
			}
			keyed = keyed || ev.KeyID != ""
			prev, seq = ev.Hash, ev.Seq
			last = ev
			n++
		}
		if len(evs) < page {
			break
		}
	}
	if cp != nil && seq < cp.Seq {
		return chainEnd{n: n}, &AuditBreak{Seq: seq + 1, Reason: fmt.Sprintf(
			"the chain ends at seq %d but the checkpoint of %s has seq %d (events were removed from the end)",
			seq, cp.At.Format(time.RFC3339), cp.Seq)}
	}
	if head.Seq != seq {
		return chainEnd{n: n}, &AuditBreak{Seq: seq + 1, Reason: fmt.Sprintf("the chain ends at seq %d but the head says %d (events were removed from the end)", seq, head.Seq)}
	}
	if (last != nil || from == 1) && head.Hash != prev {
		return chainEnd{n: n}, &AuditBreak{Seq: seq, Reason: "the head's hash is not the newest event's hash"}
	}
	// An event is committed with the head that counts it and the head only
	// grows, so an event beyond a head read after it means a rewound head.
	var beyond struct {
		Max  *int64 `bun:"max"`
		Head int64  `bun:"head"`
	}
	if err := db.NewRaw("SELECT (SELECT max(seq) FROM audit_events) AS max, (SELECT seq FROM audit_head WHERE id = 1) AS head").Scan(ctx, &beyond); err != nil {
		return chainEnd{n: n}, fmt.Errorf("models: verify audit: head: %w", err)
	}
	if beyond.Max != nil && *beyond.Max > beyond.Head {
		return chainEnd{n: n}, &AuditBreak{Seq: seq + 1, Reason: fmt.Sprintf(
			"events up to seq %d lie beyond the head at seq %d (the head was rewound)", *beyond.Max, beyond.Head)}
	}
	if last != nil && last.KeyID == "" && keys != nil {
		return chainEnd{n: n}, &AuditBreak{Seq: last.Seq, ID: last.ID, Reason: "the newest event is not keyed (legacy SHA-256): " +
			"a server with a key writes a keyed event at start, so the chain was recomputed without the key"}
	}
	return chainEnd{n, seq, prev}, nil
}

// checkEvent returns why ev does not follow the event seq with hash prev,
// or "". With link false the prev_hash is not compared (the first event of
// a partial walk).
func checkEvent(ev *AuditEvent, keys *AuditKeys, seq int64, prev string, link, keyed bool) string {
	switch {
	case ev.Seq != seq+1:
		return fmt.Sprintf("sequence jumps from %d to %d (an event is missing)", seq, ev.Seq)
	case link && ev.PrevHash != prev:
		return "prev_hash does not match the previous event's hash"
	case ev.KeyID == "" && keyed:
		return "a legacy (unkeyed SHA-256) event after keyed events: the chain was recomputed without the key"
	case ev.KeyID == "":
		if ev.legacyHash() != ev.Hash {
			return "hash does not match the event's content (the row was changed)"
		}
		return ""
	}
	want, err := ev.keyedHash(keys)
	switch {
	case err != nil:
		return fmt.Sprintf("signed with key %q, which is not among the keys given (%v)", ev.KeyID, keys.IDs())
	case !hmac.Equal([]byte(want), []byte(ev.Hash)):
		return fmt.Sprintf("HMAC (key %s) does not match the event's content: the row was changed, or the chain was recomputed without the key", ev.KeyID)
	}
	return ""
}

// AuditEventsOfUnit returns the newest events about a unit, newest first.
func AuditEventsOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64, limit int) ([]AuditEvent, error) {
	var evs []AuditEvent
	p := bind(db)
	err := sc.ofUnitsBound(p, db.NewSelect().Conn(p).Model(&evs).Where("unit_id = ?", p.ID(unitID)), "unit_id").Order("seq DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: audit events of unit %d: %w", unitID, err)
	}
	return evs, nil
}
