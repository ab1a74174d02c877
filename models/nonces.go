package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// NonceTTL is how long a login nonce may be used.
const NonceTTL = 2 * time.Minute

// Errors of a nonce that cannot be used. A nonce of another session looks
// the same as an unknown one.
var (
	ErrNonceUnknown = apperr.New(apperr.Unauthorized, "登入驗證碼無效，請重新整理頁面後再試一次。")
	ErrNonceUsed    = apperr.New(apperr.Unauthorized, "登入驗證碼已使用過，請重新整理頁面後再試一次。")
	ErrNonceExpired = apperr.New(apperr.Unauthorized, "登入驗證碼已逾時（2 分鐘），請重新整理頁面後再試一次。")
)

// LoginNonce is a single-use challenge bound to a pre-login session.
type LoginNonce struct {
	bun.BaseModel `bun:"table:login_nonces"`
	ID            string     `bun:"id,pk"` // SHA-256 of the nonce, hex
	SessionID     string     `bun:"session_id"`
	Purpose       string     `bun:"purpose"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	UsedAt        *time.Time `bun:"used_at"`
}

func nonceID(nonce []byte) string {
	sum := sha256.Sum256(nonce)
	return hex.EncodeToString(sum[:])
}

// NewNonce issues 256 random bits for the session to have signed, usable
// once, for purpose only, within NonceTTL.
func (s *Store) NewNonce(ctx context.Context, sess *Session, purpose string) ([]byte, error) {
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("models: nonce: %w", err)
	}
	now := s.now()
	n := &LoginNonce{ID: nonceID(nonce), SessionID: sess.ID, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(NonceTTL)}
	if _, err := s.DB.NewInsert().Model(n).Exec(ctx); err != nil {
		return nil, fmt.Errorf("models: nonce: %w", err)
	}
	return nonce, nil
}

// consumeNonce marks the nonce used, if it belongs to the session and the
// purpose and is neither used nor expired; otherwise it says which.
func consumeNonce(ctx context.Context, tx bun.IDB, now time.Time, sess *Session, nonce []byte, purpose string) error {
	id := nonceID(nonce)
	res, err := tx.NewUpdate().Model((*LoginNonce)(nil)).Set("used_at = ?", now).
		Where("id = ? AND session_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", id, sess.ID, purpose, now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("models: consume nonce: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	n := new(LoginNonce)
	err = tx.NewSelect().Model(n).Where("id = ?", id).Scan(ctx)
	switch {
	case isNoRows(err):
		return ErrNonceUnknown
	case err != nil:
		return fmt.Errorf("models: consume nonce: %w", err)
	case n.SessionID != sess.ID || n.Purpose != purpose:
		return ErrNonceUnknown
	case n.UsedAt != nil:
		return ErrNonceUsed
	default:
		return ErrNonceExpired
	}
}
