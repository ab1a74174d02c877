// Package loadtest holds what the load tools of bench/ share: sessions made
// in the server's database for the users no form can log in (units and
// clerks log in with cards), an HTTP client that keeps redirects as
// answers, and latency quantiles.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
)

// Session is a logged-in user as a browser holds it: the cookie header and
// the CSRF token its forms carry.
type Session struct {
	Cookie, CSRF string
}

// Portal is a registered unit with filings and two sessions on it: the
// unit's own (its owner's) and one of its filing clerks'.
type Portal struct {
	UnitID       int64
	Code, Name   string
	Owner, Filer Session
}

// newSession makes a session in the database that lasts the whole run.
func newSession(ctx context.Context, db *bun.DB, tmpl models.Session) (Session, error) {
	store := models.NewStore(db)
	store.SessionIdle, store.SessionMax = 24*time.Hour, 24*time.Hour
	tok, sess, err := store.NewSession(ctx, db, tmpl)
	if err != nil {
		return Session{}, fmt.Errorf("loadtest: session: %w", err)
	}
	return Session{Cookie: "mc_session=" + tok, CSRF: sess.CSRFToken}, nil
}

// StaffSession makes a session for the staff account username.
func StaffSession(ctx context.Context, db *bun.DB, username string) (Session, error) {
	st, err := models.StaffByUsername(ctx, db, username)
	if err != nil {
		return Session{}, fmt.Errorf("loadtest: staff %s (a demo database?): %w", username, err)
	}
	return newSession(ctx, db, models.Session{Kind: models.SessionStaff, Role: st.Role, StaffID: &st.ID})
}

// PortalSessions returns n units (or fewer, when the database has fewer)
// that are open, registered, have filings and a clerk who may file, each
// with a session of its owner and one of that clerk.
func PortalSessions(ctx context.Context, db *bun.DB, n int) ([]Portal, error) {
	var rows []struct {
		UnitID    int64  `bun:"unit_id"`
		Code      string `bun:"code"`
		Name      string `bun:"name"`
		AccountID int64  `bun:"account_id"`
		ClerkID   int64  `bun:"clerk_id"`
	}
	err := db.NewRaw(`SELECT u.id AS unit_id, u.code, u.name, MIN(a.id) AS account_id, MIN(h.id) AS clerk_id
		FROM units AS u JOIN unit_accounts AS a ON a.unit_id = u.id JOIN clerks AS h ON h.unit_id = u.id
		WHERE u.status = 'active' AND a.status = 'active' AND h.status = 'active' AND h.may_file
		AND EXISTS (SELECT 1 FROM filings AS f WHERE f.unit_id = u.id)
		GROUP BY u.id, u.code, u.name ORDER BY u.id LIMIT ?`, n).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("loadtest: units with a filing clerk: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("loadtest: no open unit with filings and a filing clerk (a demo database?)")
	}
	out := make([]Portal, 0, len(rows))
	for _, r := range rows {
		p := Portal{UnitID: r.UnitID, Code: r.Code, Name: r.Name}
		if p.Owner, err = newSession(ctx, db, models.Session{Kind: models.SessionUnit, Role: models.RoleUnitOwner,
			UnitID: &r.UnitID, AccountID: &r.AccountID}); err != nil {
			return nil, err
		}
		if p.Filer, err = newSession(ctx, db, models.Session{Kind: models.SessionClerk, Role: models.RoleClerkFiler,
			UnitID: &r.UnitID, AccountID: &r.AccountID, ClerkID: &r.ClerkID}); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// NewClient returns a client for up to conns connections to one server. It
// does not follow redirects: a redirect is the answer measured (and a
// redirect to a login page is an error the caller can see).
func NewClient(conns int) *http.Client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Do sends req with the session's cookie (none when cookie is empty) and
// reads the answer to its end; the body is kept only when keep is set.
func Do(c *http.Client, req *http.Request, cookie string, keep bool) (*http.Response, []byte, error) {
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if !keep {
		_, err = io.Copy(io.Discard, res.Body)
		return res, nil, err
	}
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

// Latencies are measured durations; Quantile sorts them on first use.
type Latencies struct {
	d      []time.Duration
	sorted bool
}

// Add records one duration.
func (l *Latencies) Add(d time.Duration) { l.d, l.sorted = append(l.d, d), false }

// Merge adds all of o's durations.
func (l *Latencies) Merge(o *Latencies) { l.d, l.sorted = append(l.d, o.d...), false }

// Len is the number of durations.
func (l *Latencies) Len() int { return len(l.d) }

// Quantile returns the q-quantile (0 ≤ q ≤ 1), 0 when there is none.
func (l *Latencies) Quantile(q float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	if !l.sorted {
		slices.Sort(l.d)
		l.sorted = true
	}
	return l.d[min(len(l.d)-1, int(q*float64(len(l.d))))]
}
