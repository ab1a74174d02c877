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
// NULL where there is none.
type whoRow struct {
	S      Session `bun:"embed:s_"`
	St     Staff   `bun:"embed:st_"`
	UID    *int64  `bun:"u_id"`
	UCode  string  `bun:"u_code"`
	UName  string  `bun:"u_name"`
	UStat  string  `bun:"u_status"`
	AcctOK bool    `bun:"acct_ok"`
	H      Clerk   `bun:"embed:h_"`
	HID    *int64  `bun:"h_present"`
	HUnits int64   `bun:"h_units"`
}

// sessionLookupSQL is the statement every request with a session cookie
// runs: the session by id, its staff account, and for a unit or clerk
// session the unit, whether its account is active, the clerk (of that
// unit) and how many active units the clerk's person may act for (as
// CountClerkUnits counts). It takes one parameter, the session id, so that
// it is prepared once per connection and reused (bun writes values into
// the SQL text, which SQLite then parses on every request, and PostgreSQL
// prepares on every request through pgx's statement cache).
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
	` + cols((*Clerk)(nil), "h", "h_") + `, h.id AS h_present,
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

// lookupStmts keeps sessionLookup prepared, per database (database/sql
// prepares it again on each connection that runs it, once).
var lookupStmts sync.Map // *bun.DB → *sql.Stmt

func lookupStmt(ctx context.Context, db *bun.DB) (*sql.Stmt, error) {
	if st, ok := lookupStmts.Load(db); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.DB.PrepareContext(ctx, sessionLookupSQL(db))
	if err != nil {
		return nil, err
	}
	if old, loaded := lookupStmts.LoadOrStore(db, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

func forgetStmts(db *bun.DB) {
	if st, ok := lookupStmts.LoadAndDelete(db); ok {
		st.(*sql.Stmt).Close()
	}
}

// sessionLookup reads the session with id and who it belongs to; nil
// when there is no such session.
func sessionLookup(ctx context.Context, db *bun.DB, id string) (*Who, error) {
	st, err := lookupStmt(ctx, db)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, id)
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
		h := &r.H
		if r.HID == nil || h.Status != ClerkActive || clerkRole(h) != s.Role {
			return nil
		}
		id.Name, id.ClerkID, id.MayManage, id.Units = h.Name, h.ID, h.MayManage, r.HUnits
	}
	return id
}
