package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// Throttle scopes.
const (
	ThrottleStaffLogin = "staff_login"
	ThrottleNHILogin   = "nhi_login" // clerk and unit NHI-card logins
	ThrottleRegister   = "register"  // unit registration, 健保卡網路服務註冊
	ThrottleReset      = "nhi_reset" // password reset
	ThrottleCode       = "code"      // entering an e-mailed one-time code or a 開通碼
)

// throttleRule is the delay policy of one kind of key. Failures count from
// the first failure of a run; a run ends window after its first failure (and
// not while a delay lasts). From the threshold-th failure of a run on, each
// failure delays the key by base, doubling with every further failure up to
// max.
type throttleRule struct {
	kind      string
	threshold int
	base, max time.Duration
	window    time.Duration
}

// The thresholds. The pair (one account from one address) is what a person
// mistyping a password meets: five tries, then delays that grow fast. The
// client key stops one address from spraying many accounts: twenty failures
// within its run, then delays; the run is short (15 minutes) so that an
// office behind one address is not delayed by a morning's typos. The
// account key, counted over all addresses, stops a guesser spread over many
// addresses; its threshold is high and its delays short, because whoever
// can reach it can lock the holder out. One address cannot reach it: its
// pair is delayed long before (the growing delays let a pair fail at most 11
// times an hour), so a stranger cannot keep a known account locked from one
// address, and the holder, logging in from another address, is not delayed
// at all. Order matters: the account row is written first, as ClearFailures
// deletes it first, so that concurrent transactions lock rows in one order.
var throttleRules = [...]throttleRule{
	{kind: "account", threshold: 50, base: time.Minute, max: 5 * time.Minute, window: time.Hour},
	{kind: "pair", threshold: 5, base: time.Minute, max: 15 * time.Minute, window: time.Hour},
	{kind: "client", threshold: 20, base: time.Minute, max: 15 * time.Minute, window: 15 * time.Minute},
}

// delay is the delay after the n-th failure of a run, 0 below the threshold.
func (r throttleRule) delay(n int) time.Duration {
	if n < r.threshold {
		return 0
	}
	d := r.base
	for i := r.threshold; i < n && d < r.max; i++ {
		d *= 2
	}
	return min(d, r.max)
}

// throttleKey is the stored form of a key: hex SHA-256 of the scope, the
// kind and the key's parts, separated by NUL so that no two keys collide.
func throttleKey(scope, kind string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(scope + "\x00" + kind))
	for _, p := range parts {
		h.Write([]byte("\x00" + p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// throttleKeys returns the stored keys of the rules, in their order.
func throttleKeys(scope, account, client string) [len(throttleRules)]string {
	return [...]string{
		throttleKey(scope, "account", account),
		throttleKey(scope, "pair", account, client),
		throttleKey(scope, "client", client),
	}
}

type throttleRow struct {
	bun.BaseModel `bun:"table:throttles"`
	KeyHash       string     `bun:"key_hash,pk"`
	DelayedUntil  *time.Time `bun:"delayed_until"`
}

// CheckThrottle returns an *apperr.Error (code apperr.Locked) whose zh-TW
// message says how long to wait, when the account key or the client key of
// this scope is delayed now. The message depends only on the failures
// counted, never on whether the account exists. db may be a transaction.
func (s *Store) CheckThrottle(ctx context.Context, db bun.IDB, scope, account, client string) error {
	now := s.now()
	keys := throttleKeys(scope, account, client)
	var rows []throttleRow
	if err := db.NewSelect().Model(&rows).Column("key_hash", "delayed_until").
		Where("key_hash IN (?)", bun.List(keys[:])).Where("delayed_until > ?", now).Scan(ctx); err != nil {
		return fmt.Errorf("models: check throttle %s: %w", scope, err)
	}
	var until time.Time
	for _, r := range rows {
		if r.DelayedUntil != nil && r.DelayedUntil.After(until) {
			until = *r.DelayedUntil
		}
	}
	if !until.After(now) {
		return nil
	}
	return throttledError(until.Sub(now))
}

// throttledError tells how long to wait, in whole minutes rounded up.
func throttledError(wait time.Duration) error {
	minutes := int((wait + time.Minute - 1) / time.Minute)
	return apperr.Newf(apperr.Locked, "嘗試失敗次數過多，請於 %d 分鐘後再試。", minutes)
}

// RecordFailure counts one failure for the account and the client;
// lockedNow is true when this failure put the account key — counted over
// all clients, or for this client — into a delay it was not in before
// during this run (so the caller can notify the holder once). Each counter
// moves in one atomic upsert, so concurrent failures on any number of
// server instances sharing the database all count. Call it before the
// audit event of the same transaction: throttle rows, then the audit head,
// is the one lock order.
func (s *Store) RecordFailure(ctx context.Context, db bun.IDB, scope, account, client string) (lockedNow bool, err error) {
	now := s.now()
	keys := throttleKeys(scope, account, client)
	for i, r := range throttleRules {
		accountHash := ""
		if r.kind != "client" {
			accountHash = keys[0]
		}
		n, err := bumpThrottle(ctx, db, now, r, scope, keys[i], accountHash)
		if err != nil {
			return false, fmt.Errorf("models: record failure %s: %w", scope, err)
		}
		if r.kind != "client" && n == r.threshold {
			lockedNow = true
		}
	}
	return lockedNow, nil
}

// bumpThrottle counts one failure of a key and sets its delay; it returns
// the failures of the run. The delay is raised, never lowered, so that
// concurrent failures, whatever order they finish in, leave the longest.
func bumpThrottle(ctx context.Context, db bun.IDB, now time.Time, r throttleRule, scope, key, accountHash string) (int, error) {
	// A run restarts once its window has passed and no delay lasts. Every
	// SET expression sees the row as it was before the update.
	const restart = "(throttles.first_at <= ?0 AND (throttles.delayed_until IS NULL OR throttles.delayed_until <= ?1))"
	var n int
	err := db.NewRaw(`INSERT INTO throttles (key_hash, scope, kind, account_hash, failures, first_at, expires_at)
		VALUES (?2, ?3, ?4, ?5, 1, ?1, ?6)
		ON CONFLICT (key_hash) DO UPDATE SET
			failures = CASE WHEN `+restart+` THEN 1 ELSE throttles.failures + 1 END,
			first_at = CASE WHEN `+restart+` THEN ?1 ELSE throttles.first_at END,
			delayed_until = CASE WHEN `+restart+` THEN NULL ELSE throttles.delayed_until END,
			expires_at = CASE WHEN `+restart+` THEN ?6 ELSE throttles.expires_at END
		RETURNING failures`,
		now.Add(-r.window), now, key, scope, r.kind, accountHash, now.Add(r.window)).Scan(ctx, &n)
	if err != nil {
		return 0, err
	}
	if d := r.delay(n); d > 0 {
		until := now.Add(d)
		if _, err := db.NewRaw(`UPDATE throttles SET
				delayed_until = CASE WHEN delayed_until IS NULL OR delayed_until < ?0 THEN ?0 ELSE delayed_until END,
				expires_at = CASE WHEN expires_at < ?0 THEN ?0 ELSE expires_at END
			WHERE key_hash = ?1`, until, key).Exec(ctx); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// ClearFailures forgets the account key's failures after a success: the
// account's own counter and its pairs with every client (the success shows
// the holder is back). The clients' counters stay, so an address guessing
// at the account gains a few tries at most, and none once its own counter
// delays it.
func (s *Store) ClearFailures(ctx context.Context, db bun.IDB, scope, account string) error {
	key := throttleKey(scope, "account", account)
	// The account row first, as RecordFailure writes it first.
	if _, err := db.NewDelete().Model((*throttleRow)(nil)).Where("key_hash = ?", key).Exec(ctx); err != nil {
		return fmt.Errorf("models: clear failures %s: %w", scope, err)
	}
	if _, err := db.NewDelete().Model((*throttleRow)(nil)).Where("account_hash = ? AND kind = 'pair'", key).Exec(ctx); err != nil {
		return fmt.Errorf("models: clear failures %s: %w", scope, err)
	}
	return nil
}

// PurgeExpiredThrottles deletes the counters whose run and delay are over.
func (s *Store) PurgeExpiredThrottles(ctx context.Context) (int64, error) {
	res, err := s.DB.NewDelete().Model((*throttleRow)(nil)).Where("expires_at < ?", s.now()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: purge throttles: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
