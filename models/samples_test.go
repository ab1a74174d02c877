package models_test

// Store tests of the supervisors' screens: the audit log search and export,
// decision statistics, and sampling. Decisions are written with
// Store.AuditForTest (auditlog_test.go), which sets when each was made.

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// supEnv is a demo database (branches, staff, 24 units) with a store on
// the fixed clock.
type supEnv struct {
	t     *testing.T
	db    *bun.DB
	store *models.Store
	clock *modelstest.Time
}

func newSupEnv(t *testing.T, db *bun.DB) *supEnv {
	t.Helper()
	s, clk := modelstest.NewStore(db)
	if _, err := demo.Seed(context.Background(), s, 24); err != nil {
		t.Fatal(err)
	}
	return &supEnv{t: t, db: db, store: s, clock: clk}
}

// staff returns a demo staff member as an audit actor.
func (e *supEnv) staff(username string) models.Actor {
	e.t.Helper()
	var st models.Staff
	if err := e.db.NewSelect().Model(&st).Where("username = ?", username).Scan(context.Background()); err != nil {
		e.t.Fatalf("staff %s: %v", username, err)
	}
	a := models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role}
	if st.BranchCode != nil {
		a.Branch = *st.BranchCode
	}
	return a
}

// unit returns the id and code of the first demo unit of a branch.
func (e *supEnv) unit(branch string) (int64, string) {
	e.t.Helper()
	var u models.Unit
	if err := e.db.NewSelect().Model(&u).Where("branch_code = ?", branch).Order("code").Limit(1).Scan(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return u.ID, u.Code
}

// decide records a decision at the moment at.
func (e *supEnv) decide(at time.Time, a models.Actor, action string, unitID int64, branch string, after any) int64 {
	e.t.Helper()
	id, err := e.store.AuditForTest(context.Background(), at, a, models.Change{Action: action, UnitID: unitID, Branch: branch,
		ObjectType: "unit", After: after})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *supEnv) verify() {
	e.t.Helper()
	if _, err := models.VerifyAudit(context.Background(), e.db, modelstest.AuditKeys, nil); err != nil {
		e.t.Errorf("audit chain: %v", err)
	}
}

func supCode(t *testing.T, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	ae, ok := apperr.As(err)
	if !ok || ae.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return ae
}

func supRowIDs(rows []models.AuditRow) map[int64]bool {
	m := map[int64]bool{}
	for _, r := range rows {
		m[r.ID] = true
	}
	return m
}

func TestSearchAuditEvents(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		e := newSupEnv(t, db)
		taipei, north := models.Scope{Branch: "1"}, models.Scope{Branch: "2"}
		unit1, code1 := e.unit("1")

		// Real store actions: logins of a branch, of head office, and a failure.
		for _, u := range []string{"taipei.staff", "north.staff", "hq.staff"} {
			if _, _, err := e.store.StaffLogin(ctx, "", u, demo.Password, "192.0.2.1", ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := e.store.StaffLogin(ctx, "", "nobody", "x", "192.0.2.9", ""); err == nil {
			t.Fatal("unknown user logged in")
		}
		// A decision about a unit of 臺北 that names only the unit: it belongs
		// to 臺北 through its unit. Just before and just after midnight in
		// Taipei on 3/2 (both on 3/1 in UTC).
		lateDay1 := time.Date(2026, 3, 1, 23, 30, 0, 0, models.Taipei())
		earlyDay2 := time.Date(2026, 3, 2, 0, 10, 0, 0, models.Taipei())
		closeID := e.decide(lateDay1, e.staff("taipei.staff"), "unit.close", unit1, "", map[string]any{"status": "closed"})
		reopenID := e.decide(earlyDay2, e.staff("taipei.staff"), "unit.reopen", unit1, "", map[string]any{"status": "active"})
		day1, day2 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

		search := func(t *testing.T, sc models.Scope, f models.AuditFilter) ([]models.AuditRow, int) {
			t.Helper()
			rows, n, err := models.SearchAuditEvents(ctx, db, sc, f)
			if err != nil {
				t.Fatal(err)
			}
			return rows, n
		}
		t.Run("WholeLogTotal", func(t *testing.T) {
			// Head office's unfiltered total is the newest seq, not a count.
			_, n := search(t, models.ScopeAll, models.AuditFilter{})
			want, err := db.NewSelect().Table("audit_events").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if int64(n) != want || want == 0 {
				t.Errorf("whole log: total %d, %d events", n, want)
			}
			if _, n := search(t, models.ScopeAll, models.AuditFilter{Action: "unit.close"}); n != 1 {
				t.Errorf("a filtered search counts its events: %d, want 1", n)
			}
		})
		t.Run("scope", func(t *testing.T) {
			rows, _ := search(t, taipei, models.AuditFilter{PageSize: 200})
			names := map[string]bool{}
			for _, r := range rows {
				names[r.ActorName] = true
			}
			if !names["taipei.staff"] || names["north.staff"] || names["hq.staff"] || names["nobody"] {
				t.Errorf("臺北 sees the events of %v; want taipei.staff's and not north.staff's, hq.staff's or the anonymous failure", names)
			}
			ids := supRowIDs(rows)
			if !ids[closeID] || !ids[reopenID] {
				t.Errorf("臺北 does not see the decisions about its unit (recorded without a branch)")
			}
			rows, _ = search(t, north, models.AuditFilter{PageSize: 200})
			if ids := supRowIDs(rows); ids[closeID] {
				t.Errorf("北區 sees a decision about a 臺北 unit")
			}
			_, all := search(t, models.ScopeAll, models.AuditFilter{})
			_, branch := search(t, taipei, models.AuditFilter{})
			if all <= branch {
				t.Errorf("head office sees %d events, 臺北 %d; want more", all, branch)
			}
			if _, n := search(t, models.UnitScope(unit1), models.AuditFilter{}); n != 0 {
				t.Errorf("a unit scope sees %d events, want none", n)
			}
		})
		t.Run("newest first, paged", func(t *testing.T) {
			rows, total := search(t, models.ScopeAll, models.AuditFilter{PageSize: 2, Page: 1})
			if len(rows) != 2 || total < 4 {
				t.Fatalf("page 1: %d rows of %d", len(rows), total)
			}
			if rows[0].Seq <= rows[1].Seq {
				t.Errorf("rows in seq order %d, %d; want newest first", rows[0].Seq, rows[1].Seq)
			}
			next, _ := search(t, models.ScopeAll, models.AuditFilter{PageSize: 2, Page: 2})
			if len(next) != 2 || next[0].Seq >= rows[1].Seq {
				t.Errorf("page 2 does not continue page 1")
			}
			if rows[0].ID != reopenID || rows[0].UnitCode == nil || *rows[0].UnitCode != code1 {
				t.Errorf("newest row %+v, want the reopen with its unit code %s", rows[0].AuditEvent, code1)
			}
		})
		t.Run("filters", func(t *testing.T) {
			tests := []struct {
				name string
				f    models.AuditFilter
				want []int64 // exactly these, when not nil
				n    int     // else this many
			}{
				{name: "actor kind", f: models.AuditFilter{ActorKind: "anonymous"}, n: 1},
				{name: "actor name, any case", f: models.AuditFilter{Actor: "TAIPEI.STAFF", Action: "staff.login"}, n: 1},
				{name: "actor name, part", f: models.AuditFilter{Actor: ".staff", Action: "staff.login"}, n: 3},
				{name: "LIKE wildcards are literal", f: models.AuditFilter{Actor: "%"}, n: 0},
				{name: "unit code", f: models.AuditFilter{UnitCode: code1}, want: []int64{reopenID, closeID}},
				{name: "action", f: models.AuditFilter{Action: "unit.close"}, want: []int64{closeID}},
				{name: "reason, any case", f: models.AuditFilter{Reason: "UNKNOWN user"}, n: 1},
				{name: "a Taipei day", f: models.AuditFilter{UnitCode: code1, From: day2, To: day2}, want: []int64{reopenID}},
				{name: "the day before", f: models.AuditFilter{UnitCode: code1, To: day1}, want: []int64{closeID}},
				{name: "both days", f: models.AuditFilter{UnitCode: code1, From: day1, To: day2}, want: []int64{reopenID, closeID}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					rows, n := search(t, models.ScopeAll, tt.f)
					if tt.want == nil {
						if n != tt.n {
							t.Errorf("%d events, want %d", n, tt.n)
						}
						return
					}
					var got []int64
					for _, r := range rows {
						got = append(got, r.ID)
					}
					if n != len(tt.want) || len(got) != len(tt.want) {
						t.Fatalf("events %v (count %d), want %v", got, n, tt.want)
					}
					for i := range got {
						if got[i] != tt.want[i] {
							t.Errorf("events %v, want %v", got, tt.want)
						}
					}
				})
			}
		})
		t.Run("one event", func(t *testing.T) {
			if _, err := models.AuditEventByID(ctx, db, taipei, closeID); err != nil {
				t.Errorf("臺北 reading its unit's event: %v", err)
			}
			_, err := models.AuditEventByID(ctx, db, north, closeID)
			supCode(t, err, apperr.NotFound)
			bs, err := models.AuditEventBranches(ctx, db, closeID)
			if err != nil || strings.Join(bs, ",") != "1" {
				t.Errorf("branches of the decision: %v, %v; want [1]", bs, err)
			}
			_, err = models.AuditEventBranches(ctx, db, 1<<40)
			supCode(t, err, apperr.NotFound)
		})
		e.verify()
	})
}

func TestAuditExport(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		e := newSupEnv(t, db)
		super := e.staff("taipei.super")
		for i := 0; i < 5; i++ {
			e.decide(modelstest.Clock.Add(-time.Duration(i)*time.Hour), e.staff("taipei.staff"), "unit.close", 0, "1", nil)
		}
		f := models.AuditFilter{Action: "unit.close"}

		x, err := e.store.StartAuditExport(ctx, super, models.Scope{Branch: "1"}, f, 3)
		if err != nil {
			t.Fatal(err)
		}
		if x.Matched != 5 || x.Rows != 3 || !x.Truncated() {
			t.Errorf("export: matched %d, rows %d, truncated %v; want 5, 3, true", x.Matched, x.Rows, x.Truncated())
		}
		// A decision after the export was recorded is not in it.
		e.decide(modelstest.Clock, e.staff("taipei.staff"), "unit.close", 0, "1", nil)
		var seqs []int64
		if err := x.Each(ctx, db, func(r *models.AuditRow) error { seqs = append(seqs, r.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(seqs) != 3 || seqs[0] > x.UptoSeq || seqs[0] <= seqs[1] || seqs[1] <= seqs[2] {
			t.Errorf("exported seqs %v (up to %d); want 3, newest first, none after the export", seqs, x.UptoSeq)
		}

		rows, _, err := models.SearchAuditEvents(ctx, db, models.ScopeAll, models.AuditFilter{Action: "audit.export"})
		if err != nil || len(rows) != 1 {
			t.Fatalf("audit.export events: %d, %v; want 1", len(rows), err)
		}
		ev := rows[0]
		if ev.ActorName != "taipei.super" || ev.BranchCode == nil || *ev.BranchCode != "1" {
			t.Errorf("export event by %s for branch %v; want taipei.super, 1", ev.ActorName, ev.BranchCode)
		}
		var after struct {
			Filters   map[string]string `json:"filters"`
			Rows      int               `json:"rows"`
			Matched   int               `json:"matched"`
			Truncated bool              `json:"truncated"`
		}
		if err := json.Unmarshal([]byte(ev.AfterJSON), &after); err != nil {
			t.Fatal(err)
		}
		if after.Filters["action"] != "unit.close" || after.Rows != 3 || after.Matched != 5 || !after.Truncated {
			t.Errorf("export event after %s", ev.AfterJSON)
		}

		// Many pages: more events than one read.
		for i := 0; i < 1100; i++ {
			e.decide(modelstest.Clock, e.staff("north.staff"), "unit.reopen", 0, "2", nil)
		}
		x, err = e.store.StartAuditExport(ctx, e.staff("hq.audit"), models.ScopeAll, models.AuditFilter{Action: "unit.reopen"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		n, last := 0, int64(math.MaxInt64)
		err = x.Each(ctx, db, func(r *models.AuditRow) error {
			if r.Seq >= last {
				t.Fatalf("seq %d after %d: not newest first or repeated", r.Seq, last)
			}
			n, last = n+1, r.Seq
			return nil
		})
		if err != nil || n != 1100 || x.Rows != 1100 {
			t.Errorf("exported %d of %d, %v; want 1100", n, x.Rows, err)
		}
		e.verify()
	})
}

func TestDecisionStats(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		e := newSupEnv(t, db)
		tp, nt, hq := e.staff("taipei.staff"), e.staff("north.staff"), e.staff("hq.staff")
		unit1, _ := e.unit("1")
		now := modelstest.Clock
		wait := func(s int) map[string]any { return map[string]any{"status": "done", "waited_seconds": s} }

		e.decide(now.Add(-48*time.Hour), tp, "change_request.approve", unit1, "1", wait(3600))
		e.decide(now.Add(-24*time.Hour), tp, "change_request.reject", unit1, "1", wait(7200))
		e.decide(now.Add(-time.Hour), tp, "unit.close", unit1, "", map[string]any{"status": "closed"}) // branch from its unit
		e.decide(now.Add(-time.Hour), nt, "deregistration.approve", 0, "2", wait(36000))
		e.decide(now.Add(-time.Hour), nt, "unit.reopen", 0, "2", nil)
		e.decide(now.Add(-time.Hour), hq, "unit.reopen", 0, "", nil) // no branch
		// Not counted: a login (not a decision), and a decision before the range.
		e.decide(now.Add(-time.Hour), tp, "staff.login", 0, "1", nil)
		e.decide(now.AddDate(0, 0, -40), tp, "unit.close", 0, "1", nil)

		today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		from := today.AddDate(0, 0, -29)
		st, err := models.DecisionStatsFor(ctx, db, models.ScopeAll, from, today)
		if err != nil {
			t.Fatal(err)
		}
		if st.All.Total != 6 {
			t.Errorf("all decisions %d, want 6", st.All.Total)
		}
		if w := st.All.Waits; w.N != 3 || w.Mean != 15600 || w.Median != 7200 || math.Abs(w.P90-30240) > 1e-6 {
			t.Errorf("all waits %+v; want N 3, mean 15600, median 7200, p90 30240 seconds", w)
		}
		group := func(gs []models.DecisionGroup, key string) models.DecisionGroup {
			t.Helper()
			for _, g := range gs {
				if g.Key == key || g.Username == key {
					return g
				}
			}
			t.Fatalf("no group %q in %+v", key, gs)
			return models.DecisionGroup{}
		}
		g := group(st.Staff, "taipei.staff")
		if g.Total != 3 || g.Counts["change_request.approve"] != 1 || g.Counts["change_request.reject"] != 1 || g.Counts["unit.close"] != 1 {
			t.Errorf("taipei.staff: %+v", g)
		}
		if g.Name != "王專員" || g.Branch == nil || *g.Branch != "1" {
			t.Errorf("taipei.staff named %q of branch %v", g.Name, g.Branch)
		}
		if w := g.Waits; w.N != 2 || w.Mean != 5400 || w.Median != 5400 || math.Abs(w.P90-6840) > 1e-6 {
			t.Errorf("taipei.staff waits %+v; want N 2, mean = median 5400, p90 6840", w)
		}
		if st.Staff[0].Username != "taipei.staff" {
			t.Errorf("staff not by decisions, most first: %s first", st.Staff[0].Username)
		}
		if g := group(st.Staff, "north.staff"); g.Total != 2 || g.Waits.N != 1 || g.Waits.P90 != 36000 {
			t.Errorf("north.staff: %+v", g)
		}
		if g := group(st.Branches, "1"); g.Total != 3 || g.Name != "臺北業務組" {
			t.Errorf("branch 1: %+v", g)
		}
		if g := group(st.Branches, "2"); g.Total != 2 || g.Counts["unit.reopen"] != 1 {
			t.Errorf("branch 2: %+v", g)
		}
		if last := st.Branches[len(st.Branches)-1]; last.Key != "" || last.Total != 1 {
			t.Errorf("decisions of no branch: %+v; want last, 1", last)
		}

		t.Run("a branch sees its own", func(t *testing.T) {
			st, err := models.DecisionStatsFor(ctx, db, models.Scope{Branch: "1"}, from, today)
			if err != nil {
				t.Fatal(err)
			}
			if st.All.Total != 3 || len(st.Staff) != 1 || len(st.Branches) != 1 {
				t.Errorf("臺北 sees %d decisions by %d staff in %d branches; want 3, 1, 1", st.All.Total, len(st.Staff), len(st.Branches))
			}
		})
		t.Run("one day", func(t *testing.T) {
			st, err := models.DecisionStatsFor(ctx, db, models.ScopeAll, today.AddDate(0, 0, -1), today.AddDate(0, 0, -1))
			if err != nil {
				t.Fatal(err)
			}
			if st.All.Total != 1 || st.All.Counts["change_request.reject"] != 1 {
				t.Errorf("3/1 in Taipei: %+v; want the one rejection", st.All)
			}
		})
		t.Run("invalid range", func(t *testing.T) {
			_, err := models.DecisionStatsFor(ctx, db, models.ScopeAll, today, from)
			if ae := supCode(t, err, apperr.Invalid); ae.Fields["to"] == "" {
				t.Errorf("no message for the end date: %+v", ae)
			}
			_, err = models.DecisionStatsFor(ctx, db, models.ScopeAll, today.AddDate(-2, 0, 0), today)
			supCode(t, err, apperr.Invalid)
		})
	})
}

func TestDrawSample(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		e := newSupEnv(t, db)
		now := modelstest.Clock
		tp, super, hqSuper := e.staff("taipei.staff"), e.staff("taipei.super"), e.staff("hq.super")
		taipei := models.Scope{Branch: "1"}

		mine := map[int64]bool{}
		for i := 0; i < 5; i++ {
			mine[e.decide(now.Add(-time.Duration(i)*24*time.Hour), tp, models.DecisionActions[i], 0, "1", nil)] = true
		}
		old := e.decide(now.Add(-8*24*time.Hour), tp, "unit.close", 0, "1", nil)
		other := e.decide(now.Add(-time.Hour), e.staff("north.staff"), "unit.close", 0, "2", nil)
		own := e.decide(now.Add(-time.Hour), super, "unit.reopen", 0, "1", nil) // the supervisor's own decision
		e.decide(now.Add(-time.Hour), tp, "staff.login", 0, "1", nil)           // not a decision

		t.Run("size", func(t *testing.T) {
			for _, n := range []int{0, -1, 51} {
				_, err := e.store.DrawSample(ctx, super, taipei, n)
				if ae := supCode(t, err, apperr.Invalid); ae.Fields["size"] == "" {
					t.Errorf("n=%d: no message for the size", n)
				}
			}
		})

		sampled := map[int64]bool{}
		draw := func(t *testing.T, a models.Actor, sc models.Scope, n, want int) *models.SampleDetail {
			t.Helper()
			smp, err := e.store.DrawSample(ctx, a, sc, n)
			if err != nil {
				t.Fatal(err)
			}
			d, err := models.SampleByID(ctx, db, sc, smp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if smp.Size != want || len(d.Items) != want {
				t.Fatalf("drew %d (%d items), want %d", smp.Size, len(d.Items), want)
			}
			for _, it := range d.Items {
				if sampled[it.AuditEventID] {
					t.Errorf("event %d sampled twice", it.AuditEventID)
				}
				sampled[it.AuditEventID] = true
				if it.Event == nil || it.Event.ID != it.AuditEventID {
					t.Errorf("item %d without its event", it.ID)
				}
			}
			return d
		}

		d := draw(t, super, taipei, 3, 3)
		if d.BranchCode == nil || *d.BranchCode != "1" || d.DrawerUsername != "taipei.super" || d.DrawerName != "林科長" {
			t.Errorf("sample of branch %v by %s (%s)", d.BranchCode, d.DrawerUsername, d.DrawerName)
		}
		for _, it := range d.Items {
			if !mine[it.AuditEventID] {
				t.Errorf("drew event %d: not a decision of 臺北 in the past week by someone else", it.AuditEventID)
			}
		}
		draw(t, super, taipei, 10, 2) // only two are left
		_, err := e.store.DrawSample(ctx, super, taipei, 1)
		if ae := supCode(t, err, apperr.Conflict); !strings.Contains(ae.Message, "沒有尚未抽樣") {
			t.Errorf("nothing left: %q", ae.Message)
		}
		for id := range mine {
			if !sampled[id] {
				t.Errorf("decision %d never drawn", id)
			}
		}

		// Head office draws from every branch, the 臺北 supervisor's own
		// decision included, but never again what 臺北 drew.
		hd := draw(t, hqSuper, models.ScopeAll, 50, 2)
		if hd.BranchCode != nil {
			t.Errorf("head office sample has branch %v", *hd.BranchCode)
		}
		if !sampled[other] || !sampled[own] || sampled[old] {
			t.Errorf("head office drew %v; want events %d and %d, not the old %d", sampled, other, own, old)
		}

		t.Run("scope", func(t *testing.T) {
			list, err := models.Samples(ctx, db, taipei, 100)
			if err != nil || len(list) != 2 {
				t.Fatalf("臺北 lists %d samples, %v; want its 2", len(list), err)
			}
			if list[0].ID < list[1].ID {
				t.Errorf("samples not newest first")
			}
			all, err := models.Samples(ctx, db, models.ScopeAll, 100)
			if err != nil || len(all) != 3 {
				t.Errorf("head office lists %d samples, %v; want 3", len(all), err)
			}
			_, err = models.SampleByID(ctx, db, taipei, hd.ID)
			supCode(t, err, apperr.NotFound)
			_, err = models.SampleByID(ctx, db, models.Scope{Branch: "2"}, d.ID)
			supCode(t, err, apperr.NotFound)
			b, err := models.SampleBranch(ctx, db, hd.ID, hd.Items[0].ID)
			if err != nil || b != nil {
				t.Errorf("branch of the head office sample: %v, %v; want none", b, err)
			}
			_, err = models.SampleBranch(ctx, db, d.ID, hd.Items[0].ID)
			supCode(t, err, apperr.NotFound)
		})

		t.Run("audited", func(t *testing.T) {
			rows, n, err := models.SearchAuditEvents(ctx, db, taipei, models.AuditFilter{Action: "sample.draw"})
			if err != nil || n != 2 {
				t.Fatalf("臺北 sees %d sample.draw events, %v; want 2", n, err)
			}
			if !strings.Contains(rows[1].AfterJSON, `"size":3`) || !strings.Contains(rows[1].AfterJSON, `"requested":3`) {
				t.Errorf("draw event after %s", rows[1].AfterJSON)
			}
		})
		e.verify()
	})
}

func TestRecordVerdict(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		e := newSupEnv(t, db)
		tp, super := e.staff("taipei.staff"), e.staff("taipei.super")
		taipei := models.Scope{Branch: "1"}
		for i := 0; i < 3; i++ {
			e.decide(modelstest.Clock.Add(-time.Hour), tp, "unit.close", 0, "1", nil)
		}
		smp, err := e.store.DrawSample(ctx, super, taipei, 3)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := models.SampleByID(ctx, db, taipei, smp.ID)
		item := d.Items[0].ID

		t.Run("concern needs a note", func(t *testing.T) {
			_, err := e.store.RecordVerdict(ctx, super, taipei, smp.ID, item, models.VerdictInput{Verdict: models.VerdictConcern, Note: "  "})
			if ae := supCode(t, err, apperr.Invalid); ae.Fields["note"] == "" {
				t.Errorf("no message for the note: %+v", ae)
			}
			_, err = e.store.RecordVerdict(ctx, super, taipei, smp.ID, item, models.VerdictInput{Verdict: "maybe"})
			if ae := supCode(t, err, apperr.Invalid); ae.Fields["verdict"] == "" {
				t.Errorf("no message for the verdict: %+v", ae)
			}
		})
		t.Run("out of scope", func(t *testing.T) {
			_, err := e.store.RecordVerdict(ctx, e.staff("north.super"), models.Scope{Branch: "2"}, smp.ID, item, models.VerdictInput{Verdict: models.VerdictOK})
			supCode(t, err, apperr.NotFound)
			_, err = e.store.RecordVerdict(ctx, super, taipei, smp.ID+1000, item, models.VerdictInput{Verdict: models.VerdictOK})
			supCode(t, err, apperr.NotFound)
		})

		it, err := e.store.RecordVerdict(ctx, super, taipei, smp.ID, item, models.VerdictInput{Verdict: models.VerdictOK})
		if err != nil {
			t.Fatal(err)
		}
		if it.Verdict == nil || *it.Verdict != models.VerdictOK || it.DecidedBy == nil || *it.DecidedBy != super.ID || it.DecidedAt == nil {
			t.Errorf("recorded %+v", it)
		}
		concern, err := e.store.RecordVerdict(ctx, super, taipei, smp.ID, d.Items[1].ID,
			models.VerdictInput{Verdict: models.VerdictConcern, Note: "關閉理由未附佐證"})
		if err != nil || concern.Note != "關閉理由未附佐證" {
			t.Fatalf("concern: %+v, %v", concern, err)
		}

		t.Run("final", func(t *testing.T) {
			_, err := e.store.RecordVerdict(ctx, e.staff("hq.super"), models.ScopeAll, smp.ID, item,
				models.VerdictInput{Verdict: models.VerdictConcern, Note: "改判"})
			ae := supCode(t, err, apperr.Conflict)
			if !strings.Contains(ae.Message, "不可變更") || !strings.Contains(ae.Message, "林科長") || !strings.Contains(ae.Message, "適當") {
				t.Errorf("message %q; want who judged, how, and that it is final", ae.Message)
			}
			// The database refuses too.
			if _, err := db.NewUpdate().Table("sample_items").Set("verdict = 'concern', note = 'x'").Where("id = ?", item).Exec(ctx); err == nil {
				t.Errorf("UPDATE of a recorded verdict succeeded")
			}
			if _, err := db.NewUpdate().Table("sample_items").Set("verdict = 'concern'").Where("id = ?", d.Items[2].ID).Exec(ctx); err == nil {
				t.Errorf("a concern without a note, a decider or a time was stored")
			}
		})

		list, err := models.Samples(ctx, db, taipei, 10)
		if err != nil || len(list) != 1 || list[0].Decided != 2 || list[0].Concerns != 1 {
			t.Errorf("summary %+v, %v; want 2 decided, 1 concern", list, err)
		}
		rows, n, err := models.SearchAuditEvents(ctx, db, taipei, models.AuditFilter{Action: "sample.verdict"})
		if err != nil || n != 2 || !strings.Contains(rows[0].AfterJSON, `"verdict":"concern"`) || rows[0].Reason != "關閉理由未附佐證" {
			t.Errorf("verdict events: %d, %v, %+v", n, err, rows)
		}
		e.verify()
	})
}

// TestDecisionsOfStoreActions follows decisions made by the console's
// store actions (closing and reopening a unit, deciding a change request)
// into the search, the statistics and a sample.
func TestDecisionsOfStoreActions(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		e := newSupEnv(t, db)
		tp, taipei := e.staff("taipei.staff"), models.Scope{Branch: "1"}
		unitID, code := e.unit("1")

		if err := e.store.SetUnitStatus(ctx, tp, taipei, unitID, models.UnitClosed, "data_check", "待查"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if err := e.store.SetUnitStatus(ctx, tp, taipei, unitID, models.UnitActive, "other", "已查核"); err != nil {
			t.Fatal(err)
		}
		req, err := e.store.SubmitChangeRequest(ctx, models.Actor{Kind: "unit", Name: "unit", UnitID: unitID}, unitID,
			models.ChangeRequestInput{ChangeName: true, NewName: "新名稱有限公司", EffectiveDate: modelstest.Clock.AddDate(0, 0, 10),
				ContactName: "聯絡人", ContactPhone: "(02)2345-6789",
				Documents: []models.Upload{{FileName: "proof.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 test")}}})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(3 * time.Hour)
		if err := e.store.DecideChangeRequest(ctx, tp, taipei, req.ID, req.Version, true, ""); err != nil {
			t.Fatal(err)
		}

		rows, n, err := models.SearchAuditEvents(ctx, db, taipei, models.AuditFilter{UnitCode: code, ActorKind: "staff"})
		if err != nil || n != 3 {
			t.Fatalf("the unit's staff events: %d, %v; want 3", n, err)
		}
		if rows[0].Action != "change_request.approve" || rows[2].Action != "unit.close" || !strings.Contains(rows[2].BeforeJSON, `"status":"active"`) {
			t.Errorf("events %s, %s, %s; before %s", rows[0].Action, rows[1].Action, rows[2].Action, rows[2].BeforeJSON)
		}

		day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		st, err := models.DecisionStatsFor(ctx, db, taipei, day, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Staff) != 1 || st.Staff[0].Username != "taipei.staff" || st.Staff[0].Total != 3 {
			t.Fatalf("staff %+v", st.Staff)
		}
		if g := st.Staff[0]; g.Counts["unit.close"] != 1 || g.Counts["unit.reopen"] != 1 || g.Counts["change_request.approve"] != 1 ||
			g.Waits.N != 1 || g.Waits.Mean != 3*3600 {
			t.Errorf("taipei.staff %+v; want one of each, and the approval waited 3 hours", g)
		}

		smp, err := e.store.DrawSample(ctx, e.staff("taipei.super"), taipei, 50)
		if err != nil || smp.Size != 3 {
			t.Fatalf("sample: %+v, %v; want the 3 decisions", smp, err)
		}
		e.verify()
	})
}
