package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// Session kinds.
const (
	SessionAnonymous = "anonymous"
	SessionStaff     = "staff"
	SessionUnit      = "unit"
	SessionClerk     = "clerk"
)

// NewToken returns 256 random bits, URL-safe.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("models: crypto/rand failed: " + err.Error()) // the OS is broken; nothing safe to do
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionID is what the database stores for a cookie token.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewSession stores a session for the given principal and returns the
// cookie token. The template's Kind, Role and ids say who; the rest is set here.
func (s *Store) NewSession(ctx context.Context, db bun.IDB, tmpl Session) (string, *Session, error) {
	now := s.now()
	token := NewToken()
	sess := tmpl
	sess.ID = sessionID(token)
	sess.CSRFToken = NewToken()
	sess.CreatedAt, sess.LastSeenAt = now, now
	sess.ExpiresAt = now.Add(s.SessionMax)
	if len(sess.UserAgent) > 300 {
		sess.UserAgent = sess.UserAgent[:300]
	}
	if _, err := db.NewInsert().Model(&sess).Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("models: new session: %w", err)
	}
	return token, &sess, nil
}

// NewAnonymousSession starts a session before login, so that the login form
// has a CSRF token and login can rotate it.
func (s *Store) NewAnonymousSession(ctx context.Context, ip, userAgent string) (string, *Session, error) {
	return s.NewSession(ctx, s.DB, Session{Kind: SessionAnonymous, ClientIP: ip, UserAgent: userAgent})
}

// PreLoginCSRF is the CSRF token of a visitor who has only a pre-login
// cookie token and no session in the database yet: derived from the token,
// so that page views need no row, and unknowable to another site, which
// cannot read the cookie.
func PreLoginCSRF(token string) string {
	sum := sha256.Sum256([]byte("csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewPreLoginSession stores the session of a visitor's pre-login cookie
// token when a login step needs one (a nonce is bound to it). Anonymous page
// views store nothing. Its CSRF token stays PreLoginCSRF(token), so the page
// the visitor has open keeps working.
func (s *Store) NewPreLoginSession(ctx context.Context, token, ip, userAgent string) (*Session, error) {
	now := s.now()
	// A login begun stores a row; a stranger with a script could begin
	// logins without end. One address may begin PreLoginPerAddress within
	// PreLoginWindow (an office behind one address logs in many people of
	// a morning; a script is refused).
	if got, err := s.SessionByToken(ctx, token); err != nil || got != nil {
		if err != nil {
			return nil, err
		}
		if got.Kind != SessionAnonymous {
			return nil, apperr.New(apperr.Forbidden, "頁面已逾時，請重新整理頁面後再試一次。")
		}
		return got, nil
	}
	n, err := s.R().NewSelect().Model((*Session)(nil)).
		Where("client_ip = ? AND kind = ? AND created_at > ?", ip, SessionAnonymous, now.Add(-PreLoginWindow)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: pre-login sessions of %s: %w", ip, err)
	}
	if n >= PreLoginPerAddress {
		return nil, apperr.New(apperr.Locked, "此網路位址在短時間內開始的登入太多，請等候幾分鐘後再試；若您的單位多人共用同一網路位址，請洽健保署。")
	}
	sess := &Session{ID: sessionID(token), Kind: SessionAnonymous, CSRFToken: PreLoginCSRF(token), ClientIP: ip, UserAgent: userAgent,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.SessionMax)}
	if len(sess.UserAgent) > 300 {
		sess.UserAgent = sess.UserAgent[:300]
	}
	if _, err := s.DB.NewInsert().Model(sess).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("models: pre-login session: %w", err)
	}
	got, err := s.SessionByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if got == nil || got.Kind != SessionAnonymous {
		return nil, apperr.New(apperr.Forbidden, "頁面已逾時，請重新整理頁面後再試一次。")
	}
	return got, nil
}

// The cap on logins begun from one address (see NewPreLoginSession).
const (
	PreLoginPerAddress = 300
	PreLoginWindow     = 10 * time.Minute
)

// SessionByToken returns the live session for a cookie token, or nil when
// there is none or it has expired (idle or absolute); expired ones are deleted.
// It records activity at most once a minute to spare the database.
func (s *Store) SessionByToken(ctx context.Context, token string) (*Session, error) {
	who, err := s.sessionByToken(ctx, token, true)
	if who == nil {
		return nil, err
	}
	return who.Session, nil
}

// PeekSession is SessionByToken without recording activity: a page that
// refreshes itself (the 工作台's counts) must not keep an idle session
// alive.
func (s *Store) PeekSession(ctx context.Context, token string) (*Session, error) {
	who, err := s.sessionByToken(ctx, token, false)
	if who == nil {
		return nil, err
	}
	return who.Session, nil
}

// WhoByToken is SessionByToken with who the session belongs to, read in
// the same statement: what every request with a session cookie needs.
func (s *Store) WhoByToken(ctx context.Context, token string) (*Who, error) {
	return s.sessionByToken(ctx, token, true)
}

// PeekWho is WhoByToken without recording activity, as PeekSession.
func (s *Store) PeekWho(ctx context.Context, token string) (*Who, error) {
	return s.sessionByToken(ctx, token, false)
}

func (s *Store) sessionByToken(ctx context.Context, token string, touch bool) (*Who, error) {
	if token == "" || len(token) > 100 {
		return nil, nil
	}
	db := s.DB
	if s.Reads != nil {
		db = s.Reads
	}
	who, err := sessionLookup(ctx, db, sessionID(token))
	if err != nil {
		return nil, fmt.Errorf("models: session: %w", err)
	}
	if who == nil {
		return nil, nil
	}
	sess := who.Session
	now := s.now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.SessionIdle {
		if _, err := s.DB.NewDelete().Model((*Session)(nil)).Where("id = ?", sess.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("models: expire session: %w", err)
		}
		return nil, nil
	}
	if touch && now.Sub(sess.LastSeenAt) >= s.touchEvery() {
		sess.LastSeenAt = now
		if _, err := s.DB.NewUpdate().Model((*Session)(nil)).Set("last_seen_at = ?", now).Where("id = ?", sess.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("models: touch session: %w", err)
		}
	}
	return who, nil
}

// touchEvery is how stale last_seen_at may get before a request records
// activity: a minute, or a tenth of a shorter idle limit, so that a
// session in use never lapses.
func (s *Store) touchEvery() time.Duration {
	return min(time.Minute, s.SessionIdle/10)
}

// TouchSession records activity on a live session now, whatever its last
// record: the 「繼續使用」 of the time-out warning must give the user the
// whole idle limit again, not up to a minute less.
func (s *Store) TouchSession(ctx context.Context, sess *Session) error {
	now := s.now()
	if _, err := s.DB.NewUpdate().Model((*Session)(nil)).Set("last_seen_at = ?", now).Where("id = ?", sess.ID).Exec(ctx); err != nil {
		return fmt.Errorf("models: touch session: %w", err)
	}
	sess.LastSeenAt = now
	return nil
}

// SessionLeft is how long the session lasts without another request: to
// its idle limit, or to its absolute limit when that comes first.
func (s *Store) SessionLeft(sess *Session) time.Duration {
	now := s.now()
	left := sess.LastSeenAt.Add(s.SessionIdle).Sub(now)
	if abs := sess.ExpiresAt.Sub(now); abs < left {
		left = abs
	}
	return max(left, 0)
}

// DeleteSession ends one session by its cookie token.
func DeleteSession(ctx context.Context, db bun.IDB, token string) error {
	if token == "" {
		return nil
	}
	_, err := db.NewDelete().Model((*Session)(nil)).Where("id = ?", sessionID(token)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("models: delete session: %w", err)
	}
	return nil
}

// EndSessionsOfUnit ends every session of a unit's account and clerks.
func EndSessionsOfUnit(ctx context.Context, db bun.IDB, unitID int64) (int64, error) {
	res, err := db.NewDelete().Model((*Session)(nil)).Where("unit_id = ?", unitID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: end sessions of unit %d: %w", unitID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// EndSessionsOfClerk ends every session of one clerk.
func EndSessionsOfClerk(ctx context.Context, db bun.IDB, clerkID int64) (int64, error) {
	res, err := db.NewDelete().Model((*Session)(nil)).Where("clerk_id = ?", clerkID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: end sessions of clerk %d: %w", clerkID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PurgeExpiredSessions deletes sessions past their idle or absolute limit,
// and the throttle's counters that ran out (the same periodic clean-up).
func (s *Store) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.DB.NewDelete().Model((*Session)(nil)).
		Where("expires_at < ? OR last_seen_at < ?", now, now.Add(-s.SessionIdle)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: purge sessions: %w", err)
	}
	if _, err := s.PurgeExpiredThrottles(ctx); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Identity is who a unit-side session acts as.
type Identity struct {
	UnitID    int64
	UnitCode  string
	UnitName  string
	Name      string // the clerk's name, or the unit's name for the unit account
	ClerkID   int64
	MayManage bool // the clerk is the unit's manager
	// Units counts the units the clerk may act for now, this one included.
	Units int64
}

// SessionIdentity returns who a unit or clerk session belongs to, or nil
// when the session no longer stands: the unit is closed, its account
// deregistered, or the clerk revoked.
func SessionIdentity(ctx context.Context, db bun.IDB, sess *Session) (*Identity, error) {
	if sess.UnitID == nil {
		return nil, nil
	}
	u := new(Unit)
	err := db.NewSelect().Model(u).Column("id", "code", "name", "status").Where("id = ?", *sess.UnitID).Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: session identity: %w", err)
	}
	if u.Status != UnitActive {
		return nil, nil
	}
	id := &Identity{UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, Name: u.Name}
	if sess.AccountID != nil {
		ok, err := db.NewSelect().Model((*UnitAccount)(nil)).
			Where("id = ? AND unit_id = ? AND status = ?", *sess.AccountID, u.ID, AccountActive).Exists(ctx)
		if err != nil {
			return nil, fmt.Errorf("models: session identity: %w", err)
		}
		if !ok {
			return nil, nil
		}
	}
	if sess.ClerkID != nil {
		h := new(Clerk)
		err := db.NewSelect().Model(h).Column("id", "name", "status", "may_manage", "may_file", "card_type", "card_serial", "cert_issuer", "id_no").
			Where("id = ? AND unit_id = ?", *sess.ClerkID, u.ID).Scan(ctx)
		if isNoRows(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("models: session identity: %w", err)
		}
		if h.Status != ClerkActive {
			return nil, nil
		}
		if clerkRole(h) != sess.Role {
			return nil, nil // the unit changed the clerk's rights: log in again
		}
		id.Name, id.ClerkID, id.MayManage = h.Name, h.ID, h.MayManage
		if id.Units, err = CountClerkUnits(ctx, db, h); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// UnitLogout ends a unit-side session and audits it.
func (s *Store) UnitLogout(ctx context.Context, token string, a Actor) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := DeleteSession(ctx, tx, token); err != nil {
			return err
		}
		return audit(ctx, tx, s.now(), a, Change{Action: a.Kind + ".logout", UnitID: a.UnitID, ObjectType: a.Kind, ObjectID: fmt.Sprint(a.ID)})
	})
}
