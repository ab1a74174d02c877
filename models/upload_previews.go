package models

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// An upload preview is a read 媒體上傳 file waiting for the clerk's
// confirmation: the body is what the web layer chose to keep (the parsed
// rows, not the file). It is kept in the database, so the confirmation may
// reach another instance behind the load balancer, and for UploadPreviewTTL
// only. A unit or clerk has one preview at a time; confirming takes it.
type uploadPreview struct {
	bun.BaseModel `bun:"table:upload_previews"`
	TokenHash     string    `bun:"token_hash,pk"`
	UnitID        int64     `bun:"unit_id"`
	ClerkID       int64     `bun:"clerk_id"` // 0: the unit itself
	Body          []byte    `bun:"body"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

// UploadPreviewTTL is how long a preview waits for its confirmation.
const UploadPreviewTTL = 30 * time.Minute

// KeepUploadPreview stores body as the unit's (and clerk's) preview in
// place of any earlier one, drops expired previews, and returns the token
// that takes it back. Only the token's hash is stored.
func (s *Store) KeepUploadPreview(ctx context.Context, unitID, clerkID int64, body []byte) (string, error) {
	token := NewToken()
	now := s.now()
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*uploadPreview)(nil)).
			Where("expires_at < ? OR (unit_id = ? AND clerk_id = ?)", now, unitID, clerkID).
			Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&uploadPreview{
			TokenHash: sessionID(token), UnitID: unitID, ClerkID: clerkID,
			Body: body, ExpiresAt: now.Add(UploadPreviewTTL),
		}).Exec(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// TakeUploadPreview removes and returns the preview the token names, if it
// is the unit's and clerk's and has not expired; nil otherwise. Two
// confirmations of one preview at once: one gets it.
func (s *Store) TakeUploadPreview(ctx context.Context, token string, unitID, clerkID int64) ([]byte, error) {
	if token == "" || len(token) > 128 {
		return nil, nil
	}
	var body []byte
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var p uploadPreview
		err := tx.NewSelect().Model(&p).
			Where("token_hash = ? AND unit_id = ? AND clerk_id = ?", sessionID(token), unitID, clerkID).
			Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*uploadPreview)(nil)).Where("token_hash = ?", p.TokenHash).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 && !s.now().After(p.ExpiresAt) {
			body = p.Body
		}
		return nil
	})
	return body, err
}
