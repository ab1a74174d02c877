package models_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// The attacker of these tests can write the database (triggers included)
// but does not hold the audit key.

// tamper runs fn with the append-only triggers out of the way.
func tamper(t *testing.T, db *bun.DB, fn func(ctx context.Context, db *bun.DB)) {
	t.Helper()
	ctx := context.Background()
	off := []string{"DROP TRIGGER IF EXISTS audit_events_no_update", "DROP TRIGGER IF EXISTS audit_events_no_delete"}
	var on []string
	if models.DialectOf(db) == models.Postgres {
		off = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
		on = []string{"ALTER TABLE audit_events ENABLE TRIGGER USER"}
	}
	for _, s := range off {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("tamper: %s: %v", s, err)
		}
	}
	fn(ctx, db)
	for _, s := range on {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("tamper: %s: %v", s, err)
		}
	}
}

// fields is the chain's canonical JSON array of an event, as documented
// in models (every field but id, hash and key id).
func fields(ev *models.AuditEvent) []string {
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	branch := ""
	if ev.BranchCode != nil {
		branch = *ev.BranchCode
	}
	return []string{strconv.FormatInt(ev.Seq, 10), ev.At.UTC().Format(time.RFC3339Nano),
		ev.ActorKind, opt(ev.ActorID), ev.ActorName, ev.Role, opt(ev.UnitID), branch,
		ev.Action, ev.ObjectType, ev.ObjectID, ev.BeforeJSON, ev.AfterJSON, ev.Reason, ev.ClientIP, ev.PrevHash}
}

// plainSHA256 recomputes an event as the unkeyed chain did.
func plainSHA256(ev *models.AuditEvent) (string, string) {
	b, _ := json.Marshal(fields(ev))
	sum := sha256.Sum256(b)
	return "", hex.EncodeToString(sum[:])
}

// hmacWith recomputes an event with a key the attacker made up, under the
// real key's id.
func hmacWith(key []byte, keyID string) func(ev *models.AuditEvent) (string, string) {
	return func(ev *models.AuditEvent) (string, string) {
		b, _ := json.Marshal(append(fields(ev), keyID))
		h := hmac.New(sha256.New, key)
		h.Write(b)
		return keyID, hex.EncodeToString(h.Sum(nil))
	}
}

// rewrite changes the reason of event seq and recomputes the chain from
// there to the head with hash, head included, as an attacker would.
func rewrite(t *testing.T, db *bun.DB, from, seq int64, hash func(*models.AuditEvent) (string, string)) {
	t.Helper()
	tamper(t, db, func(ctx context.Context, db *bun.DB) {
		var evs []models.AuditEvent
		if err := db.NewSelect().Model(&evs).Order("seq").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		prev := ""
		for i := range evs {
			ev := &evs[i]
			if ev.Seq < from {
				prev = ev.Hash
				continue
			}
			if ev.Seq == seq {
				ev.Reason = "rewritten"
			}
			if prev != "" {
				ev.PrevHash = prev
			}
			ev.KeyID, ev.Hash = hash(ev)
			if _, err := db.NewUpdate().Model(ev).Column("reason", "prev_hash", "key_id", "hash").WherePK().Exec(ctx); err != nil {
				t.Fatal(err)
			}
			prev = ev.Hash
		}
		if _, err := db.ExecContext(ctx, "UPDATE audit_head SET hash = ? WHERE id = 1", prev); err != nil {
			t.Fatal(err)
		}
	})
}

// wantBreak checks that err is an *AuditBreak at seq whose reason says why.
func wantBreak(t *testing.T, err error, seq int64, why string) {
	t.Helper()
	var br *models.AuditBreak
	if !errors.As(err, &br) || br.Seq != seq || !strings.Contains(br.Reason, why) {
		t.Fatalf("VerifyAudit: %v; want a break at seq %d saying %q", err, seq, why)
	}
}

func TestAuditTamperEdit(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		seedEvents(t, s, 5)
		tamper(t, db, func(ctx context.Context, db *bun.DB) {
			if _, err := db.ExecContext(ctx, "UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 2"); err != nil {
				t.Fatal(err)
			}
		})
		_, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil)
		wantBreak(t, err, 2, "HMAC (key test-1) does not match")
	})
}

func TestAuditTamperRecomputed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		from, seq  int64
		hash       func(*models.AuditEvent) (string, string)
		wantSeq    int64
		wantReason string
	}{
		{"plain SHA-256 from the edit", 3, 3, plainSHA256, 3, "legacy (unkeyed SHA-256) event after keyed events"},
		{"plain SHA-256 from the start", 1, 3, plainSHA256, 5, "newest event is not keyed"},
		{"HMAC with another key", 3, 3, hmacWith([]byte("not the key, but 32 bytes long!!"), "test-1"), 3, "HMAC (key test-1) does not match"},
		{"HMAC with another key from the start", 1, 3, hmacWith([]byte("not the key, but 32 bytes long!!"), "test-1"), 1, "HMAC (key test-1) does not match"},
		{"HMAC under an unknown key id", 3, 3, hmacWith([]byte("not the key, but 32 bytes long!!"), "mallory"), 3, `key "mallory", which is not among`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
				ctx := context.Background()
				s, _ := modelstest.NewStore(db)
				seedEvents(t, s, 5)
				rewrite(t, db, c.from, c.seq, c.hash)
				_, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil)
				wantBreak(t, err, c.wantSeq, c.wantReason)
			})
		})
	}
}

func TestAuditTamperTruncation(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, clk := modelstest.NewStore(db)
		seedEvents(t, s, 3)
		path := filepath.Join(t.TempDir(), "audit-checkpoint.json")
		c := &models.AuditCheckpointer{Store: s, Path: path}
		cp, err := c.Checkpoint(ctx, false)
		if err != nil || cp.Seq != 3 {
			t.Fatalf("Checkpoint = %+v, %v; want seq 3", cp, err)
		}
		clk.Advance(time.Hour)
		seedEvents(t, s, 2)
		if cp, err = c.Checkpoint(ctx, false); err != nil || cp.Seq != 5 {
			t.Fatalf("second Checkpoint = %+v, %v; want seq 5", cp, err)
		}
		cp, err = models.ReadAuditCheckpoint(path)
		if err != nil || cp.Seq != 5 {
			t.Fatalf("checkpoint file: %+v, %v", cp, err)
		}
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, cp); err != nil {
			t.Fatalf("VerifyAudit with the checkpoint of an intact chain: %v", err)
		}

		// Delete the two newest events and rewind the head to the third.
		tamper(t, db, func(ctx context.Context, db *bun.DB) {
			for _, q := range []string{"DELETE FROM audit_events WHERE seq > 3",
				"UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_events WHERE seq = 3) WHERE id = 1"} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		})
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Fatalf("without a checkpoint the shortened chain holds (it is what a checkpoint is for): %v", err)
		}
		_, err = models.VerifyAudit(ctx, db, modelstest.AuditKeys, cp)
		wantBreak(t, err, 4, "the checkpoint of 2026-03-02T02:00:00Z has seq 5 (events were removed from the end)")
		if _, err := c.Checkpoint(ctx, false); err == nil {
			t.Error("the checkpoint job accepted the shortened chain")
		}
		if again, _ := models.ReadAuditCheckpoint(path); again == nil || again.Seq != 5 {
			t.Errorf("after a failed check the checkpoint file holds %+v, want seq 5 kept", again)
		}

		t.Run("a forged checkpoint is refused", func(t *testing.T) {
			forged := *cp
			forged.Seq = 3
			if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, &forged); !errors.Is(err, models.ErrBadCheckpoint) {
				t.Errorf("VerifyAudit with a changed checkpoint: %v, want ErrBadCheckpoint", err)
			}
		})
	})
}

// TestAuditTamperRewrittenBeforeCheckpoint: a chain recomputed by someone
// who had the key differs from the checkpoint taken before.
func TestAuditTamperRewrittenBeforeCheckpoint(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		seedEvents(t, s, 4)
		cp, err := s.CheckpointAudit(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		key := sha256.Sum256([]byte("multicert test audit key test-1")) // modelstest's key
		rewrite(t, db, 2, 2, hmacWith(key[:], "test-1"))
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Fatalf("the chain recomputed with the key verifies by itself: %v", err)
		}
		_, err = models.VerifyAudit(ctx, db, modelstest.AuditKeys, cp)
		wantBreak(t, err, 4, "differs from the checkpoint")
	})
}

func TestAuditKeyRotation(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		s.AuditKeys = modelstest.MustAuditKeys("old")
		seedEvents(t, s, 2)
		s.AuditKeys = modelstest.MustAuditKeys("old", "new")
		if wrote, err := s.MarkAuditKey(ctx); err != nil || !wrote {
			t.Fatalf("MarkAuditKey after the rotation = %v, %v; want an event", wrote, err)
		}
		if wrote, err := s.MarkAuditKey(ctx); err != nil || wrote {
			t.Fatalf("MarkAuditKey again = %v, %v; want nothing written", wrote, err)
		}
		seedEvents(t, s, 2)
		var ids []string
		if err := db.NewSelect().Table("audit_events").Column("key_id").Order("seq").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ids, ","); got != "old,old,new,new,new" {
			t.Errorf("key ids %s, want old,old,new,new,new", got)
		}
		if n, err := models.VerifyAudit(ctx, db, modelstest.MustAuditKeys("old", "new"), nil); err != nil || n != 5 {
			t.Fatalf("VerifyAudit with both keys = %d, %v; want 5, nil", n, err)
		}
		_, err := models.VerifyAudit(ctx, db, modelstest.MustAuditKeys("new"), nil)
		wantBreak(t, err, 1, `signed with key "old", which is not among the keys given`)
	})
}

// legacyEvents writes n events as the unkeyed chain did before the key id
// column existed: plain SHA-256, key id "".
func legacyEvents(t *testing.T, db *bun.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var head struct {
				Seq  int64  `bun:"seq"`
				Hash string `bun:"hash"`
			}
			if err := tx.NewRaw("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").Scan(ctx, &head); err != nil {
				return err
			}
			ev := &models.AuditEvent{Seq: head.Seq, PrevHash: head.Hash, At: modelstest.Clock, ActorKind: "anonymous",
				ActorName: "old" + strconv.Itoa(i), Action: "staff.login_failed", ClientIP: "192.0.2.1"}
			_, ev.Hash = plainSHA256(ev)
			if _, err := tx.NewInsert().Model(ev).ExcludeColumn("key_id").Exec(ctx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "UPDATE audit_head SET hash = ? WHERE id = 1", ev.Hash)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditLegacyEvents(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		legacyEvents(t, db, 3)
		if n, err := models.VerifyAudit(ctx, db, nil, nil); err != nil || n != 3 {
			t.Fatalf("VerifyAudit of the legacy chain without keys = %d, %v; want 3, nil", n, err)
		}
		s, _ := modelstest.NewStore(db)
		// Before the server marked its key, a legacy head is taken for a
		// chain recomputed without the key.
		_, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil)
		wantBreak(t, err, 3, "newest event is not keyed")
		if wrote, err := s.MarkAuditKey(ctx); err != nil || !wrote {
			t.Fatalf("MarkAuditKey on a legacy head = %v, %v; want an event", wrote, err)
		}
		seedEvents(t, s, 2)
		if n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil || n != 6 {
			t.Fatalf("VerifyAudit of legacy then keyed events = %d, %v; want 6, nil", n, err)
		}
		t.Run("an edited legacy event is named", func(t *testing.T) {
			tamper(t, db, func(ctx context.Context, db *bun.DB) {
				if _, err := db.ExecContext(ctx, "UPDATE audit_events SET client_ip = '203.0.113.9' WHERE seq = 2"); err != nil {
					t.Fatal(err)
				}
			})
			_, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil)
			wantBreak(t, err, 2, "hash does not match the event's content")
		})
	})
}

func TestAuditNeedsKey(t *testing.T) {
	t.Parallel()
	db := modelstest.MustOpenSQLite(t)
	s := models.NewStore(db)
	_, _, err := s.StaffLogin(context.Background(), "", "nobody", "x", "192.0.2.1", "test")
	if !errors.Is(err, models.ErrNoAuditKey) {
		t.Fatalf("an audited action of a store without keys: %v, want ErrNoAuditKey", err)
	}
}

func TestParseAuditKeys(t *testing.T) {
	t.Parallel()
	entry, err := models.NewAuditKeyEntry(modelstest.Clock)
	if err != nil {
		t.Fatal(err)
	}
	id, _, _ := strings.Cut(entry, ":")
	k, err := models.ParseAuditKeys("# a comment\n" + modelstest.AuditKeys.String() + "\n")
	if err == nil {
		t.Errorf("ParseAuditKeys of a key list's String() = %v, want an error", k)
	}
	k, err = models.ParseAuditKeys("old:"+strings.Repeat("A", 44)+"\n", entry)
	if err != nil || k.CurrentID() != id || len(k.IDs()) != 2 {
		t.Fatalf("ParseAuditKeys = %v, %v; want two keys, %s current", k, err, id)
	}
	secret := strings.SplitN(entry, ":", 2)[1]
	for _, shown := range []string{k.String(), k.GoString()} {
		if strings.Contains(shown, secret) {
			t.Errorf("%q shows the key", shown)
		}
	}
	for _, bad := range []string{"", "k1", "k1:short", "bad id:" + secret, "k1:" + secret + "\nk1:" + strings.Repeat("B", 44)} {
		if _, err := models.ParseAuditKeys(bad); err == nil {
			t.Errorf("ParseAuditKeys(%q) accepted", bad)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("the error %q shows the key", err)
		}
	}
}

// TestAuditFieldsBounded: an unauthenticated 5 MiB value cannot land in
// the audit log whole.
func TestAuditFieldsBounded(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		huge := strings.Repeat("甲", 5<<20/3) + strings.Repeat("a", 5<<20%3) // 5 MiB of UTF-8
		if len(huge) != 5<<20 {
			t.Fatalf("test value is %d bytes", len(huge))
		}
		id, err := s.AuditForTest(ctx, modelstest.Clock, models.Actor{Kind: "anonymous", Name: huge + "\x00", IP: huge},
			models.Change{Action: "unit.login_failed", ObjectID: huge, Reason: huge, Before: map[string]string{"name": huge}, After: huge})
		if err != nil {
			t.Fatal(err)
		}
		var ev models.AuditEvent
		if err := db.NewSelect().Model(&ev).Where("id = ?", id).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			name, v string
			max     int
		}{
			{"actor_name", ev.ActorName, models.AuditMaxName}, {"object_id", ev.ObjectID, models.AuditMaxName},
			{"reason", ev.Reason, models.AuditMaxReason}, {"client_ip", ev.ClientIP, models.AuditMaxShort},
		} {
			if n := utf8.RuneCountInString(f.v); n > f.max || !strings.Contains(f.v, "…〔已截斷，原長 174762") || !strings.HasSuffix(f.v, " 字〕") {
				t.Errorf("%s: %d runes ending %q; want at most %d with the cut marked", f.name, n, f.v[max(0, len(f.v)-60):], f.max)
			}
		}
		for name, v := range map[string]string{"before_json": ev.BeforeJSON, "after_json": ev.AfterJSON} {
			var cut struct {
				Truncated bool   `json:"truncated"`
				Bytes     int    `json:"bytes"`
				Head      string `json:"head"`
			}
			if len(v) > models.AuditMaxJSON || json.Unmarshal([]byte(v), &cut) != nil || !cut.Truncated || cut.Bytes < 5<<20 || cut.Head == "" {
				t.Errorf("%s: %d bytes, %+.80v; want at most %d bytes of JSON saying it was cut", name, len(v), cut, models.AuditMaxJSON)
			}
		}
		if n, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil || n != 1 {
			t.Fatalf("VerifyAudit = %d, %v", n, err)
		}
	})
}

// TestAuditCheckpointMail: the daily checkpoint reaches the auditors that
// have an address, once a day, and a broken chain sends an alert instead.
func TestAuditCheckpointMail(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		for i, st := range []models.Staff{
			{Username: "aud1", Name: "稽核甲", Role: "auditor", Email: "aud1@example.org"},
			{Username: "aud2", Name: "稽核乙", Role: "auditor"},
			{Username: "clerk", Name: "承辦丙", Role: "staff", Email: "clerk@example.org"},
		} {
			if err := s.CreateStaff(ctx, models.SystemActor, &st, "correct horse battery "+strconv.Itoa(i)); err != nil {
				t.Fatal(err)
			}
		}
		c := &models.AuditCheckpointer{Store: s, Path: filepath.Join(t.TempDir(), "cp.json")}
		cp, err := c.Checkpoint(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Checkpoint(ctx, true); err != nil {
			t.Fatal(err)
		}
		var mails []models.Mail
		if err := db.NewSelect().Model(&mails).Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(mails) != 1 || mails[0].ToAddrs != "aud1@example.org" || !strings.Contains(mails[0].Subject, "稽核紀錄每日檢查點") {
			t.Fatalf("mails %+v; want one checkpoint mail to aud1", mails)
		}
		fromMail, err := models.ParseAuditCheckpoint([]byte(mails[0].Body))
		if err != nil || *fromMail != *cp {
			t.Fatalf("checkpoint in the mail %+v, %v; want %+v", fromMail, err, cp)
		}
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, fromMail); err != nil {
			t.Fatalf("VerifyAudit with the mailed checkpoint: %v", err)
		}

		tamper(t, db, func(ctx context.Context, db *bun.DB) {
			if _, err := db.ExecContext(ctx, "UPDATE audit_events SET reason = 'x' WHERE seq = 2"); err != nil {
				t.Fatal(err)
			}
		})
		// A new event, so that the walk from the checkpoint reaches past it.
		seedEvents(t, s, 1)
		if err := os.Remove(c.Path); err != nil { // without a file, the whole chain is walked
			t.Fatal(err)
		}
		var br *models.AuditBreak
		if _, err := c.Checkpoint(ctx, true); !errors.As(err, &br) || br.Seq != 2 {
			t.Fatalf("Checkpoint of a tampered chain: %v, want a break at seq 2", err)
		}
		var alert models.Mail
		if err := db.NewSelect().Model(&alert).Where("dedup_key LIKE 'audit-alert:%'").Scan(ctx); err != nil {
			t.Fatalf("no alert mail: %v", err)
		}
		if !strings.Contains(alert.Body, "seq 2") || alert.ToAddrs != "aud1@example.org" {
			t.Errorf("alert to %s: %s", alert.ToAddrs, alert.Body)
		}
	})
}

// TestAuditRewoundHead: the server's role may update audit_head (the chain
// needs it); moving it back leaves events beyond it, which shows.
func TestAuditRewoundHead(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, _ := modelstest.NewStore(db)
		seedEvents(t, s, 4)
		if _, err := db.ExecContext(ctx, "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2) WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		_, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil)
		wantBreak(t, err, 3, "events up to seq 4 lie beyond the head at seq 2")
	})
}
