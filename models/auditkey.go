package models

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// AuditKeyMinBytes is the shortest HMAC key the audit chain accepts.
const AuditKeyMinBytes = 32

var auditKeyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

// AuditKeys are the HMAC-SHA256 keys of the audit chain, by id. The current
// key signs new events; the others verify older ones, so that a key can be
// rotated without rewriting the chain. The keys live outside the database
// (a file or the environment): whoever can write the database but lacks
// them cannot forge a link. AuditKeys never prints its key bytes, not even
// with %v or in a log.
type AuditKeys struct {
	current string
	keys    map[string][]byte
}

// ParseAuditKeys reads keys written as "ID:BASE64" entries, one per line
// (or separated by commas or spaces); blank lines and lines starting with #
// are ignored. Several texts are read in order, and the last key read is
// the current one: to rotate, append a new entry and keep the old ones.
// An id is 1–32 letters, digits, dots, dashes or underscores; a key is at
// least AuditKeyMinBytes bytes, in standard or URL-safe base64.
func ParseAuditKeys(texts ...string) (*AuditKeys, error) {
	k := &AuditKeys{keys: map[string][]byte{}}
	for _, text := range texts {
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			for _, entry := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				if err := k.add(entry); err != nil {
					return nil, err
				}
			}
		}
	}
	if k.current == "" {
		return nil, errors.New("models: audit keys: no key given")
	}
	return k, nil
}

func (k *AuditKeys) add(entry string) error {
	id, b64, ok := strings.Cut(entry, ":")
	if !ok || !auditKeyIDPattern.MatchString(id) {
		// Never quote the entry: it holds key material.
		return fmt.Errorf("models: audit keys: an entry is not ID:BASE64 with an id of 1–32 letters, digits, '.', '-' or '_'")
	}
	key, err := decodeKey(b64)
	if err != nil {
		return fmt.Errorf("models: audit key %q: not base64", id)
	}
	if len(key) < AuditKeyMinBytes {
		return fmt.Errorf("models: audit key %q: %d bytes, want at least %d", id, len(key), AuditKeyMinBytes)
	}
	if old, ok := k.keys[id]; ok && !hmac.Equal(old, key) {
		return fmt.Errorf("models: audit key %q: given twice with different keys", id)
	}
	k.keys[id] = key
	k.current = id
	return nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// NewAuditKeyEntry makes a random 32-byte key and returns it as an
// "ID:BASE64" entry for a key file. The id is the date and four random hex
// digits, e.g. k20261205-3fa1.
func NewAuditKeyEntry(now time.Time) (string, error) {
	b := make([]byte, AuditKeyMinBytes+2)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("models: new audit key: %w", err)
	}
	id := "k" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(b[AuditKeyMinBytes:])
	return id + ":" + base64.StdEncoding.EncodeToString(b[:AuditKeyMinBytes]), nil
}

// CurrentID is the id of the key that signs new events.
func (k *AuditKeys) CurrentID() string {
	if k == nil {
		return ""
	}
	return k.current
}

// IDs lists the ids of all keys, sorted.
func (k *AuditKeys) IDs() []string {
	if k == nil {
		return nil
	}
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// String names the keys by id only.
func (k *AuditKeys) String() string {
	if k == nil {
		return "audit keys (none)"
	}
	return fmt.Sprintf("audit keys %v (current %s)", k.IDs(), k.current)
}

// GoString is String, so that %#v shows no key either.
func (k *AuditKeys) GoString() string { return k.String() }

// LogValue logs the ids only.
func (k *AuditKeys) LogValue() slog.Value {
	if k == nil {
		return slog.StringValue("none")
	}
	return slog.GroupValue(slog.String("current", k.current), slog.Any("ids", k.IDs()))
}

// mac is HMAC-SHA256 of msg under the key id, in hex.
func (k *AuditKeys) mac(id string, msg []byte) (string, error) {
	var key []byte
	if k != nil {
		key = k.keys[id]
	}
	if key == nil {
		return "", fmt.Errorf("no key %q among %s", id, k)
	}
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return hex.EncodeToString(h.Sum(nil)), nil
}

type auditKeysCtx struct{}

// withAuditKeys hands the keys to audit() through the context of a
// transaction: audit is called from every business action, and this keeps
// its signature and needs no package-level state.
func withAuditKeys(ctx context.Context, k *AuditKeys) context.Context {
	if k == nil {
		return ctx
	}
	return context.WithValue(ctx, auditKeysCtx{}, k)
}

func auditKeysFrom(ctx context.Context) *AuditKeys {
	k, _ := ctx.Value(auditKeysCtx{}).(*AuditKeys)
	return k
}

// ErrNoAuditKey is returned by a business action of a Store without
// AuditKeys: the audit chain refuses unkeyed events.
var ErrNoAuditKey = errors.New("models: no audit key: set Store.AuditKeys (the server loads them with --audit-key-file)")

// MarkAuditKey writes an "audit.key" event when the newest event was not
// signed by the current key: after the upgrade from the unkeyed chain and
// after a rotation. The log thus shows when each key came into use, and the
// chain ends in a keyed event, which VerifyAudit requires. The server calls
// it at start; it reports whether it wrote an event.
func (s *Store) MarkAuditKey(ctx context.Context) (bool, error) {
	if s.AuditKeys == nil {
		return false, ErrNoAuditKey
	}
	wrote := false
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var last []AuditEvent
		if err := tx.NewSelect().Model(&last).Column("seq", "key_id").Order("seq DESC").Limit(1).Scan(ctx); err != nil {
			return err
		}
		if len(last) == 0 || last[0].KeyID == s.AuditKeys.CurrentID() {
			return nil
		}
		wrote = true
		return audit(ctx, tx, s.now(), SystemActor, Change{Action: "audit.key", ObjectType: "audit_key",
			ObjectID: s.AuditKeys.CurrentID(), Before: map[string]string{"key_id": last[0].KeyID},
			After: map[string]string{"key_id": s.AuditKeys.CurrentID()}})
	})
	if err != nil {
		return false, fmt.Errorf("models: mark audit key: %w", err)
	}
	return wrote, nil
}
