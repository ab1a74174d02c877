package models

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// AuditCheckpoint is a signed record of the audit chain's head, kept
// outside the database: in a file beside the server and in the auditors'
// daily mail. Whoever rewinds the chain in the database (deleting the newest
// events and the head with them) cannot rewind these copies, so
// VerifyAudit with a checkpoint shows the truncation.
//
// Its file is one JSON object:
//
//	{"seq":123,"hash":"…","at":"2026-12-05T23:10:00Z","key_id":"k20261205-3fa1","mac":"…"}
//
// mac is HMAC-SHA256, under the audit key key_id, of
// "multicert audit checkpoint v1\n<seq>\n<hash>\n<at, RFC 3339>\n<key_id>".
type AuditCheckpoint struct {
	Seq   int64     `json:"seq"`
	Hash  string    `json:"hash"`
	At    time.Time `json:"at"`
	KeyID string    `json:"key_id"`
	MAC   string    `json:"mac"`
}

func (cp *AuditCheckpoint) message() []byte {
	return []byte("multicert audit checkpoint v1\n" + strconv.FormatInt(cp.Seq, 10) + "\n" + cp.Hash + "\n" +
		cp.At.UTC().Format(time.RFC3339Nano) + "\n" + cp.KeyID)
}

// signAuditCheckpoint makes a checkpoint of the event seq with hash, signed
// with the current key.
func signAuditCheckpoint(keys *AuditKeys, seq int64, hash string, at time.Time) (*AuditCheckpoint, error) {
	cp := &AuditCheckpoint{Seq: seq, Hash: hash, At: at.UTC().Truncate(time.Second), KeyID: keys.CurrentID()}
	var err error
	if cp.MAC, err = keys.mac(cp.KeyID, cp.message()); err != nil {
		return nil, fmt.Errorf("models: audit checkpoint: %w", err)
	}
	return cp, nil
}

// ErrBadCheckpoint is returned for a checkpoint whose signature does not
// hold under the keys given.
var ErrBadCheckpoint = errors.New("models: the audit checkpoint's signature does not verify")

// Verify checks the checkpoint's signature.
func (cp *AuditCheckpoint) Verify(keys *AuditKeys) error {
	want, err := keys.mac(cp.KeyID, cp.message())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if !hmac.Equal([]byte(want), []byte(cp.MAC)) {
		return fmt.Errorf("%w (seq %d, key %s): it was changed or made without the key", ErrBadCheckpoint, cp.Seq, cp.KeyID)
	}
	return nil
}

// JSON is the checkpoint as its file holds it, on one line.
func (cp *AuditCheckpoint) JSON() string {
	b, _ := json.Marshal(cp) // plain fields always marshal
	return string(b)
}

// ParseAuditCheckpoint reads a checkpoint: its file, or any text holding
// it on one line, such as the auditors' mail.
func ParseAuditCheckpoint(b []byte) (*AuditCheckpoint, error) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if !bytes.HasPrefix(line, []byte(`{"seq"`)) {
			continue
		}
		cp := new(AuditCheckpoint)
		if err := json.Unmarshal(line, cp); err != nil {
			return nil, fmt.Errorf("models: audit checkpoint: %w", err)
		}
		if cp.Seq < 0 || len(cp.Hash) != 64 || cp.KeyID == "" || cp.MAC == "" {
			return nil, errors.New("models: audit checkpoint: seq, hash, key_id or mac missing")
		}
		return cp, nil
	}
	return nil, errors.New(`models: audit checkpoint: no line starting with {"seq"`)
}

// ReadAuditCheckpoint reads a checkpoint file; a missing file gives nil
// and an error matching fs.ErrNotExist.
func ReadAuditCheckpoint(path string) (*AuditCheckpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cp, err := ParseAuditCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cp, nil
}

// WriteAuditCheckpoint replaces the file at path with cp, atomically: a
// crash leaves the old checkpoint or the new one, never half of one.
func WriteAuditCheckpoint(path string, cp *AuditCheckpoint) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("models: write audit checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".audit-checkpoint-*")
	if err != nil {
		return fmt.Errorf("models: write audit checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.WriteString(cp.JSON() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("models: write audit checkpoint: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("models: write audit checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("models: write audit checkpoint: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return fmt.Errorf("models: write audit checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("models: write audit checkpoint: %w", err)
	}
	return nil
}

// CheckpointAudit verifies the chain from the previous checkpoint prev (the
// whole chain when prev is nil) up to the head, and returns a new
// checkpoint of the head signed with the current key. A broken chain gives
// an *AuditBreak and no checkpoint: a checkpoint vouches only for what
// verified.
func (s *Store) CheckpointAudit(ctx context.Context, prev *AuditCheckpoint) (*AuditCheckpoint, error) {
	if s.AuditKeys == nil {
		return nil, ErrNoAuditKey
	}
	from := int64(1)
	if prev != nil {
		if err := prev.Verify(s.AuditKeys); err != nil {
			return nil, err
		}
		from = max(prev.Seq, 1)
	}
	end, err := verifyChain(ctx, s.DB, s.AuditKeys, prev, from)
	if err != nil {
		return nil, err
	}
	if end.seq == 0 {
		end.hash = genesisHash
	}
	return signAuditCheckpoint(s.AuditKeys, end.seq, end.hash, s.now())
}

// AuditCheckpointer keeps a store's checkpoint file: the server's jobs call
// Checkpoint every hour, and once a day with mail.
type AuditCheckpointer struct {
	Store *Store
	Path  string // e.g. <data-dir>/audit-checkpoint.json
}

// Checkpoint verifies the events since the file's checkpoint and replaces
// the file with a checkpoint of the head. With mail, it also mails the new
// checkpoint to the auditors, or, when the chain or the file does not
// verify, an alert; the file is then left as it was, for the
// investigation.
func (c *AuditCheckpointer) Checkpoint(ctx context.Context, mail bool) (*AuditCheckpoint, error) {
	prev, err := ReadAuditCheckpoint(c.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, c.alert(ctx, mail, err)
	}
	cp, err := c.Store.CheckpointAudit(ctx, prev)
	if err != nil {
		return nil, c.alert(ctx, mail, err)
	}
	if err := WriteAuditCheckpoint(c.Path, cp); err != nil {
		return nil, err
	}
	if mail {
		if err := c.Store.MailAuditCheckpoint(ctx, cp); err != nil {
			return cp, err
		}
	}
	return cp, nil
}

func (c *AuditCheckpointer) alert(ctx context.Context, mail bool, cause error) error {
	if !mail {
		return cause
	}
	if err := c.Store.MailAuditAlert(ctx, cause); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// auditorAddresses are the e-mail addresses of the active auditors.
func (s *Store) auditorAddresses(ctx context.Context) ([]string, error) {
	var to []string
	err := s.DB.NewSelect().Model((*Staff)(nil)).Column("email").
		Where("role = 'auditor' AND status = 'active' AND email <> ''").Order("id").Scan(ctx, &to)
	if err != nil {
		return nil, fmt.Errorf("models: auditors' addresses: %w", err)
	}
	return to, nil
}

// MailAuditCheckpoint puts the day's checkpoint mail to the auditors in the
// outbox, once per Taipei day. Without auditors with an address it does
// nothing.
func (s *Store) MailAuditCheckpoint(ctx context.Context, cp *AuditCheckpoint) error {
	to, err := s.auditorAddresses(ctx)
	if err != nil || len(to) == 0 {
		return err
	}
	day := cp.At.In(taipei).Format(time.DateOnly)
	body := "各位稽核人員您好：\n\n" +
		"以下是稽核紀錄雜湊鏈今日的檢查點。請將最後一行（以 {\"seq\" 開頭）另存於系統以外之處，例如存成 checkpoint.json；\n" +
		"日後以 multicert audit verify --checkpoint checkpoint.json 驗證時，紀錄若遭刪改或截斷即會被指出。\n\n" +
		fmt.Sprintf("序號：%d\n雜湊：%s\n時間：%s（臺北時間）\n金鑰代號：%s\n\n",
			cp.Seq, cp.Hash, cp.At.In(taipei).Format("2006-01-02 15:04:05"), cp.KeyID) +
		cp.JSON() + "\n"
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return Enqueue(ctx, tx, s.now(), "audit-checkpoint:"+day, to, "稽核紀錄每日檢查點 "+day, body)
	})
}

// MailAuditAlert tells the auditors, once per Taipei day, that the chain
// or the checkpoint file did not verify.
func (s *Store) MailAuditAlert(ctx context.Context, cause error) error {
	to, err := s.auditorAddresses(ctx)
	if err != nil || len(to) == 0 {
		return err
	}
	day := s.now().In(taipei).Format(time.DateOnly)
	body := "各位稽核人員您好：\n\n" +
		"今日的稽核紀錄檢查未通過，紀錄可能遭到刪改。檢查點檔案維持前一次的內容，請保存並儘速調查：\n\n" +
		strings.TrimSpace(cause.Error()) + "\n\n" +
		"可以 multicert audit verify --checkpoint <先前保存的檢查點> 重新驗證。\n"
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return Enqueue(ctx, tx, s.now(), "audit-alert:"+day, to, "警示：稽核紀錄驗證未通過 "+day, body)
	})
}
