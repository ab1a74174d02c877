package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Mail is a message of the outbox.
type Mail struct {
	bun.BaseModel `bun:"table:outbox"`
	ID            int64      `bun:"id,pk,autoincrement"`
	DedupKey      string     `bun:"dedup_key"`
	ToAddrs       string     `bun:"to_addrs"` // comma-separated
	Subject       string     `bun:"subject"`
	Body          string     `bun:"body"`
	CreatedAt     time.Time  `bun:"created_at"`
	SentAt        *time.Time `bun:"sent_at"`
	Attempts      int        `bun:"attempts"`
	LastError     string     `bun:"last_error"`
	NextAttemptAt time.Time  `bun:"next_attempt_at"`
}

// Recipients are the mail's addresses.
func (m *Mail) Recipients() []string { return strings.Split(m.ToAddrs, ",") }

// Enqueue puts a mail in the outbox, in the caller's transaction, so that
// it is sent if and only if the change it reports is committed. A second
// mail with the same key is dropped: that makes retried work send once.
func Enqueue(ctx context.Context, tx bun.IDB, now time.Time, key string, to []string, subject, body string) error {
	m := &Mail{DedupKey: key, ToAddrs: strings.Join(to, ","), Subject: subject, Body: body, CreatedAt: now, NextAttemptAt: now}
	if _, err := tx.NewInsert().Model(m).On("CONFLICT (dedup_key) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("models: enqueue mail: %w", err)
	}
	return nil
}

// Sender delivers one mail; SMTP in production.
type Sender interface {
	Send(ctx context.Context, m *Mail) error
}

// SendDue sends the mails that are due, at most limit, and returns how many
// went out. A failure is retried later with a growing delay (1, 2, 4 … 60
// minutes); a mail is marked sent only after the server took it.
func (s *Store) SendDue(ctx context.Context, snd Sender, limit int) (int, error) {
	var due []Mail
	now := s.now()
	err := s.DB.NewSelect().Model(&due).Where("sent_at IS NULL AND next_attempt_at <= ?", now).
		Order("next_attempt_at", "id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: due mail: %w", err)
	}
	sent := 0
	for i := range due {
		m := &due[i]
		if err := snd.Send(ctx, m); err != nil {
			delay := time.Duration(1<<min(m.Attempts, 6)) * time.Minute
			if delay > time.Hour {
				delay = time.Hour
			}
			msg := err.Error()
			if len(msg) > 500 {
				msg = msg[:500]
			}
			if _, uerr := s.DB.NewUpdate().Model(m).Set("attempts = attempts + 1, last_error = ?, next_attempt_at = ?", msg, s.now().Add(delay)).
				WherePK().Exec(ctx); uerr != nil {
				return sent, fmt.Errorf("models: mail %d: %w", m.ID, uerr)
			}
			continue
		}
		if _, err := s.DB.NewUpdate().Model(m).Set("attempts = attempts + 1, sent_at = ?, last_error = ''", s.now()).
			Where("id = ? AND sent_at IS NULL", m.ID).Exec(ctx); err != nil {
			return sent, fmt.Errorf("models: mail %d: %w", m.ID, err)
		}
		sent++
	}
	return sent, nil
}

// RecentMail lists the newest mails of the outbox, for the demo's mailbox
// page (示範信箱): a demo has no real mail server.
func RecentMail(ctx context.Context, db bun.IDB, limit int) ([]Mail, error) {
	var ms []Mail
	if err := db.NewSelect().Model(&ms).Order("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: recent mail: %w", err)
	}
	return ms, nil
}
