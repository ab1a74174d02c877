package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
)

// Work volumes per 100,000 units, as a national bureau would have them
// after a year: phone cases (most resolved, a few thousand open over the
// six branches), change requests (1,500 waiting for review),
// deregistrations (200 waiting for a supervisor) and, by default, 25 audit
// events per unit.
const (
	workCases        = 30_000
	workOpenCases    = 3_000
	workChanges      = 20_000
	workPendingRevs  = 1_500
	workDeregs       = 3_000
	workPendingDereg = 200
	// AuditEventsPerUnit is the default size of the demo's audit log.
	AuditEventsPerUnit = 25
	// workSkip leaves the first demo units (those tests and the simulated
	// cards name, see People and KindUnits) without seeded work, so that
	// their journeys start from a clean state.
	workSkip = 100
)

// WorkResult says what SeedWork added.
type WorkResult struct {
	Cases, OpenCases                        int
	ChangeRequests, PendingReviews          int
	Deregistrations, PendingDeregistrations int
	Samples, SampleItems, OpenSampleItems   int
	AuditEvents                             int
}

// workUnit is a demo unit as the work generators need it.
type workUnit struct {
	ID        int64          `bun:"id"`
	Code      string         `bun:"code"`
	Name      string         `bun:"name"`
	Branch    string         `bun:"branch_code"`
	Reg       models.Address `bun:"embed:reg_"`
	AccountID *int64         `bun:"account_id"`
	RegType   *string        `bun:"reg_type"`
	ClerkID   *int64         `bun:"clerk_id"`
	ClerkName *string        `bun:"clerk_name"`
	ClerkRole string         `bun:"-"`
}

// workStaff are the demo's staff by user name.
type workStaff map[string]models.Staff

func (ws workStaff) actor(username string) models.Actor {
	st := ws[username]
	a := models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role}
	if st.BranchCode != nil {
		a.Branch = *st.BranchCode
	}
	return a
}

// branchStaff names the demo's staff and supervisor of each branch.
var branchStaff = map[string][2]string{
	"1": {"taipei.staff", "taipei.super"}, "2": {"north.staff", "north.super"}, "3": {"central.staff", "central.super"},
	"4": {"south.staff", "south.super"}, "5": {"kaoping.staff", "kaoping.super"}, "6": {"east.staff", "east.super"},
}

var (
	caseTopics   = []string{"q1", "q2", "q2", "q3", "q4", "q5", "q5", "q6", "q7", "q8", "q9", "q9", "q10", "q10", "q11", "other"}
	caseNotes    = []string{"來電詢問如何指派承辦人", "以自然人憑證登入出現錯誤代碼 3003", "工商憑證已換發，詢問如何更新", "想改用工商憑證註冊", "登入時顯示洽詢承辦人", "忘記自然人憑證 PIN 碼", "工商憑證鎖卡", "詢問勞保證號填寫方式", "詢問登記地址變更所需文件", "收到申報錯誤通知信，詢問錯誤代碼", "無法列印申報表"}
	resolutions  = []string{"已說明操作步驟，單位確認可以操作", "已請單位更新憑證元件後重新登入成功", "已重新開啟單位，請單位重新登入", "已寄送操作手冊，單位表示了解", "已協助查詢錯誤代碼並說明補正方式"}
	rejectWhy    = []string{"證明文件不清楚，請重新上傳清晰的文件", "登記地址與證明文件不符", "證明文件非最新版本，請上傳最新的變更登記表"}
	deregWhy     = []string{"單位來電要求改以工商憑證註冊", "單位來電要求改以負責人健保卡註冊", "負責人變更，單位要求重新註冊"}
	deregReject  = []string{"經電話確認非單位負責人提出，暫不註銷", "單位撤回申請"}
	concernNotes = []string{"結案內容過於簡略，請補充處理經過", "未確認來電者身分即處理"}
)

// proofPDF is the proof document of every demo change request: a small,
// valid PDF.
var proofPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// SeedWork gives a demo database the work of a year at its size: phone
// cases, change requests (with their proof), deregistrations, supervisors'
// samples with open items, and an audit log of auditEvents events (the
// work's own events among them) with a valid chain. The rows are those the
// store's actions write (states, versions, the units' addresses an approved
// change applied, the accounts and clerks an approved deregistration
// ended; no notices or mail), inserted in bulk; the events go through
// models.ImportAuditEvents, oldest first. It seeds once: a database that
// has any phone case is left as it is.
func SeedWork(ctx context.Context, s *models.Store, auditEvents int) (*WorkResult, error) {
	res := &WorkResult{}
	if n, err := s.DB.NewSelect().Table("cases").Count(ctx); err != nil || n > 0 {
		return res, err
	}
	ws := workStaff{}
	var staff []models.Staff
	if err := s.DB.NewSelect().Model(&staff).Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo: work: staff: %w", err)
	}
	for _, st := range staff {
		ws[st.Username] = st
	}
	for _, names := range branchStaff {
		for _, n := range names {
			if _, ok := ws[n]; !ok {
				return nil, fmt.Errorf("demo: work: staff %s missing (run Seed first)", n)
			}
		}
	}
	var all []workUnit
	err := s.DB.NewSelect().TableExpr("units AS u").
		ColumnExpr("u.id, u.code, u.name, u.branch_code, u.reg_county, u.reg_township, u.reg_village, u.reg_neighborhood, u.reg_street").
		ColumnExpr("a.id AS account_id, a.reg_type").
		ColumnExpr("(SELECT MIN(c.id) FROM clerks AS c WHERE c.unit_id = u.id AND c.status = 'active') AS clerk_id").
		Join("LEFT JOIN unit_accounts AS a ON a.unit_id = u.id AND a.status = 'active'").
		Where("u.status = ?", models.UnitActive).OrderExpr("u.id").Scan(ctx, &all)
	if err != nil {
		return nil, fmt.Errorf("demo: work: units: %w", err)
	}
	var clerks []struct {
		ID      int64  `bun:"id"`
		Name    string `bun:"name"`
		MayFile bool   `bun:"may_file"`
	}
	if err := s.DB.NewSelect().Table("clerks").Column("id", "name", "may_file").Where("status = 'active'").Scan(ctx, &clerks); err != nil {
		return nil, fmt.Errorf("demo: work: clerks: %w", err)
	}
	clerkByID := make(map[int64]int, len(clerks))
	for i, c := range clerks {
		clerkByID[c.ID] = i
	}
	for i := range all {
		if all[i].ClerkID != nil {
			c := clerks[clerkByID[*all[i].ClerkID]]
			all[i].ClerkName = &c.Name
			all[i].ClerkRole = models.RoleClerk
			if c.MayFile {
				all[i].ClerkRole = models.RoleClerkFiler
			}
		}
	}
	var units []workUnit // those that get work: registered, past the named ones
	for i, u := range all {
		if i >= workSkip && u.AccountID != nil {
			units = append(units, u)
		}
	}
	if len(units) == 0 {
		return res, nil
	}
	total, err := s.DB.NewSelect().Table("units").Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: work: units: %w", err)
	}
	n := int(total)
	scale := func(per100k int) int { return (n*per100k + 99_999) / 100_000 }
	if auditEvents < 0 {
		auditEvents = AuditEventsPerUnit * n
	}

	now := s.Timestamp()
	end := now.Add(-time.Hour)              // the history ends an hour ago
	start := end.Add(-365 * 24 * time.Hour) // and covers a year
	w := &workGen{s: s, ws: ws, now: now, start: start, end: end}

	// One permutation of the units: change requests take the first ones,
	// deregistrations the next, so that each unit has at most one of each.
	perm := random(90_000_001).Perm(len(units))
	nChanges, nDeregs := min(scale(workChanges), len(units)), scale(workDeregs)
	nDeregs = min(nDeregs, len(units)-nChanges)

	if err := w.cases(ctx, units, scale(workCases), scale(workOpenCases), res); err != nil {
		return nil, err
	}
	if err := w.changes(ctx, units, perm[:nChanges], scale(workPendingRevs), res); err != nil {
		return nil, err
	}
	if err := w.deregistrations(ctx, units, perm[nChanges:nChanges+nDeregs], scale(workPendingDereg), res); err != nil {
		return nil, err
	}
	if err := w.history(ctx, all, auditEvents, res); err != nil {
		return nil, err
	}
	if err := w.samples(ctx, res); err != nil {
		return nil, err
	}
	err = s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.Audit(ctx, tx, models.SystemActor, models.Change{Action: "demo.seed", ObjectType: "demo", ObjectID: "work",
			After: res})
	})
	res.AuditEvents++
	return res, err
}

// workGen generates the work of the demo's year.
type workGen struct {
	s               *models.Store
	ws              workStaff
	now, start, end time.Time
	events          []models.AuditEntry // the work's events, oldest first once sorted
}

// at is a random moment of the year, or of its last days when recent.
func (w *workGen) at(r *rand.Rand, withinDays int) time.Time {
	from := w.start
	if withinDays > 0 {
		from = w.end.Add(-time.Duration(withinDays) * 24 * time.Hour)
	}
	return w.clip(from.Add(time.Duration(r.Int64N(int64(w.end.Sub(from))))))
}

// clip keeps t within the history, at the rows' precision.
func (w *workGen) clip(t time.Time) time.Time {
	if t.After(w.end) {
		t = w.end
	}
	return t.UTC().Truncate(time.Microsecond)
}

func (w *workGen) event(at time.Time, a models.Actor, ch models.Change) {
	w.events = append(w.events, models.AuditEntry{At: at, Actor: a, Change: ch})
}

func clientIP(r *rand.Rand) string {
	return fmt.Sprintf("10.%d.%d.%d", 1+r.IntN(200), r.IntN(256), 1+r.IntN(254))
}

func unitActor(u *workUnit, r *rand.Rand) models.Actor {
	return models.Actor{Kind: "unit", ID: *u.AccountID, Name: u.Name, Role: models.RoleUnitOwner, UnitID: u.ID, IP: clientIP(r)}
}

// cases: n phone cases over the year, the open ones (open and waiting,
// two to one) of the past month; nine in ten about an identified unit.
func (w *workGen) cases(ctx context.Context, units []workUnit, n, open int, res *WorkResult) error {
	cs := make([]models.Case, n)
	for k := range cs {
		r := random(k + 20_000_003)
		c := &cs[k]
		var u *workUnit
		if r.IntN(10) != 0 {
			u = &units[r.IntN(len(units))]
			c.BranchCode, c.UnitID, c.CallerRef = u.Branch, &u.ID, u.Code
		} else {
			c.BranchCode = pick(r, branchMix)
		}
		names := branchStaff[c.BranchCode]
		opener := w.ws[names[r.IntN(2)]]
		c.CallerName, c.CallerPhone = fullName(r), fmt.Sprintf("09%02d-%03d-%03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
		c.Topic, c.Notes = pick(r, caseTopics), pick(r, caseNotes)
		c.OpenedBy, c.Version, c.Status = opener.ID, 1, models.CaseOpen
		if k < open {
			c.OpenedAt = w.at(r, 30)
			if r.IntN(2) == 0 {
				c.AssignedTo = &opener.ID
			}
		} else {
			c.OpenedAt = w.at(r, 0)
			c.AssignedTo = &opener.ID
		}
		c.UpdatedAt = c.OpenedAt
		switch {
		case k < open && k%3 == 2:
			c.Status, c.Version = models.CaseWaiting, 2
			c.UpdatedAt = w.clip(c.OpenedAt.Add(time.Duration(10+r.IntN(600)) * time.Minute))
		case k >= open:
			c.Status, c.Version, c.Resolution = models.CaseResolved, 2, pick(r, resolutions)
			t := w.clip(c.OpenedAt.Add(time.Duration(5+r.IntN(5*24*60)) * time.Minute))
			c.UpdatedAt, c.ResolvedAt = t, &t
		}
	}
	if err := w.insert(ctx, "cases", len(cs), func(tx bun.Tx, i, j int) error {
		part := cs[i:j]
		_, err := tx.NewInsert().Model(&part).Exec(ctx)
		return err
	}); err != nil {
		return err
	}
	for k := range cs {
		c := &cs[k]
		if c.ID == 0 {
			return fmt.Errorf("demo: work: cases: no id returned")
		}
		r := random(k + 21_000_003)
		var opener models.Staff
		for _, st := range w.ws {
			if st.ID == c.OpenedBy {
				opener = st
			}
		}
		a := w.ws.actor(opener.Username)
		a.IP = clientIP(r)
		unitID := int64(0)
		if c.UnitID != nil {
			unitID = *c.UnitID
		}
		w.event(c.OpenedAt, a, models.Change{Action: "case.open", UnitID: unitID, Branch: c.BranchCode, ObjectType: "case", ObjectID: fmt.Sprint(c.ID),
			After: map[string]any{"caller_name": c.CallerName, "caller_phone": c.CallerPhone, "caller_ref": c.CallerRef,
				"topic": c.Topic, "status": models.CaseOpen, "assigned_to": c.AssignedTo, "unit_id": c.UnitID}})
		switch c.Status {
		case models.CaseWaiting:
			w.event(c.UpdatedAt, a, models.Change{Action: "case.status", UnitID: unitID, Branch: c.BranchCode, ObjectType: "case",
				ObjectID: fmt.Sprint(c.ID), Before: map[string]any{"status": models.CaseOpen}, After: map[string]any{"status": models.CaseWaiting}})
		case models.CaseResolved:
			w.event(*c.ResolvedAt, a, models.Change{Action: "case.resolve", UnitID: unitID, Branch: c.BranchCode, ObjectType: "case",
				ObjectID: fmt.Sprint(c.ID), Before: map[string]any{"status": models.CaseOpen},
				After: map[string]any{"status": models.CaseResolved, "resolution": c.Resolution,
					"waited_seconds": int64(c.ResolvedAt.Sub(c.OpenedAt).Seconds())}})
		}
		res.Cases++
		if c.Status != models.CaseResolved {
			res.OpenCases++
		}
	}
	return nil
}

// changes: change requests of registered addresses by the units at idx,
// the first pending ones of the past three weeks; of the others seven in
// ten approved (and applied: effective on the day of the decision), the
// rest rejected or cancelled by the unit.
func (w *workGen) changes(ctx context.Context, units []workUnit, idx []int, pending int, res *WorkResult) error {
	reqs := make([]models.ChangeRequest, len(idx))
	type applied struct {
		unit int
		at   time.Time
		reg  models.Address
	}
	var apply []applied
	for k, ui := range idx {
		r := random(k + 30_000_003)
		u := &units[ui]
		req := &reqs[k]
		before, _ := json.Marshal(struct {
			Name string         `json:"name"`
			Reg  models.Address `json:"reg"`
		}{u.Name, u.Reg})
		newReg, _ := address(r, u.Branch)
		for newReg == u.Reg {
			newReg, _ = address(r, u.Branch)
		}
		*req = models.ChangeRequest{UnitID: u.ID, Kind: models.KindWithProof, ChangeReg: true, NewReg: newReg,
			BeforeJSON: string(before), ContactName: fullName(r), ContactPhone: fmt.Sprintf("09%02d-%03d-%03d", r.IntN(100), r.IntN(1000), r.IntN(1000)),
			Status: models.RequestPending, SubmittedBy: u.Name, Version: 1}
		if k < pending {
			req.SubmittedAt = w.at(r, 21)
			req.EffectiveDate = date(req.SubmittedAt.In(models.Taipei()).AddDate(0, 0, r.IntN(30)))
			continue
		}
		req.SubmittedAt = w.at(r, 0)
		decided := w.clip(req.SubmittedAt.Add(time.Duration(60+r.IntN(10*24*60)) * time.Minute))
		switch v := r.IntN(20); {
		case v < 14:
			req.Status, req.DecidedAt, req.AppliedAt, req.Version = models.RequestApproved, &decided, &decided, 2
			apply = append(apply, applied{ui, decided, newReg})
		case v < 17:
			req.Status, req.DecidedAt, req.Version, req.DecisionReason = models.RequestRejected, &decided, 2, pick(r, rejectWhy)
		default:
			req.Status, req.CancelledAt, req.Version = models.RequestCancelled, &decided, 2
		}
		req.EffectiveDate = date(decided.In(models.Taipei()))
		if req.DecidedAt != nil {
			id := w.ws[branchStaff[u.Branch][0]].ID
			req.DecidedBy = &id
		}
	}
	sum := sha256.Sum256(proofPDF)
	err := w.insert(ctx, "change requests", len(reqs), func(tx bun.Tx, i, j int) error {
		part := reqs[i:j]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return err
		}
		docs := make([]models.ChangeDocument, len(part))
		for k := range part {
			docs[k] = models.ChangeDocument{RequestID: part[k].ID, Slot: 1, FileName: "變更登記表.pdf", ContentType: "application/pdf",
				Size: int64(len(proofPDF)), SHA256: hex.EncodeToString(sum[:]), Data: proofPDF, CreatedAt: part[k].SubmittedAt}
		}
		_, err := tx.NewInsert().Model(&docs).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	// The approved changes are in the units, as applyChange writes them.
	err = w.insert(ctx, "applied changes", len(apply), func(tx bun.Tx, i, j int) error {
		for _, ap := range apply[i:j] {
			reg := ap.reg
			if _, err := tx.NewUpdate().Table("units").Set("updated_at = ?, version = version + 1", ap.at).
				Set("reg_county = ?, reg_township = ?, reg_village = ?, reg_neighborhood = ?, reg_street = ?",
					reg.County, reg.Township, reg.Village, reg.Neighborhood, reg.Street).
				Where("id = ?", units[ap.unit].ID).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, ui := range idx {
		req, u := &reqs[k], &units[ui]
		r := random(k + 31_000_003)
		id := fmt.Sprint(req.ID)
		w.event(req.SubmittedAt, unitActor(u, r), models.Change{Action: "change_request.submit", UnitID: u.ID, Branch: u.Branch,
			ObjectType: "change_request", ObjectID: id, Before: map[string]any{"name": u.Name, "reg": u.Reg.String()},
			After: map[string]any{"effective_date": req.EffectiveDate, "contact": req.ContactName, "reg": req.NewReg.String(),
				"documents": []map[string]any{{"slot": 1, "name": "變更登記表.pdf", "type": "application/pdf", "size": len(proofPDF), "sha256": hex.EncodeToString(sum[:])}}}})
		switch req.Status {
		case models.RequestCancelled:
			w.event(*req.CancelledAt, unitActor(u, r), models.Change{Action: "change_request.cancel", UnitID: u.ID, ObjectType: "change_request",
				ObjectID: id, Before: map[string]string{"status": models.RequestPending}, After: map[string]string{"status": models.RequestCancelled}})
		case models.RequestApproved, models.RequestRejected:
			a := w.ws.actor(branchStaff[u.Branch][0])
			a.IP = clientIP(r)
			action := "change_request.approve"
			if req.Status == models.RequestRejected {
				action = "change_request.reject"
			}
			w.event(*req.DecidedAt, a, models.Change{Action: action, UnitID: u.ID, Branch: u.Branch, ObjectType: "change_request", ObjectID: id,
				Before: map[string]string{"status": models.RequestPending}, Reason: req.DecisionReason,
				After: map[string]any{"status": req.Status, "waited_seconds": int64(req.DecidedAt.Sub(req.SubmittedAt).Seconds()), "effective_date": req.EffectiveDate}})
			if req.Status == models.RequestApproved {
				w.event(*req.DecidedAt, a, models.Change{Action: "change_request.apply", UnitID: u.ID, Branch: u.Branch, ObjectType: "change_request",
					ObjectID: id, Before: map[string]any{"reg": u.Reg.String()}, After: map[string]any{"reg": req.NewReg.String()}})
			}
		}
		res.ChangeRequests++
		if req.Status == models.RequestPending {
			res.PendingReviews++
		}
	}
	return nil
}

// deregistrations: requests of the branch's officer to deregister the
// accounts of the units at idx, the first pending ones of the past two
// weeks; the supervisor approved four in five of the others, which ended
// the account and its clerks.
func (w *workGen) deregistrations(ctx context.Context, units []workUnit, idx []int, pending int, res *WorkResult) error {
	ds := make([]models.Deregistration, len(idx))
	revoked := make([]int64, len(idx))
	for k, ui := range idx {
		r := random(k + 40_000_003)
		u := &units[ui]
		names := branchStaff[u.Branch]
		d := &ds[k]
		*d = models.Deregistration{UnitID: u.ID, AccountID: *u.AccountID, Reason: pick(r, deregWhy), RequestedBy: w.ws[names[0]].ID,
			Status: models.DeregPending, Version: 1}
		if k < pending {
			d.RequestedAt = w.at(r, 14)
			continue
		}
		d.RequestedAt = w.at(r, 0)
		t := w.clip(d.RequestedAt.Add(time.Duration(30+r.IntN(5*24*60)) * time.Minute))
		sup := w.ws[names[1]].ID
		d.DecidedAt, d.DecidedBy, d.Version, d.Status = &t, &sup, 2, models.DeregApproved
		if r.IntN(5) == 0 {
			d.Status, d.DecisionNote = models.DeregRejected, pick(r, deregReject)
		}
	}
	err := w.insert(ctx, "deregistrations", len(ds), func(tx bun.Tx, i, j int) error {
		part := ds[i:j]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return err
		}
		for k := range part {
			d := &part[k]
			if d.Status != models.DeregApproved {
				continue
			}
			if _, err := tx.NewUpdate().Table("unit_accounts").Set("status = ?, deregistered_at = ?, version = version + 1", models.AccountDeregistered, *d.DecidedAt).
				Where("id = ?", d.AccountID).Exec(ctx); err != nil {
				return err
			}
			r, err := tx.NewUpdate().Table("clerks").Set("status = ?, revoked_at = ?, revoked_by = ?, version = version + 1", models.ClerkRevoked, *d.DecidedAt, "本署註銷帳號").
				Where("unit_id = ? AND status = ?", d.UnitID, models.ClerkActive).Exec(ctx)
			if err != nil {
				return err
			}
			revoked[i+k], _ = r.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, ui := range idx {
		d, u := &ds[k], &units[ui]
		r := random(k + 41_000_003)
		names := branchStaff[u.Branch]
		a := w.ws.actor(names[0])
		a.IP = clientIP(r)
		w.event(d.RequestedAt, a, models.Change{Action: "deregistration.request", UnitID: u.ID, Branch: u.Branch,
			ObjectType: "deregistration", ObjectID: fmt.Sprint(d.ID), Reason: d.Reason,
			After: map[string]any{"account_id": d.AccountID, "reg_type": *u.RegType}})
		res.Deregistrations++
		if d.Status == models.DeregPending {
			res.PendingDeregistrations++
			continue
		}
		sup := w.ws.actor(names[1])
		sup.IP = clientIP(r)
		after := map[string]any{"waited_seconds": int64(d.DecidedAt.Sub(d.RequestedAt).Seconds()), "status": d.Status}
		action := "deregistration.reject"
		if d.Status == models.DeregApproved {
			action = "deregistration.approve"
			after["account_status"], after["clerks_revoked"], after["sessions_ended"] = models.AccountDeregistered, revoked[k], 0
		}
		w.event(*d.DecidedAt, sup, models.Change{Action: action, UnitID: u.ID, Branch: u.Branch, ObjectType: "deregistration",
			ObjectID: fmt.Sprint(d.ID), Before: map[string]string{"status": models.DeregPending}, After: after, Reason: d.DecisionNote})
	}
	return nil
}

// history writes the audit log of the year: the work's events merged, in
// time order, with the everyday ones (unit and clerk logins, staff
// logins) spread evenly over the year, total events in all.
func (w *workGen) history(ctx context.Context, units []workUnit, total int, res *WorkResult) error {
	slices.SortStableFunc(w.events, func(a, b models.AuditEntry) int { return a.At.Compare(b.At) })
	filler := max(total-len(w.events), 0)
	var logins []int // units that can log in
	for i, u := range units {
		if u.AccountID != nil {
			logins = append(logins, i)
		}
	}
	staffNames := make([]string, 0, len(w.ws))
	for name := range w.ws {
		staffNames = append(staffNames, name)
	}
	slices.Sort(staffNames)
	span := w.end.Sub(w.start)
	everyday := func(k int) models.AuditEntry {
		r := random(k + 60_000_003)
		at := w.start.Add(time.Duration(float64(span) * (float64(k) + 0.5) / float64(filler))).Truncate(time.Microsecond)
		if v := r.IntN(100); v < 4 || len(logins) == 0 {
			a := w.ws.actor(staffNames[r.IntN(len(staffNames))])
			a.IP = clientIP(r)
			return models.AuditEntry{At: at, Actor: a, Change: models.Change{Action: "staff.login", ObjectType: "staff",
				ObjectID: fmt.Sprint(a.ID), Branch: a.Branch}}
		} else if u := &units[logins[r.IntN(len(logins))]]; v < 60 || u.ClerkID == nil {
			reason := "負責人健保卡"
			if *u.RegType == models.RegBusinessCert {
				reason = "工商憑證 " + fmt.Sprintf("%032x", uint64(u.ID)*0x9e3779b97f4a7c15)
			}
			return models.AuditEntry{At: at, Actor: unitActor(u, r), Change: models.Change{Action: "unit.login", UnitID: u.ID, Branch: u.Branch,
				ObjectType: "unit_account", ObjectID: fmt.Sprint(*u.AccountID), Reason: reason}}
		} else {
			a := models.Actor{Kind: "clerk", ID: *u.ClerkID, Name: *u.ClerkName, Role: u.ClerkRole, UnitID: u.ID, IP: clientIP(r)}
			return models.AuditEntry{At: at, Actor: a, Change: models.Change{Action: "clerk.login", UnitID: u.ID, Branch: u.Branch,
				ObjectType: "clerk", ObjectID: fmt.Sprint(*u.ClerkID), Reason: "健保卡"}}
		}
	}
	const batch = 2000
	buf := make([]models.AuditEntry, 0, batch)
	flush := func() error {
		err := w.s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := models.ImportAuditEvents(ctx, tx, buf)
			return err
		})
		res.AuditEvents += len(buf)
		buf = buf[:0]
		return err
	}
	k, e := 0, 0
	for k < filler || e < len(w.events) {
		if e < len(w.events) && (k >= filler || !everyday(k).At.Before(w.events[e].At)) {
			buf = append(buf, w.events[e])
			e++
		} else {
			buf = append(buf, everyday(k))
			k++
		}
		if len(buf) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	w.events = nil
	return flush()
}

// samples: each branch's supervisor and head office drew a sample of 20
// decisions of the past week in the last hour and judged part of it.
func (w *workGen) samples(ctx context.Context, res *WorkResult) error {
	drawers := []struct{ user, branch string }{{"hq.super", ""}}
	for _, b := range []string{"1", "2", "3", "4", "5", "6"} {
		drawers = append(drawers, struct{ user, branch string }{branchStaff[b][1], b})
	}
	for k, d := range drawers {
		r := random(k + 70_000_003)
		a := w.ws.actor(d.user)
		a.IP = clientIP(r)
		drawn := w.end.Add(time.Duration(5+k*5) * time.Minute).Truncate(time.Microsecond)
		sc := models.ScopeAll
		if d.branch != "" {
			sc = models.BranchScope(&d.branch)
		}
		err := w.s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			ids, err := models.UnsampledDecisions(ctx, tx, sc, a.ID, drawn)
			if err != nil || len(ids) == 0 {
				return err
			}
			r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			picked := slices.Clone(ids[:min(20, len(ids))])
			slices.Sort(picked)
			smp := &models.Sample{DrawnBy: a.ID, DrawnAt: drawn, Size: len(picked)}
			if d.branch != "" {
				b := d.branch
				smp.BranchCode = &b
			}
			if _, err := tx.NewInsert().Model(smp).Exec(ctx); err != nil {
				return err
			}
			items := make([]models.SampleItem, len(picked))
			for i, id := range picked {
				items[i] = models.SampleItem{SampleID: smp.ID, AuditEventID: id}
			}
			// The first third judged within minutes of the draw, one of
			// them with a concern; the rest wait.
			entries := []models.AuditEntry{{At: drawn, Actor: a, Change: models.Change{Action: "sample.draw", Branch: d.branch, ObjectType: "sample",
				ObjectID: fmt.Sprint(smp.ID), After: map[string]any{"size": len(picked), "requested": 20, "audit_event_ids": picked,
					"window_days": int(models.SampleWindow / (24 * time.Hour))}}}}
			judged := len(items) / 3
			for i := 0; i < judged; i++ {
				t := drawn.Add(time.Duration(i+1) * time.Minute)
				v, note := models.VerdictOK, ""
				if i == 0 {
					v, note = models.VerdictConcern, pick(r, concernNotes)
				}
				items[i].Verdict, items[i].Note, items[i].DecidedBy, items[i].DecidedAt = &v, note, &a.ID, &t
			}
			if _, err := tx.NewInsert().Model(&items).Exec(ctx); err != nil {
				return err
			}
			for i := 0; i < judged; i++ {
				it := &items[i]
				entries = append(entries, models.AuditEntry{At: *it.DecidedAt, Actor: a, Change: models.Change{Action: "sample.verdict",
					Branch: d.branch, ObjectType: "sample_item", ObjectID: fmt.Sprint(it.ID), Reason: it.Note,
					After: map[string]any{"sample_id": smp.ID, "audit_event_id": it.AuditEventID, "verdict": *it.Verdict, "note": it.Note}}})
			}
			if _, err := models.ImportAuditEvents(ctx, tx, entries); err != nil {
				return err
			}
			res.Samples++
			res.SampleItems += len(items)
			res.OpenSampleItems += len(items) - judged
			res.AuditEvents += len(entries)
			return nil
		})
		if err != nil {
			return fmt.Errorf("demo: work: sample of %s: %w", d.user, err)
		}
	}
	return nil
}

// insert runs fn over [0, n) in slices of 1,000 rows, a transaction each.
func (w *workGen) insert(ctx context.Context, what string, n int, fn func(tx bun.Tx, i, j int) error) error {
	for i := 0; i < n; i += 1000 {
		j := min(i+1000, n)
		if err := w.s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error { return fn(tx, i, j) }); err != nil {
			return fmt.Errorf("demo: work: %s: %w", what, err)
		}
	}
	return nil
}
