package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// caseFixture is a demo database with a 臺北 unit and a 北區 unit, and the
// staff who act on cases.
type caseFixture struct {
	t      *testing.T
	db     *bun.DB
	s      *models.Store
	clock  *modelstest.Time
	calls  int          // cases opened: each is another call (the same one twice is a double submit)
	taipei *models.Unit // a 臺北 unit
	north  *models.Unit // a 北區 unit
}

func newCaseFixture(t *testing.T, db *bun.DB) *caseFixture {
	t.Helper()
	s, clk := modelstest.NewStore(db)
	if _, err := demo.Seed(context.Background(), s, 12); err != nil {
		t.Fatal(err)
	}
	f := &caseFixture{t: t, db: db, s: s, clock: clk}
	f.taipei, f.north = f.unit(demo.UnitCode(0)), f.unit(demo.UnitCode(3))
	if f.taipei.BranchCode != "1" || f.north.BranchCode != "2" {
		t.Fatalf("demo units in branches %s and %s, want 1 and 2", f.taipei.BranchCode, f.north.BranchCode)
	}
	return f
}

func (f *caseFixture) unit(code string) *models.Unit {
	f.t.Helper()
	u := new(models.Unit)
	if err := f.db.NewSelect().Model(u).Where("code = ?", code).Scan(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// staff returns a demo staff member as an actor, and their scope.
func (f *caseFixture) staff(username string) (models.Actor, models.Scope) {
	f.t.Helper()
	st := new(models.Staff)
	if err := f.db.NewSelect().Model(st).Where("username = ?", username).Scan(context.Background()); err != nil {
		f.t.Fatalf("staff %s: %v", username, err)
	}
	a := models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role}
	if st.BranchCode != nil {
		a.Branch = *st.BranchCode
	}
	return a, models.BranchScope(st.BranchCode)
}

func (f *caseFixture) staffID(username string) int64 {
	a, _ := f.staff(username)
	return a.ID
}

// open opens a valid case as username, changed by edit.
func (f *caseFixture) open(username string, edit func(in *models.CaseInput)) *models.Case {
	f.t.Helper()
	a, sc := f.staff(username)
	f.calls++
	in := models.CaseInput{CallerName: "王小姐", CallerPhone: "(02)2345-6789", Topic: "q5", Notes: fmt.Sprintf("登入出現洽詢承辦人（第 %d 通）", f.calls), AssignToMe: true}
	if edit != nil {
		edit(&in)
	}
	c, err := f.s.OpenCase(context.Background(), a, sc, in)
	if err != nil {
		f.t.Fatalf("open case: %v", err)
	}
	return c
}

func (f *caseFixture) get(id int64) *models.Case {
	f.t.Helper()
	c, err := models.CaseByID(context.Background(), f.db, models.ScopeAll, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// events returns the audit events of an action about a case.
func (f *caseFixture) events(action string, id int64) []models.AuditEvent {
	f.t.Helper()
	var evs []models.AuditEvent
	err := f.db.NewSelect().Model(&evs).Where("action = ? AND object_type = 'case' AND object_id = ?", action, fmtInt(id)).
		Order("seq").Scan(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

func fmtInt(id int64) string { return strconv.FormatInt(id, 10) }

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid || e.Fields[field] == "" {
		t.Errorf("%s: %v, want Invalid with a message for %q", what, err, field)
	}
}

func TestOpenCase(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()

		t.Run("from a unit", func(t *testing.T) {
			c := f.open("taipei.staff", func(in *models.CaseInput) { in.UnitID = f.taipei.ID })
			got := f.get(c.ID)
			if got.UnitID == nil || *got.UnitID != f.taipei.ID || got.BranchCode != "1" || got.CallerRef != f.taipei.Code ||
				got.Status != models.CaseOpen || got.Version != 1 || got.AssignedTo == nil || *got.AssignedTo != f.staffID("taipei.staff") {
				t.Errorf("case %+v", got)
			}
			if got.UnitName == nil || *got.UnitName != f.taipei.Name || got.BranchName != "臺北業務組" || got.OpenerName != "王專員" {
				t.Errorf("joined names: unit %v, branch %q, opener %q", got.UnitName, got.BranchName, got.OpenerName)
			}
			if got.TopicInfo().Q != "Q5" {
				t.Errorf("topic %+v", got.TopicInfo())
			}
			evs := f.events("case.open", c.ID)
			if len(evs) != 1 || evs[0].UnitID == nil || *evs[0].UnitID != f.taipei.ID || evs[0].BranchCode == nil || *evs[0].BranchCode != "1" {
				t.Errorf("case.open events: %+v", evs)
			}
		})

		t.Run("from the caller's unit code or 統一編號", func(t *testing.T) {
			for _, ref := range []string{f.taipei.Code, " " + f.taipei.BAN + " "} {
				c := f.open("taipei.staff", func(in *models.CaseInput) { in.CallerRef = ref })
				if got := f.get(c.ID); got.UnitID == nil || *got.UnitID != f.taipei.ID {
					t.Errorf("ref %q: unit %v, want %d", ref, got.UnitID, f.taipei.ID)
				}
			}
		})

		t.Run("a name leaves the unit unknown, in the officer's branch", func(t *testing.T) {
			c := f.open("north.staff", func(in *models.CaseInput) { in.CallerRef = "某某有限公司"; in.AssignToMe = false })
			got := f.get(c.ID)
			if got.UnitID != nil || got.BranchCode != "2" || got.CallerRef != "某某有限公司" || got.AssignedTo != nil {
				t.Errorf("case %+v", got)
			}
		})

		t.Run("another branch's unit", func(t *testing.T) {
			a, sc := f.staff("north.staff")
			_, err := f.s.OpenCase(ctx, a, sc, models.CaseInput{UnitID: f.taipei.ID, CallerName: "王小姐", CallerPhone: "0912-345-678", Topic: "q1"})
			wantCode(t, "a 北區 officer opening on a 臺北 unit", err, apperr.NotFound)
			// Typed, its code finds nothing in the officer's scope: the case stays theirs, without a unit.
			c := f.open("north.staff", func(in *models.CaseInput) { in.CallerRef = f.taipei.Code })
			if got := f.get(c.ID); got.UnitID != nil || got.BranchCode != "2" {
				t.Errorf("case %+v", got)
			}
		})

		t.Run("head office picks the branch", func(t *testing.T) {
			a, sc := f.staff("hq.staff")
			in := models.CaseInput{CallerName: "林先生", CallerPhone: "02-2523-2388", Topic: "other", CallerRef: "不知道代號"}
			_, err := f.s.OpenCase(ctx, a, sc, in)
			wantField(t, "no branch", err, "branch")
			in.Branch = "9"
			_, err = f.s.OpenCase(ctx, a, sc, in)
			wantField(t, "an unknown branch", err, "branch")
			in.Branch = "3"
			c, err := f.s.OpenCase(ctx, a, sc, in)
			if err != nil || f.get(c.ID).BranchCode != "3" {
				t.Fatalf("with branch 3: %v", err)
			}
			in.AssignToMe = true
			_, err = f.s.OpenCase(ctx, a, sc, in)
			wantField(t, "head office taking a branch's case", err, "assign_me")
			// With a unit, the unit's branch wins.
			c, err = f.s.OpenCase(ctx, a, sc, models.CaseInput{UnitID: f.north.ID, Branch: "3", CallerName: "林先生", CallerPhone: "02-2523-2388", Topic: "q8"})
			if err != nil || f.get(c.ID).BranchCode != "2" {
				t.Fatalf("with a 北區 unit: %v", err)
			}
		})

		t.Run("validation", func(t *testing.T) {
			a, sc := f.staff("taipei.staff")
			_, err := f.s.OpenCase(ctx, a, sc, models.CaseInput{CallerPhone: "abc", Topic: "q99"})
			for _, field := range []string{"caller_name", "caller_phone", "topic"} {
				wantField(t, "an empty form", err, field)
			}
			_, err = f.s.OpenCase(ctx, a, sc, models.CaseInput{CallerName: "王小姐", Topic: "q1"})
			wantField(t, "no phone", err, "caller_phone")
			auditor, asc := f.staff("taipei.audit")
			_, err = f.s.OpenCase(ctx, auditor, asc, models.CaseInput{CallerName: "王小姐", CallerPhone: "0912-345-678", Topic: "q1", AssignToMe: true})
			wantField(t, "an auditor taking a case", err, "assign_me")
			_, err = f.s.OpenCase(ctx, models.Actor{Kind: "unit", Name: "x", UnitID: f.taipei.ID}, models.UnitScope(f.taipei.ID),
				models.CaseInput{CallerName: "王小姐", CallerPhone: "0912-345-678", Topic: "q1"})
			wantCode(t, "a unit opening a case", err, apperr.Forbidden)
		})

		t.Run("every topic fits the schema", func(t *testing.T) {
			for _, tp := range models.CaseTopics {
				c := f.open("taipei.staff", func(in *models.CaseInput) { in.Topic = tp.Code })
				if got := f.get(c.ID); got.TopicInfo().Code != tp.Code || len(tp.Answer) == 0 || tp.Title == "" {
					t.Errorf("topic %s: %+v", tp.Code, got.TopicInfo())
				}
			}
		})

		t.Run("the schema refuses inconsistent rows", func(t *testing.T) {
			staffID := f.staffID("taipei.staff")
			insert := func(topic, status, resolution string, resolvedAt *time.Time) error {
				_, err := db.NewInsert().Model(&models.Case{BranchCode: "1", CallerName: "x", CallerPhone: "0912345678", Topic: topic,
					Status: status, Resolution: resolution, OpenedBy: staffID, OpenedAt: modelstest.Clock, UpdatedAt: modelstest.Clock,
					ResolvedAt: resolvedAt, Version: 1}).Exec(ctx)
				return err
			}
			at := modelstest.Clock
			if err := insert("q12", models.CaseOpen, "", nil); err == nil {
				t.Error("an unknown topic was stored")
			}
			if err := insert("q1", models.CaseResolved, "", &at); err == nil {
				t.Error("a resolution-less resolved case was stored")
			}
			if err := insert("q1", models.CaseResolved, "done", nil); err == nil {
				t.Error("a resolved case without resolved_at was stored")
			}
			if err := insert("q1", models.CaseOpen, "", &at); err == nil {
				t.Error("an open case with resolved_at was stored")
			}
			if err := insert("q1", models.CaseResolved, "done", &at); err != nil {
				t.Errorf("a consistent resolved case: %v", err)
			}
		})

		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Error(err)
		}
	})
}

func TestCaseScope(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		c := f.open("taipei.staff", func(in *models.CaseInput) { in.UnitID = f.taipei.ID })
		north, nsc := f.staff("north.staff")

		if _, err := models.CaseByID(ctx, db, models.Scope{Branch: "1"}, c.ID); err != nil {
			t.Errorf("own branch: %v", err)
		}
		if _, err := models.CaseByID(ctx, db, models.ScopeAll, c.ID); err != nil {
			t.Errorf("head office: %v", err)
		}
		_, err := models.CaseByID(ctx, db, nsc, c.ID)
		wantCode(t, "a 北區 officer reading a 臺北 case", err, apperr.NotFound)
		_, err = models.CaseByID(ctx, db, models.UnitScope(f.taipei.ID), c.ID)
		wantCode(t, "the unit itself", err, apperr.NotFound)
		_, err = models.CaseByID(ctx, db, models.Scope{}, c.ID)
		wantCode(t, "an empty scope", err, apperr.NotFound)
		_, err = models.CaseByID(ctx, db, models.ScopeAll, c.ID+1000)
		wantCode(t, "a missing case", err, apperr.NotFound)

		_, err = f.s.AddCaseNote(ctx, north, nsc, c.ID, "偷看")
		wantCode(t, "a 北區 note", err, apperr.NotFound)
		err = f.s.SetCaseStatus(ctx, north, nsc, c.ID, c.Version, models.CaseResolved, "已處理")
		wantCode(t, "a 北區 resolution", err, apperr.NotFound)
		err = f.s.AssignCase(ctx, north, nsc, c.ID, c.Version, f.staffID("north.staff"))
		wantCode(t, "a 北區 assignment", err, apperr.NotFound)
		if got := f.get(c.ID); got.Version != 1 || got.Status != models.CaseOpen || len(got.Trail) != 0 {
			t.Errorf("the case changed: %+v", got)
		}
		rows, total, err := models.CasesQueue(ctx, db, nsc, models.CaseFilter{Status: models.CasesAll})
		if err != nil || total != 0 || len(rows) != 0 {
			t.Errorf("北區 queue: %d rows, %v", total, err)
		}

		branch, err := models.CaseDomain(ctx, db, c.ID)
		if err != nil || branch != "1" {
			t.Errorf("CaseDomain: %q, %v", branch, err)
		}
		_, err = models.CaseDomain(ctx, db, c.ID+1000)
		wantCode(t, "CaseDomain of a missing case", err, apperr.NotFound)
	})
}

func TestCaseNotes(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		c := f.open("taipei.staff", nil)
		a, sc := f.staff("taipei.staff")
		sup, ssc := f.staff("taipei.super")

		_, err := f.s.AddCaseNote(ctx, a, sc, c.ID, "   ")
		wantField(t, "an empty note", err, "text")
		if _, err := f.s.AddCaseNote(ctx, a, sc, c.ID, "已請單位明天再登入"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if _, err := f.s.AddCaseNote(ctx, sup, ssc, c.ID, "單位回電：<已可登入>"); err != nil {
			t.Fatal(err)
		}
		got := f.get(c.ID)
		if len(got.Trail) != 2 || got.Trail[0].Text != "已請單位明天再登入" || got.Trail[1].StaffName != "林科長" ||
			got.Trail[1].Text != "單位回電：<已可登入>" {
			t.Errorf("trail %+v", got.Trail)
		}
		if got.Version != 1 || !got.UpdatedAt.Equal(modelstest.Clock.Add(time.Minute)) {
			t.Errorf("after notes: version %d (notes keep it), updated %v", got.Version, got.UpdatedAt)
		}
		if n := len(f.events("case.note", c.ID)); n != 2 {
			t.Errorf("%d case.note events, want 2", n)
		}
		if err := f.s.SetCaseStatus(ctx, a, sc, c.ID, got.Version, models.CaseResolved, "已開啟單位"); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.AddCaseNote(ctx, a, sc, c.ID, "結案後的備註")
		wantCode(t, "a note on a resolved case", err, apperr.Conflict)
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Error(err)
		}
	})
}

func TestCaseStatusTransitions(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		a, sc := f.staff("taipei.staff")
		c := f.open("taipei.staff", func(in *models.CaseInput) { in.UnitID = f.taipei.ID })
		step := func(status, resolution string) error {
			t.Helper()
			return f.s.SetCaseStatus(ctx, a, sc, c.ID, f.get(c.ID).Version, status, resolution)
		}

		wantCode(t, "open → open", step(models.CaseOpen, ""), apperr.Conflict)
		if err := step(models.CaseWaiting, ""); err != nil {
			t.Fatalf("open → waiting: %v", err)
		}
		wantCode(t, "waiting → waiting", step(models.CaseWaiting, ""), apperr.Conflict)
		if err := step(models.CaseOpen, ""); err != nil {
			t.Fatalf("waiting → open: %v", err)
		}
		if err := step(models.CaseWaiting, ""); err != nil {
			t.Fatalf("open → waiting again: %v", err)
		}
		wantField(t, "an unknown status", step("closed", ""), "status")
		wantField(t, "resolving without a resolution", step(models.CaseResolved, "  "), "resolution")
		f.clock.Advance(26 * time.Hour)
		if err := step(models.CaseResolved, "已將單位開啟，請單位重新登入。"); err != nil {
			t.Fatalf("waiting → resolved: %v", err)
		}
		got := f.get(c.ID)
		if got.Status != models.CaseResolved || got.ResolvedAt == nil || got.Resolution != "已將單位開啟，請單位重新登入。" || got.Version != 5 {
			t.Errorf("resolved case %+v", got)
		}
		if age := got.AgeAt(modelstest.Clock.Add(100 * time.Hour)); age != 26*time.Hour {
			t.Errorf("age of a resolved case %v, want 26h (it stops at the resolution)", age)
		}
		wantCode(t, "resolved → open", step(models.CaseOpen, ""), apperr.Conflict)
		wantCode(t, "resolved → waiting", step(models.CaseWaiting, ""), apperr.Conflict)
		wantCode(t, "resolved → resolved", step(models.CaseResolved, "again"), apperr.Conflict)
		wantCode(t, "assigning a resolved case", f.s.AssignCase(ctx, a, sc, c.ID, got.Version, f.staffID("taipei.super")), apperr.Conflict)

		if n := len(f.events("case.status", c.ID)); n != 3 {
			t.Errorf("%d case.status events, want 3", n)
		}
		res := f.events("case.resolve", c.ID)
		if len(res) != 1 || res[0].UnitID == nil || *res[0].UnitID != f.taipei.ID {
			t.Fatalf("case.resolve events: %+v", res)
		}
		var after struct {
			Waited     int64  `json:"waited_seconds"`
			Resolution string `json:"resolution"`
		}
		if err := json.Unmarshal([]byte(res[0].AfterJSON), &after); err != nil || after.Waited != 26*3600 || after.Resolution == "" {
			t.Errorf("case.resolve after %s: %v", res[0].AfterJSON, err)
		}
		decision := false
		for _, d := range models.DecisionActions {
			decision = decision || d == "case.resolve"
		}
		if !decision {
			t.Error("case.resolve is not among models.DecisionActions")
		}
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Error(err)
		}
	})
}

func TestAssignCase(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		a, sc := f.staff("taipei.staff")
		c := f.open("taipei.staff", func(in *models.CaseInput) { in.AssignToMe = false })
		assign := func(who models.Actor, scope models.Scope, to int64) error {
			t.Helper()
			return f.s.AssignCase(ctx, who, scope, c.ID, f.get(c.ID).Version, to)
		}

		if err := assign(a, sc, f.staffID("taipei.super")); err != nil {
			t.Fatalf("to a 臺北 supervisor: %v", err)
		}
		if got := f.get(c.ID); got.AssignedTo == nil || *got.AssignedTo != f.staffID("taipei.super") || got.AssigneeName == nil || *got.AssigneeName != "林科長" {
			t.Errorf("assigned to %v (%v)", got.AssignedTo, got.AssigneeName)
		}
		wantField(t, "to a 北區 officer", assign(a, sc, f.staffID("north.staff")), "assignee")
		wantField(t, "to an auditor", assign(a, sc, f.staffID("taipei.audit")), "assignee")
		wantField(t, "to head office", assign(a, sc, f.staffID("hq.staff")), "assignee")
		wantField(t, "to nobody that exists", assign(a, sc, 999999), "assignee")
		wantField(t, "to the same colleague again", assign(a, sc, f.staffID("taipei.super")), "assignee")

		hq, hsc := f.staff("hq.staff")
		if err := assign(hq, hsc, f.staffID("taipei.staff")); err != nil {
			t.Errorf("head office assigning within the case's branch: %v", err)
		}
		wantField(t, "head office assigning outside the case's branch", assign(hq, hsc, f.staffID("north.super")), "assignee")
		if err := assign(a, sc, 0); err != nil {
			t.Errorf("unassigning: %v", err)
		}
		if got := f.get(c.ID); got.AssignedTo != nil || got.Version != 4 {
			t.Errorf("after unassigning: %v, version %d", got.AssignedTo, got.Version)
		}
		wantField(t, "unassigning twice", assign(a, sc, 0), "assignee")
		if n := len(f.events("case.assign", c.ID)); n != 3 {
			t.Errorf("%d case.assign events, want 3", n)
		}

		staff, err := models.CaseAssignees(ctx, db, "1")
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, s := range staff {
			names[s.Username] = true
		}
		if len(staff) != 2 || !names["taipei.staff"] || !names["taipei.super"] {
			t.Errorf("assignees of 臺北: %v, want taipei.staff and taipei.super", names)
		}
	})
}

func TestCaseOptimisticLocking(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		a, sc := f.staff("taipei.staff")
		sup, ssc := f.staff("taipei.super")
		c := f.open("taipei.staff", nil)
		seen := c.Version // both officers have the page open

		if err := f.s.SetCaseStatus(ctx, sup, ssc, c.ID, seen, models.CaseWaiting, ""); err != nil {
			t.Fatal(err)
		}
		err := f.s.SetCaseStatus(ctx, a, sc, c.ID, seen, models.CaseResolved, "已處理")
		wantCode(t, "resolving what a colleague just changed", err, apperr.Conflict)
		if e, ok := apperr.As(err); ok && e.Message == "" {
			t.Error("the conflict has no message")
		}
		wantCode(t, "assigning with a stale version", f.s.AssignCase(ctx, a, sc, c.ID, seen, f.staffID("taipei.super")), apperr.Conflict)
		if got := f.get(c.ID); got.Status != models.CaseWaiting || got.Version != seen+1 {
			t.Errorf("after the conflicts: %s v%d", got.Status, got.Version)
		}

		// Two officers resolving at the same moment: one wins, the other is told.
		v := f.get(c.ID).Version
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, who := range []struct {
			a  models.Actor
			sc models.Scope
		}{{a, sc}, {sup, ssc}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = f.s.SetCaseStatus(ctx, who.a, who.sc, c.ID, v, models.CaseResolved, "同時結案")
			}()
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.Is(err, apperr.Conflict):
				conflicts++
			default:
				t.Errorf("concurrent resolution: %v", err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Errorf("concurrent resolutions: %d succeeded, %d conflicts; want 1 and 1", ok, conflicts)
		}
		if n := len(f.events("case.resolve", c.ID)); n != 1 {
			t.Errorf("%d case.resolve events, want 1", n)
		}
		if _, err := models.VerifyAudit(ctx, db, modelstest.AuditKeys, nil); err != nil {
			t.Error(err)
		}
	})
}

func TestCasesQueue(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		me := f.staffID("taipei.staff")
		// Opened an hour apart, oldest first: mine, nobody's, mine (Q10), a 北區 one.
		c1 := f.open("taipei.staff", func(in *models.CaseInput) { in.UnitID = f.taipei.ID })
		f.clock.Advance(time.Hour)
		c2 := f.open("taipei.super", func(in *models.CaseInput) {
			in.AssignToMe = false
			in.CallerName = "陳先生"
			in.CallerPhone = "0933-111-222"
		})
		f.clock.Advance(time.Hour)
		c3 := f.open("taipei.staff", func(in *models.CaseInput) { in.Topic = "q10"; in.CallerRef = "永泰科技" })
		f.clock.Advance(time.Hour)
		c4 := f.open("north.staff", nil)
		a, sc := f.staff("taipei.staff")
		if err := f.s.SetCaseStatus(ctx, a, sc, c3.ID, c3.Version, models.CaseWaiting, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetCaseStatus(ctx, a, sc, c1.ID, c1.Version, models.CaseResolved, "已處理"); err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now().Add(30 * time.Minute)
		taipei := models.Scope{Branch: "1"}

		ids := func(cs []models.Case) []int64 {
			var out []int64
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name  string
			scope models.Scope
			f     models.CaseFilter
			want  []int64
		}{
			{"unresolved by default, oldest first", taipei, models.CaseFilter{}, []int64{c2.ID, c3.ID}},
			{"all", taipei, models.CaseFilter{Status: models.CasesAll}, []int64{c1.ID, c2.ID, c3.ID}},
			{"resolved", taipei, models.CaseFilter{Status: models.CaseResolved}, []int64{c1.ID}},
			{"waiting", taipei, models.CaseFilter{Status: models.CaseWaiting}, []int64{c3.ID}},
			{"by topic", taipei, models.CaseFilter{Status: models.CasesAll, Topic: "q10"}, []int64{c3.ID}},
			{"assigned to me", taipei, models.CaseFilter{Status: models.CasesAll, Assigned: models.AssignedMe, Me: me}, []int64{c1.ID, c3.ID}},
			{"assigned to nobody", taipei, models.CaseFilter{Status: models.CasesAll, Assigned: models.AssignedNobody}, []int64{c2.ID}},
			{"by caller name", taipei, models.CaseFilter{Status: models.CasesAll, Q: "陳先"}, []int64{c2.ID}},
			{"by caller phone", taipei, models.CaseFilter{Status: models.CasesAll, Q: "0933"}, []int64{c2.ID}},
			{"by the caller's words", taipei, models.CaseFilter{Status: models.CasesAll, Q: "永泰"}, []int64{c3.ID}},
			{"by unit code", taipei, models.CaseFilter{Status: models.CasesAll, Q: f.taipei.Code}, []int64{c1.ID}},
			{"LIKE wildcards are literal", taipei, models.CaseFilter{Status: models.CasesAll, Q: "%"}, nil},
			{"another branch", models.Scope{Branch: "2"}, models.CaseFilter{}, []int64{c4.ID}},
			{"head office", models.ScopeAll, models.CaseFilter{}, []int64{c2.ID, c3.ID, c4.ID}},
			{"head office, one branch", models.ScopeAll, models.CaseFilter{Branch: "2"}, []int64{c4.ID}},
			{"a unit sees none", models.UnitScope(f.taipei.ID), models.CaseFilter{Status: models.CasesAll}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.f.Now = now
				rows, total, err := models.CasesQueue(ctx, db, tc.scope, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(rows); total != len(tc.want) || len(got) != len(tc.want) || (len(got) > 0 && !equalIDs(got, tc.want)) {
					t.Errorf("got %v (total %d), want %v", got, total, tc.want)
				}
			})
		}

		rows, _, err := models.CasesQueue(ctx, db, taipei, models.CaseFilter{Status: models.CasesAll, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if rows[1].Age != 2*time.Hour+30*time.Minute || rows[0].Age != 3*time.Hour || rows[0].UnitCode == nil ||
			rows[1].AssigneeName != nil || rows[2].AssigneeName == nil || rows[1].BranchName != "臺北業務組" {
			t.Errorf("rows: age %v %v, unit %v, assignees %v %v", rows[0].Age, rows[1].Age, rows[0].UnitCode, rows[1].AssigneeName, rows[2].AssigneeName)
		}

		t.Run("pages", func(t *testing.T) {
			for i := 0; i < 5; i++ {
				f.open("taipei.staff", nil)
			}
			p1, total, _ := models.CasesQueue(ctx, db, taipei, models.CaseFilter{PageSize: 3, Page: 1})
			p3, _, _ := models.CasesQueue(ctx, db, taipei, models.CaseFilter{PageSize: 3, Page: 3})
			if total != 7 || len(p1) != 3 || len(p3) != 1 || p1[0].ID != c2.ID {
				t.Errorf("total %d, page 1 %v, page 3 %v", total, ids(p1), ids(p3))
			}
		})
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
