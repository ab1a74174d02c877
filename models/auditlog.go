package models

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// ActorKinds are the kinds of actor the audit log records.
var ActorKinds = []string{"staff", "unit", "clerk", "anonymous", "system"}

// AuditFilter is a search of the audit log from the console. From and To
// are calendar dates (as rocdate.Parse returns them), taken as whole days
// in Taipei with both ends included; a zero date leaves that end open.
type AuditFilter struct {
	ActorKind string // staff, unit, clerk, anonymous, system; "" for any
	Actor     string // part of the actor's recorded name (a staff member's user name)
	UnitCode  string // the unit's 9-digit code
	Action    string // one action code, e.g. "unit.reopen"
	From, To  time.Time
	Reason    string // part of the reason
	Page      int    // 1-based
	PageSize  int
}

// Params lists the filter's non-empty fields, for the audit event of an
// export and for building URLs.
func (f AuditFilter) Params() map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("actor_kind", f.ActorKind)
	set("actor", strings.TrimSpace(f.Actor))
	set("unit", f.UnitCode)
	set("action", f.Action)
	if !f.From.IsZero() {
		m["from"] = f.From.Format(time.DateOnly)
	}
	if !f.To.IsZero() {
		m["to"] = f.To.Format(time.DateOnly)
	}
	set("reason", strings.TrimSpace(f.Reason))
	return m
}

// dayStart is the first moment of a calendar date in Taipei, in UTC (the
// stored timestamps are UTC, and SQLite compares them as text).
func dayStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, taipei).UTC()
}

// dayEnd is the first moment after a calendar date in Taipei, in UTC.
func dayEnd(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, taipei).UTC()
}

func (f AuditFilter) query(q *bun.SelectQuery) *bun.SelectQuery {
	switch f.ActorKind {
	case "":
	case ActorKindClerk:
		q = q.Where("e.actor_kind IN (?)", bun.List([]string{ActorKindClerk, actorKindClerkFormer}))
	default:
		q = q.Where("e.actor_kind = ?", f.ActorKind)
	}
	// lower() on both sides: LIKE is case-insensitive on SQLite but not on
	// PostgreSQL.
	if s := strings.TrimSpace(f.Actor); s != "" {
		q = q.Where("lower(e.actor_name) LIKE ? ESCAPE '\\'", "%"+escapeLike(strings.ToLower(s))+"%")
	}
	if f.UnitCode != "" {
		q = q.Where("e.unit_id IN (SELECT fu.id FROM units AS fu WHERE fu.code = ?)", f.UnitCode)
	}
	if f.Action != "" {
		q = q.Where("e.action IN (?)", bun.List(auditActionCodes(f.Action)))
	}
	if !f.From.IsZero() {
		q = q.Where("e.at >= ?", dayStart(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("e.at < ?", dayEnd(f.To))
	}
	if s := strings.TrimSpace(f.Reason); s != "" {
		q = q.Where("lower(e.reason) LIKE ? ESCAPE '\\'", "%"+escapeLike(strings.ToLower(s))+"%")
	}
	return q
}

// auditEvents restricts a query on audit_events (aliased e) to the scope:
// a branch sees the events recorded for the branch and those about its
// units; head office sees all; anyone else nothing.
func (sc Scope) auditEvents(p *params, q *bun.SelectQuery) *bun.SelectQuery {
	switch {
	case sc.All:
		return q
	case sc.Branch != "" && sc.UnitID == 0:
		// The unit's branch looked up per event read, not unit_id IN (the
		// branch's units): the IN built the list of a branch's 27,000
		// units on every page of the log (14 ms on SQLite at national
		// size; PostgreSQL hashes them, and an EXISTS too: 1 s while the
		// cache is cold), where the newest 50 events need only the units
		// of the 150 rows read (0.3 ms on SQLite).
		b := p.Text(sc.Branch)
		return q.Where("(e.branch_code = ? OR (SELECT su.branch_code FROM units AS su WHERE su.id = e.unit_id) = ?)", b, b)
	default:
		return q.Where("1 = 0")
	}
}

// AuditRow is an audit event with the code and name of its unit, if any.
type AuditRow struct {
	AuditEvent
	UnitCode *string `bun:"unit_code"`
	UnitName *string `bun:"unit_name"`
}

func auditRows(db bun.IDB, sc Scope, p *params) *bun.SelectQuery {
	q := db.NewSelect().TableExpr("audit_events AS e").
		ColumnExpr("e.*").
		ColumnExpr("u.code AS unit_code").
		ColumnExpr("u.name AS unit_name").
		Join("LEFT JOIN units AS u ON u.id = e.unit_id")
	if p != nil {
		q = q.Conn(p)
	}
	return sc.auditEvents(p, q)
}

// SearchAuditEvents finds audit events within the scope, newest first, one
// page at a time, and the total count.
func SearchAuditEvents(ctx context.Context, db bun.IDB, sc Scope, f AuditFilter) ([]AuditRow, int, error) {
	if f.PageSize <= 0 || f.PageSize > 200 {
		f.PageSize = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	var total int
	var err error
	if sc.All && f.everything() {
		// Head office's whole log: the events are never changed nor
		// deleted (triggers, and the server's rights on PostgreSQL) and
		// are numbered from 1 without a gap (each takes the head's seq + 1
		// in its own transaction, see audit), so the newest seq is their
		// number: one index lookup instead of counting millions of rows. A
		// log whose rows were removed behind the triggers' back shows how
		// many were written; audit verify names the gap.
		err = db.NewSelect().Conn(bind(db)).TableExpr("audit_events AS e").ColumnExpr("COALESCE(MAX(e.seq), 0)").Scan(ctx, &total)
	} else if sc.Branch != "" && !sc.All && sc.UnitID == 0 && f.everything() {
		// A branch's whole log: its count, kept by triggers on every
		// insert (migration 31), instead of an OR over millions of rows.
		p := bind(db)
		err = db.NewSelect().Conn(p).TableExpr("audit_counts").ColumnExpr("COALESCE(MAX(events), 0)").
			Where("branch_code = ?", p.Text(sc.Branch)).Scan(ctx, &total)
	} else {
		var n int64
		n, err = f.query(sc.auditEvents(nil, db.NewSelect().TableExpr("audit_events AS e"))).Count(ctx)
		total = int(n)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("models: search audit events: count: %w", err)
	}
	var rows []AuditRow
	// The whole log's first page is the one opened most: its statement
	// is kept prepared; a search's values stay in the text.
	var p *params
	if f.everything() {
		p = bindFirstPage(db, f.Page)
	}
	err = f.query(auditRows(db, sc, p)).OrderExpr("e.seq DESC").
		Limit(int64(f.PageSize)).Offset(int64((f.Page-1)*f.PageSize)).Scan(ctx, &rows)
	if err != nil {
		return nil, 0, fmt.Errorf("models: search audit events: %w", err)
	}
	return rows, total, nil
}

// everything reports whether the filter keeps every event.
func (f AuditFilter) everything() bool {
	return f.ActorKind == "" && strings.TrimSpace(f.Actor) == "" && f.UnitCode == "" && f.Action == "" &&
		f.From.IsZero() && f.To.IsZero() && strings.TrimSpace(f.Reason) == ""
}

// AuditEventByID returns one event within the scope, or NotFound.
func AuditEventByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*AuditRow, error) {
	row := new(AuditRow)
	err := auditRows(db, sc, nil).Where("e.id = ?", id).Scan(ctx, row)
	if isNoRows(err) {
		return nil, notFound("稽核紀錄")
	}
	if err != nil {
		return nil, fmt.Errorf("models: audit event %d: %w", id, err)
	}
	return row, nil
}

// AuditEventBranches returns the branches an event belongs to, for
// authorization: the branch it was recorded for and its unit's branch
// (usually the same; none for an event of head office or the system). It
// is not scoped: the policy decides what the caller may see.
func AuditEventBranches(ctx context.Context, db bun.IDB, id int64) ([]string, error) {
	var row struct {
		Branch     *string `bun:"branch_code"`
		UnitBranch *string `bun:"unit_branch"`
	}
	err := db.NewSelect().TableExpr("audit_events AS e").
		ColumnExpr("e.branch_code").ColumnExpr("u.branch_code AS unit_branch").
		Join("LEFT JOIN units AS u ON u.id = e.unit_id").
		Where("e.id = ?", id).Scan(ctx, &row)
	if isNoRows(err) {
		return nil, notFound("稽核紀錄")
	}
	if err != nil {
		return nil, fmt.Errorf("models: audit event %d: %w", id, err)
	}
	var out []string
	for _, b := range []*string{row.Branch, row.UnitBranch} {
		if b != nil && *b != "" && (len(out) == 0 || out[0] != *b) {
			out = append(out, *b)
		}
	}
	return out, nil
}

// MaxAuditExport is the most events one export holds.
const MaxAuditExport = 100_000

// AuditExport is an export of the audit log that has been recorded in the
// log: the events matching Filter within Scope, up to the chain's tip at
// the moment of recording, newest first.
type AuditExport struct {
	Scope   Scope
	Filter  AuditFilter
	UptoSeq int64 // the newest event the export may hold
	Matched int   // the events that match
	Rows    int   // the events exported: Matched, capped at the limit
}

// Truncated reports whether the export holds fewer events than match.
func (x *AuditExport) Truncated() bool { return x.Rows < x.Matched }

func (x *AuditExport) query(db bun.IDB) *bun.SelectQuery {
	return x.Filter.query(auditRows(db, x.Scope, nil)).Where("e.seq <= ?", x.UptoSeq)
}

// StartAuditExport records an export of the audit log, with its filter and
// row count, and returns what to stream with Each. Recording comes first:
// an export that cannot be audited does not happen. The events are fixed
// at the chain's tip now, so the count in the record is what Each yields.
func (s *Store) StartAuditExport(ctx context.Context, a Actor, sc Scope, f AuditFilter, limit int) (*AuditExport, error) {
	if limit <= 0 || limit > MaxAuditExport {
		limit = MaxAuditExport
	}
	x := &AuditExport{Scope: sc, Filter: f}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw("SELECT seq FROM audit_head WHERE id = 1").Scan(ctx, &x.UptoSeq); err != nil {
			return fmt.Errorf("models: audit export: head: %w", err)
		}
		n, err := x.Filter.query(sc.auditEvents(nil, tx.NewSelect().TableExpr("audit_events AS e"))).
			Where("e.seq <= ?", x.UptoSeq).Count(ctx)
		if err != nil {
			return fmt.Errorf("models: audit export: count: %w", err)
		}
		x.Matched = int(n)
		x.Rows = min(x.Matched, limit)
		return audit(ctx, tx, s.now(), a, Change{Action: "audit.export", Branch: a.Branch, ObjectType: "audit_log",
			After: map[string]any{"filters": f.Params(), "rows": x.Rows, "matched": x.Matched, "truncated": x.Truncated(),
				"upto_seq": x.UptoSeq}})
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// exportPage is how many events Each reads per query. Reading in pages
// keeps no query open while the client downloads, so that SQLite's single
// connection stays free for other requests.
const exportPage = 1000

// Each calls fn for every event of the export, newest first, and stops at
// the first error.
func (x *AuditExport) Each(ctx context.Context, db bun.IDB, fn func(*AuditRow) error) error {
	left, before := x.Rows, x.UptoSeq+1
	for left > 0 {
		var rows []AuditRow
		err := x.query(db).Where("e.seq < ?", before).OrderExpr("e.seq DESC").Limit(int64(min(left, exportPage))).Scan(ctx, &rows)
		if err != nil {
			return fmt.Errorf("models: audit export: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		left -= len(rows)
		before = rows[len(rows)-1].Seq
	}
	return nil
}

// WaitStats summarise how long requests waited for their decision, in
// seconds: over the decisions that record "waited_seconds".
type WaitStats struct {
	N                 int
	Mean, Median, P90 float64
}

// DecisionGroup counts the decisions of one staff member, one branch, or
// all of them.
type DecisionGroup struct {
	Key      string         // the actor's id, or the branch code ("" for none)
	Name     string         // the staff member's name, or the branch's
	Username string         // the staff member's user name
	Branch   *string        // the staff member's branch; nil for head office
	Counts   map[string]int // decisions per action
	Total    int
	Waits    WaitStats
	waits    []float64
}

// DecisionStats are the decisions of a date range by staff member and by
// branch.
type DecisionStats struct {
	From, To time.Time
	Actions  []string // the columns: DecisionActions
	Staff    []DecisionGroup
	Branches []DecisionGroup
	All      DecisionGroup
}

// MaxStatsDays is the longest date range the statistics cover, in days
// with both ends counted.
const MaxStatsDays = 366

// DecisionStatsFor counts the decisions (DecisionActions) made within the
// scope between two calendar dates (Taipei days, both included) and
// computes the waiting times in Go, the same on both databases. A
// decision's branch is the branch it was recorded for, else its unit's.
func DecisionStatsFor(ctx context.Context, db bun.IDB, sc Scope, from, to time.Time) (*DecisionStats, error) {
	if to.Before(from) {
		return nil, apperr.InvalidFields("結束日期不可早於開始日期。", map[string]string{"to": "結束日期不可早於開始日期。"})
	}
	if to.Sub(from) > (MaxStatsDays-1)*24*time.Hour {
		return nil, apperr.InvalidFields("統計期間最長一年。", map[string]string{"from": "統計期間最長一年，請縮短期間。"})
	}
	var evs []struct {
		ActorKind   string  `bun:"actor_kind"`
		ActorID     *int64  `bun:"actor_id"`
		ActorName   string  `bun:"actor_name"`
		Action      string  `bun:"action"`
		Branch      *string `bun:"branch"`
		AfterJSON   string  `bun:"after_json"`
		StaffName   *string `bun:"staff_name"`
		StaffBranch *string `bun:"staff_branch"`
	}
	q := db.NewSelect().TableExpr("audit_events AS e").
		ColumnExpr("e.actor_kind, e.actor_id, e.actor_name, e.action, e.after_json").
		ColumnExpr("COALESCE(e.branch_code, u.branch_code) AS branch").
		ColumnExpr("st.name AS staff_name, st.branch_code AS staff_branch").
		Join("LEFT JOIN units AS u ON u.id = e.unit_id").
		Join("LEFT JOIN staff AS st ON e.actor_kind = 'staff' AND st.id = e.actor_id").
		Where("e.action IN (?)", bun.List(DecisionActions)).
		Where("e.at >= ?", dayStart(from)).Where("e.at < ?", dayEnd(to)).
		OrderExpr("e.seq")
	if err := sc.auditEvents(nil, q).Scan(ctx, &evs); err != nil {
		return nil, fmt.Errorf("models: decision stats: %w", err)
	}
	st := &DecisionStats{From: from, To: to, Actions: DecisionActions, All: DecisionGroup{Counts: map[string]int{}}}
	staff, branches := map[string]*DecisionGroup{}, map[string]*DecisionGroup{}
	for _, ev := range evs {
		wait, timed := waitedSeconds(ev.AfterJSON)
		key := ev.ActorKind + ":" + ev.ActorName
		if ev.ActorID != nil {
			key = ev.ActorKind + ":" + strconv.FormatInt(*ev.ActorID, 10)
		}
		sg := staff[key]
		if sg == nil {
			sg = &DecisionGroup{Key: key, Name: ev.ActorName, Username: ev.ActorName, Branch: ev.StaffBranch, Counts: map[string]int{}}
			if ev.StaffName != nil {
				sg.Name = *ev.StaffName
			}
			staff[key] = sg
		}
		b := ""
		if ev.Branch != nil {
			b = *ev.Branch
		}
		bg := branches[b]
		if bg == nil {
			bg = &DecisionGroup{Key: b, Name: BranchNames[b], Counts: map[string]int{}}
			if b != "" {
				bg.Branch = &bg.Key
			}
			branches[b] = bg
		}
		for _, g := range []*DecisionGroup{sg, bg, &st.All} {
			g.Counts[ev.Action]++
			g.Total++
			if timed {
				g.waits = append(g.waits, wait)
			}
		}
	}
	for _, g := range staff {
		st.Staff = append(st.Staff, *g)
	}
	for _, g := range branches {
		st.Branches = append(st.Branches, *g)
	}
	sort.Slice(st.Staff, func(i, j int) bool {
		a, b := st.Staff[i], st.Staff[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		return a.Username < b.Username
	})
	// Branches in code order; decisions of no branch last.
	sort.Slice(st.Branches, func(i, j int) bool {
		a, b := st.Branches[i].Key, st.Branches[j].Key
		if (a == "") != (b == "") {
			return b == ""
		}
		return a < b
	})
	for i := range st.Staff {
		st.Staff[i].Waits = summarise(st.Staff[i].waits)
	}
	for i := range st.Branches {
		st.Branches[i].Waits = summarise(st.Branches[i].waits)
	}
	st.All.Waits = summarise(st.All.waits)
	return st, nil
}

// waitedSeconds reads "waited_seconds" from a decision's after JSON.
func waitedSeconds(after string) (float64, bool) {
	if after == "" {
		return 0, false
	}
	var v struct {
		Waited *float64 `json:"waited_seconds"`
	}
	if err := json.Unmarshal([]byte(after), &v); err != nil || v.Waited == nil || *v.Waited < 0 ||
		math.IsNaN(*v.Waited) || math.IsInf(*v.Waited, 0) {
		return 0, false
	}
	return *v.Waited, true
}

// summarise computes the mean, the median and the 90th percentile.
func summarise(xs []float64) WaitStats {
	if len(xs) == 0 {
		return WaitStats{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return WaitStats{N: len(s), Mean: sum / float64(len(s)), Median: percentile(s, 0.5), P90: percentile(s, 0.9)}
}

// percentile interpolates linearly between the closest ranks of sorted
// (the method of Excel's PERCENTILE.INC, so the bureau can check the
// numbers in a spreadsheet); the median of an even count is the mean of
// the two middle values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}
