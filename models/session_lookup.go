package models

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// Who is a live session and who it belongs to, read with it in one
// statement (sessionLookup) instead of two to five.
type Who struct {
	Session *Session
	// Staff is a staff session's account; nil when it is gone.
	Staff *Staff
	// Identity is a unit or clerk session's; nil when the session no
	// longer stands (see SessionIdentity).
	Identity *Identity
}

// whoRow is one row of sessionLookup: the session, and the rows it names,
// NULL where there is none; of the unit and the clerk only what the
// identity needs (each column scanned costs, a NULL one too).
type whoRow struct {
	S      Session `bun:"embed:s_"`
	St     Staff   `bun:"embed:st_"`
	UID    *int64  `bun:"u_id"`
	UCode  string  `bun:"u_code"`
	UName  string  `bun:"u_name"`
	UStat  string  `bun:"u_status"`
	AcctOK bool    `bun:"acct_ok"`
	HID    *int64  `bun:"h_id"`
	HName  string  `bun:"h_name"`
	HStat  string  `bun:"h_status"`
	HFile  bool    `bun:"h_may_file"`
	HMgr   bool    `bun:"h_may_manage"`
	HUnits int64   `bun:"h_units"`
}

// sessionLookupSQL is the statement every request with a session cookie
// runs: the session by id, its staff account, and for a unit or clerk
// session the unit, whether its account is active, the clerk (of that
// unit) and how many active units the clerk's person may act for (as
// CountClerkUnits counts). It takes one parameter, the session id, so that
// it is prepared once per connection and reused (bun writes values into
// the SQL text, which SQLite then parses on every request, and which pgx
// prepares anew on PostgreSQL, one more round trip, for each text).
func sessionLookupSQL(db *bun.DB) string {
	cols := func(model any, alias, prefix string) string {
		t := db.Table(reflect.TypeOf(model).Elem())
		var b strings.Builder
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s.%s AS %s%s", alias, f.Name, prefix, f.Name)
		}
		return b.String()
	}
	param := "?"
	if DialectOf(db) == Postgres {
		param = "$1"
	}
	return `SELECT ` + cols((*Session)(nil), "s", "s_") + `, ` + cols((*Staff)(nil), "st", "st_") + `,
	u.id AS u_id, u.code AS u_code, u.name AS u_name, u.status AS u_status,
	EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.id = s.account_id AND a.unit_id = u.id AND a.status = '` + AccountActive + `') AS acct_ok,
	h.id AS h_id, h.name AS h_name, h.status AS h_status, h.may_file AS h_may_file, h.may_manage AS h_may_manage,
	(SELECT count(*) FROM clerks AS h2 JOIN units AS u2 ON u2.id = h2.unit_id
		WHERE h2.card_type = h.card_type AND h2.card_serial = h.card_serial
		AND ((h.card_type = '` + CardNHI + `' AND h2.id_no = h.id_no) OR (h.card_type <> '` + CardNHI + `' AND h2.cert_issuer = h.cert_issuer))
		AND h2.status = '` + ClerkActive + `' AND u2.status = '` + UnitActive + `') AS h_units
FROM sessions AS s
LEFT JOIN staff AS st ON st.id = s.staff_id
LEFT JOIN units AS u ON u.id = s.unit_id
LEFT JOIN clerks AS h ON h.id = s.clerk_id AND h.unit_id = s.unit_id
WHERE s.id = ` + param
}

// lookups keep sessionLookup's statement per database. On SQLite it is
// prepared once per connection of the pool (database/sql does that; the
// read pool keeps its connections) and reused. On PostgreSQL pgx caches
// the prepared statement per connection by its text; a database/sql
// prepared statement would be prepared and deallocated with each use,
// since the pool behind database/sql keeps no idle connections.
var lookups sync.Map // *bun.DB → *lookup

type lookup struct {
	text string
	stmt *sql.Stmt // SQLite
}

func lookupOf(ctx context.Context, db *bun.DB) (*lookup, error) {
	if l, ok := lookups.Load(db); ok {
		return l.(*lookup), nil
	}
	l := &lookup{text: sessionLookupSQL(db)}
	if DialectOf(db) == SQLite {
		st, err := db.DB.PrepareContext(ctx, l.text)
		if err != nil {
			return nil, err
		}
		l.stmt = st
	}
	if old, loaded := lookups.LoadOrStore(db, l); loaded {
		if l.stmt != nil {
			l.stmt.Close()
		}
		return old.(*lookup), nil
	}
	return l, nil
}

func forgetStmts(db *bun.DB) {
	forgetCachedStmts(db)
	if l, ok := lookups.LoadAndDelete(db); ok && l.(*lookup).stmt != nil {
		l.(*lookup).stmt.Close()
	}
}

func (l *lookup) query(ctx context.Context, db *bun.DB, id string) (*sql.Rows, error) {
	if l.stmt != nil {
		return l.stmt.QueryContext(ctx, id)
	}
	return db.DB.QueryContext(ctx, l.text, id)
}

// sessionLookup reads the session with id and who it belongs to; nil
// when there is no such session.
func sessionLookup(ctx context.Context, db *bun.DB, id string) (*Who, error) {
	l, err := lookupOf(ctx, db)
	if err != nil {
		return nil, err
	}
	rows, err := l.query(ctx, db, id)
	if err != nil {
		return nil, err
	}
	var r whoRow
	if err := db.ScanRows(ctx, rows, &r); err != nil {
		if isNoRows(err) {
			return nil, nil
		}
		return nil, err
	}
	who := &Who{Session: &r.S}
	s := who.Session
	switch s.Kind {
	case SessionStaff:
		if s.StaffID != nil && r.St.ID == *s.StaffID {
			who.Staff = &r.St
		}
	case SessionUnit, SessionClerk:
		who.Identity = r.identity()
	}
	return who, nil
}

// identity is SessionIdentity's answer from the row.
func (r *whoRow) identity() *Identity {
	s := &r.S
	if s.UnitID == nil || r.UID == nil || r.UStat != UnitActive {
		return nil
	}
	id := &Identity{UnitID: *r.UID, UnitCode: r.UCode, UnitName: r.UName, Name: r.UName}
	if s.AccountID != nil && !r.AcctOK {
		return nil
	}
	if s.ClerkID != nil {
		if r.HID == nil || r.HStat != ClerkActive || clerkRole(&Clerk{MayFile: r.HFile}) != s.Role {
			return nil
		}
		id.Name, id.ClerkID, id.MayManage, id.Units = r.HName, *r.HID, r.HMgr, r.HUnits
	}
	return id
}
