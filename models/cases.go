package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/twid"
)

// Phone support cases (電話服務案件): the work behind the Q&A sheet's
// "請電洽本組承辦人". A case belongs to a branch; its unit may not be known
// yet when the caller has not been identified.

// Case statuses: open ⇄ waiting (for the unit) → resolved, which is final.
const (
	CaseOpen     = "open"
	CaseWaiting  = "waiting"
	CaseResolved = "resolved"
)

// Limits of the free-text fields of a case.
const (
	maxCaseText  = input.MaxNote
	maxCallerRef = 100
)

// Case is a phone support case. The scanonly fields are filled by CaseByID
// and CasesQueue from the joined tables.
type Case struct {
	bun.BaseModel `bun:"table:cases,alias:c"`
	ID            int64      `bun:"id,pk,autoincrement"`
	BranchCode    string     `bun:"branch_code"`
	UnitID        *int64     `bun:"unit_id"`
	CallerName    string     `bun:"caller_name"`
	CallerPhone   string     `bun:"caller_phone"`
	CallerRef     string     `bun:"caller_ref"` // what the caller said: unit code, 統一編號 or name
	Topic         string     `bun:"topic"`
	Notes         string     `bun:"notes"` // what the call was about, as first written down
	Status        string     `bun:"status"`
	Resolution    string     `bun:"resolution"`
	OpenedBy      int64      `bun:"opened_by"`
	AssignedTo    *int64     `bun:"assigned_to"`
	OpenedAt      time.Time  `bun:"opened_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
	ResolvedAt    *time.Time `bun:"resolved_at"`
	Version       int64      `bun:"version"`

	BranchName   string  `bun:"branch_name,scanonly"`
	UnitCode     *string `bun:"unit_code,scanonly"`
	UnitName     *string `bun:"unit_name,scanonly"`
	OpenerName   string  `bun:"opener_name,scanonly"`
	AssigneeName *string `bun:"assignee_name,scanonly"`

	// Age is how long the case has been open (until now, or until it was
	// resolved), set by CasesQueue and CaseByID's callers through AgeAt.
	Age   time.Duration `bun:"-"`
	Trail []CaseNote    `bun:"-"` // the notes, oldest first (CaseByID)
}

// TopicInfo returns the case's topic with the Q&A sheet's answer.
func (c *Case) TopicInfo() CaseTopic {
	t, _ := CaseTopicByCode(c.Topic)
	return t
}

// AgeAt is how long the case has waited at now; a resolved case stops at
// its resolution.
func (c *Case) AgeAt(now time.Time) time.Duration {
	end := now
	if c.ResolvedAt != nil {
		end = *c.ResolvedAt
	}
	if d := end.Sub(c.OpenedAt); d > 0 {
		return d
	}
	return 0
}

// CaseNote is one entry of a case's notes trail.
type CaseNote struct {
	bun.BaseModel `bun:"table:case_notes,alias:n"`
	ID            int64     `bun:"id,pk,autoincrement"`
	CaseID        int64     `bun:"case_id"`
	StaffID       int64     `bun:"staff_id"`
	At            time.Time `bun:"at"`
	Text          string    `bun:"text"`

	StaffName string `bun:"staff_name,scanonly"`
}

// cases restricts a query on cases (aliased alias) to the scope: a branch,
// or all for head office. Units see no cases.
func (sc Scope) cases(q *bun.SelectQuery, alias string) *bun.SelectQuery {
	switch {
	case sc.UnitID != 0:
		return q.Where("1 = 0")
	case sc.All:
		return q
	case sc.Branch != "":
		return q.Where(alias+".branch_code = ?", sc.Branch)
	default:
		return q.Where("1 = 0")
	}
}

// CaseInput is a case as the officer opens it.
type CaseInput struct {
	UnitID      int64  // the unit, when the case is opened from its page
	Branch      string // head office: the branch of a case whose unit is not identified
	CallerName  string
	CallerPhone string
	CallerRef   string // what the caller said: unit code, 統一編號 or name
	Topic       string
	Notes       string
	AssignToMe  bool // the officer who answers handles the case
}

// Validate checks the input and says what is wrong per field.
func (in *CaseInput) Validate() error {
	in.CallerName, in.CallerPhone = strings.TrimSpace(in.CallerName), strings.TrimSpace(in.CallerPhone)
	in.CallerRef, in.Notes = strings.TrimSpace(in.CallerRef), strings.TrimSpace(in.Notes)
	f := fieldErrors{}
	f.name("caller_name", "來電者姓名", in.CallerName, input.MaxPersonName)
	f.phone("caller_phone", "來電者電話", in.CallerPhone, true)
	if utf8.RuneCountInString(in.CallerRef) > maxCallerRef || strings.ContainsRune(in.CallerRef, 0) {
		f["caller_ref"] = fmt.Sprintf("投保單位代號、統一編號或名稱最多 %d 個字。", maxCallerRef)
	}
	if _, ok := CaseTopicByCode(in.Topic); !ok {
		f["topic"] = "請選擇問題類別。"
	}
	f.longText("notes", "來電內容", in.Notes, false)
	return f.err("案件資料有誤，請依欄位旁的說明修正。")
}

// longText checks a free-text field of at most maxCaseText characters.
// Unlike names, notes may contain line breaks and tabs: templates escape them.
func (f fieldErrors) longText(field, label, v string, required bool) {
	switch {
	case v == "" && required:
		f[field] = "請輸入" + label + "。"
	case input.Text(label, v, maxCaseText) != "":
		f[field] = input.Text(label, v, maxCaseText)
	}
}

// staffActor refuses actors that are not bureau staff: cases name their
// officers by staff id.
func staffActor(a Actor) error {
	if a.Kind != "staff" || a.ID == 0 {
		return apperr.New(apperr.Forbidden, "只有署內人員可以處理電話服務案件。")
	}
	return nil
}

// mayHandleCases reports whether a role may be a case's officer.
func mayHandleCases(role string) bool { return role == RoleStaff || role == RoleSupervisor }

// OpenCase records a call. The case belongs to the unit's branch when the
// unit is known (given, or found from the caller's unit code or 統一編號
// within the scope), otherwise to the officer's own branch; head-office
// staff pick the branch.
func (s *Store) OpenCase(ctx context.Context, a Actor, sc Scope, in CaseInput) (*Case, error) {
	if err := staffActor(a); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var c *Case
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		var u *Unit
		var err error
		switch {
		case in.UnitID != 0:
			if u, err = UnitByID(ctx, tx, sc, in.UnitID); err != nil {
				return err
			}
		case in.CallerRef != "":
			if u, err = unitFromCallerRef(ctx, tx, sc, in.CallerRef); err != nil {
				return err
			}
		}
		c = &Case{CallerName: in.CallerName, CallerPhone: in.CallerPhone, CallerRef: in.CallerRef, Topic: in.Topic,
			Notes: in.Notes, Status: CaseOpen, OpenedBy: a.ID, OpenedAt: now, UpdatedAt: now, Version: 1}
		switch {
		case u != nil:
			c.BranchCode, c.UnitID = u.BranchCode, &u.ID
			if c.CallerRef == "" {
				c.CallerRef = u.Code
			}
		case sc.All:
			if _, ok := BranchNames[in.Branch]; !ok {
				return apperr.InvalidFields("請選擇此案件所屬的業務組。", map[string]string{"branch": "請選擇此案件所屬的業務組（未能辨識投保單位時必填）。"})
			}
			c.BranchCode = in.Branch
		case sc.Branch != "":
			c.BranchCode = sc.Branch
		default:
			return apperr.New(apperr.Forbidden, "只有署內人員可以處理電話服務案件。")
		}
		if in.AssignToMe {
			if a.Branch != c.BranchCode || !mayHandleCases(a.Role) {
				return apperr.InvalidFields("您無法承辦此業務組的案件。", map[string]string{"assign_me": "您不屬於" + BranchNames[c.BranchCode] + "，無法由您承辦；請開立後指派給該業務組的同仁。"})
			}
			c.AssignedTo = &a.ID
		}
		// The same call recorded twice (a double submit): the first case.
		var prev int64
		err = tx.NewSelect().Table("cases").Column("id").
			Where("opened_by = ? AND branch_code = ? AND caller_name = ? AND caller_phone = ? AND caller_ref = ? AND topic = ? AND notes = ? AND opened_at >= ?",
				a.ID, c.BranchCode, c.CallerName, c.CallerPhone, c.CallerRef, c.Topic, c.Notes, now.Add(-RepeatWindow)).
			Order("id DESC").Limit(1).Scan(ctx, &prev)
		if err == nil {
			return &Repeated{What: "case", ID: prev}
		}
		if !isNoRows(err) {
			return fmt.Errorf("models: open case: %w", err)
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("models: open case: %w", err)
		}
		ch := Change{Action: "case.open", Branch: c.BranchCode, ObjectType: "case", ObjectID: fmt.Sprint(c.ID),
			After: map[string]any{"caller_name": c.CallerName, "caller_phone": c.CallerPhone, "caller_ref": c.CallerRef,
				"topic": c.Topic, "status": c.Status, "assigned_to": c.AssignedTo, "unit_id": c.UnitID}}
		if u != nil {
			ch.UnitID = u.ID
		}
		return audit(ctx, tx, now, a, ch)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// unitFromCallerRef finds the unit a caller named by its unit code or
// 統一編號, within the scope. A name, an unknown number or a 統一編號 shared
// by several units leaves the case without a unit (nil, nil).
func unitFromCallerRef(ctx context.Context, db bun.IDB, sc Scope, ref string) (*Unit, error) {
	ref = twid.Normalize(ref)
	q := db.NewSelect().TableExpr("units AS u").Column("u.id")
	switch QueryKind(ref) {
	case "code":
		q = q.Where("u.code = ?", ref)
	case "ban":
		q = q.Where("u.ban = ?", ref)
	default:
		return nil, nil
	}
	var ids []int64
	if err := sc.units(q, "u").Limit(2).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("models: unit of caller %q: %w", ref, err)
	}
	if len(ids) != 1 {
		return nil, nil
	}
	return UnitByID(ctx, db, sc, ids[0])
}

// AddCaseNote adds a note to the case's trail. A resolved case takes no
// more notes: a new call opens a new case.
func (s *Store) AddCaseNote(ctx context.Context, a Actor, sc Scope, id int64, text string) (*CaseNote, error) {
	if err := staffActor(a); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	f := fieldErrors{}
	f.longText("text", "備註", text, true)
	if err := f.err("備註有誤，請依欄位旁的說明修正。"); err != nil {
		return nil, err
	}
	var n *CaseNote
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		c, err := caseInScope(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		// Touching the row takes its lock, so that a resolution committed
		// meanwhile is seen. Notes do not change the version: they never
		// conflict with a colleague's status change or assignment.
		res, err := tx.NewUpdate().Model((*Case)(nil)).Set("updated_at = ?", now).
			Where("id = ? AND status <> ?", c.ID, CaseResolved).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: note on case %d: %w", id, err)
		}
		if rows, _ := res.RowsAffected(); rows != 1 {
			return apperr.New(apperr.Conflict, "此案件已結案，不能再新增備註；單位如再來電，請開立新案件。")
		}
		var prev int64
		err = tx.NewSelect().Table("case_notes").Column("id").
			Where("case_id = ? AND staff_id = ? AND text = ? AND at >= ?", c.ID, a.ID, text, now.Add(-RepeatWindow)).
			Order("id DESC").Limit(1).Scan(ctx, &prev)
		if err == nil {
			return &Repeated{What: "case_note", ID: prev} // the same note sent twice
		}
		if !isNoRows(err) {
			return fmt.Errorf("models: note on case %d: %w", id, err)
		}
		n = &CaseNote{CaseID: c.ID, StaffID: a.ID, At: now, Text: text}
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return fmt.Errorf("models: note on case %d: %w", id, err)
		}
		return audit(ctx, tx, now, a, Change{Action: "case.note", UnitID: deref64(c.UnitID), Branch: c.BranchCode,
			ObjectType: "case", ObjectID: fmt.Sprint(c.ID), After: map[string]any{"note_id": n.ID, "text": text}})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// caseTransitions are the status changes allowed, from → to.
var caseTransitions = map[string][]string{
	CaseOpen:    {CaseWaiting, CaseResolved},
	CaseWaiting: {CaseOpen, CaseResolved},
}

// SetCaseStatus moves a case: open → waiting (for the unit) → open, and
// open or waiting → resolved with a resolution text; resolved is final.
// version is the case's version the officer saw: a colleague's change in
// between is a Conflict. Resolving is a staff decision ("case.resolve").
func (s *Store) SetCaseStatus(ctx context.Context, a Actor, sc Scope, id, version int64, status, resolution string) error {
	if err := staffActor(a); err != nil {
		return err
	}
	resolution = strings.TrimSpace(resolution)
	switch status {
	case CaseOpen, CaseWaiting:
		resolution = ""
	case CaseResolved:
		f := fieldErrors{}
		f.longText("resolution", "處理結果", resolution, true)
		if err := f.err("請填寫處理結果後再結案。"); err != nil {
			return err
		}
	default:
		return apperr.InvalidFields("案件狀態不正確。", map[string]string{"status": "請選擇案件狀態。"})
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		c, err := caseInScope(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if c.Version != version {
			return caseChanged()
		}
		allowed := false
		for _, to := range caseTransitions[c.Status] {
			allowed = allowed || to == status
		}
		if !allowed {
			if c.Status == CaseResolved {
				return apperr.New(apperr.Conflict, "此案件已結案，狀態不能再變更；單位如再來電，請開立新案件。")
			}
			return apperr.Newf(apperr.Conflict, "此案件目前已是「%s」。", caseStatusNames[c.Status])
		}
		q := tx.NewUpdate().Model((*Case)(nil)).Set("status = ?, updated_at = ?, version = version + 1", status, now)
		if status == CaseResolved {
			q = q.Set("resolution = ?, resolved_at = ?", resolution, now)
		}
		res, err := q.Where("id = ? AND version = ?", c.ID, version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: status of case %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return caseChanged()
		}
		ch := Change{Action: "case.status", UnitID: deref64(c.UnitID), Branch: c.BranchCode, ObjectType: "case",
			ObjectID: fmt.Sprint(c.ID), Before: map[string]any{"status": c.Status}, After: map[string]any{"status": status}}
		if status == CaseResolved {
			ch.Action = "case.resolve"
			ch.After = map[string]any{"status": status, "resolution": resolution,
				"waited_seconds": int64(now.Sub(c.OpenedAt).Seconds())}
		}
		return audit(ctx, tx, now, a, ch)
	})
}

// caseStatusNames name the statuses in messages.
var caseStatusNames = map[string]string{CaseOpen: "處理中", CaseWaiting: "等候單位回覆", CaseResolved: "已結案"}

func caseChanged() error {
	return apperr.New(apperr.Conflict, "此案件剛被其他同仁更新，您的變更未儲存；請重新整理頁面，確認最新內容後再試一次。")
}

// AssignCase gives the case to a colleague of the case's branch (staff or
// supervisor), or to nobody when staffID is 0. Head office assigns within
// the case's branch too. version is the case's version the officer saw.
func (s *Store) AssignCase(ctx context.Context, a Actor, sc Scope, id, version, staffID int64) error {
	if err := staffActor(a); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		c, err := caseInScope(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if c.Version != version {
			return caseChanged()
		}
		if c.Status == CaseResolved {
			return apperr.New(apperr.Conflict, "此案件已結案，不能再指派。")
		}
		var to *int64
		if staffID != 0 {
			st, err := StaffByID(ctx, tx, staffID)
			if err != nil && !apperr.Is(err, apperr.NotFound) {
				return err
			}
			if err != nil || st.Status != "active" || !mayHandleCases(st.Role) || st.BranchCode == nil || *st.BranchCode != c.BranchCode {
				return apperr.InvalidFields("只能指派給本案業務組的同仁。",
					map[string]string{"assignee": "只能指派給" + BranchNames[c.BranchCode] + "的業務承辦人或主管。"})
			}
			to = &st.ID
		}
		if (to == nil && c.AssignedTo == nil) || (to != nil && c.AssignedTo != nil && *to == *c.AssignedTo) {
			return apperr.InvalidFields("案件已是這樣指派。", map[string]string{"assignee": "案件已指派給這位同仁，請選擇其他人。"})
		}
		res, err := tx.NewUpdate().Model((*Case)(nil)).Set("assigned_to = ?, updated_at = ?, version = version + 1", to, now).
			Where("id = ? AND version = ?", c.ID, version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: assign case %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return caseChanged()
		}
		return audit(ctx, tx, now, a, Change{Action: "case.assign", UnitID: deref64(c.UnitID), Branch: c.BranchCode,
			ObjectType: "case", ObjectID: fmt.Sprint(c.ID), Before: map[string]any{"assigned_to": c.AssignedTo},
			After: map[string]any{"assigned_to": to}})
	})
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// caseInScope loads the bare case row within the scope, or NotFound.
func caseInScope(ctx context.Context, db bun.IDB, sc Scope, id int64) (*Case, error) {
	c := new(Case)
	err := sc.cases(db.NewSelect().Model(c).Where("c.id = ?", id), "c").Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("案件")
	}
	if err != nil {
		return nil, fmt.Errorf("models: case %d: %w", id, err)
	}
	return c, nil
}

// caseSelect selects cases with the names the pages show.
func caseSelect(db bun.IDB, dst any) *bun.SelectQuery {
	return db.NewSelect().Model(dst).
		ColumnExpr("c.*").
		ColumnExpr("b.name AS branch_name").
		ColumnExpr("u.code AS unit_code").
		ColumnExpr("u.name AS unit_name").
		ColumnExpr("o.name AS opener_name").
		ColumnExpr("st.name AS assignee_name").
		Join("JOIN branches AS b ON b.code = c.branch_code").
		Join("LEFT JOIN units AS u ON u.id = c.unit_id").
		Join("JOIN staff AS o ON o.id = c.opened_by").
		Join("LEFT JOIN staff AS st ON st.id = c.assigned_to")
}

// CaseByID returns one case within the scope, with its notes trail; outside
// the scope it answers NotFound, so that a case's existence does not leak.
func CaseByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*Case, error) {
	c := new(Case)
	err := sc.cases(caseSelect(db, c).Where("c.id = ?", id), "c").Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("案件")
	}
	if err != nil {
		return nil, fmt.Errorf("models: case %d: %w", id, err)
	}
	err = db.NewSelect().Model(&c.Trail).ColumnExpr("n.*").ColumnExpr("s.name AS staff_name").
		Join("JOIN staff AS s ON s.id = n.staff_id").
		Where("n.case_id = ?", id).Order("n.at", "n.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: notes of case %d: %w", id, err)
	}
	return c, nil
}

// CaseDomain returns the branch of a case, for authorization, or NotFound.
// It is not scoped: the policy decides what the caller may see.
func CaseDomain(ctx context.Context, db bun.IDB, id int64) (branch string, err error) {
	err = db.NewSelect().Table("cases").Column("branch_code").Where("id = ?", id).Scan(ctx, &branch)
	if isNoRows(err) {
		return "", notFound("案件")
	}
	if err != nil {
		return "", fmt.Errorf("models: case %d: %w", id, err)
	}
	return branch, nil
}

// Queue filters.
const (
	CasesUnresolved = "" // open and waiting: the queue's default
	CasesAll        = "all"

	AssignedAnyone = ""
	AssignedMe     = "me"
	AssignedNobody = "nobody"
)

// CaseFilter is a view of the case queue.
type CaseFilter struct {
	Status   string // CasesUnresolved, CaseOpen, CaseWaiting, CaseResolved or CasesAll
	Topic    string // a topic code, or "" for all
	Assigned string // AssignedAnyone, AssignedMe or AssignedNobody
	Me       int64  // the staff id "me" means
	Branch   string // head office narrowing down to one branch; "" for all in scope
	Q        string // part of the caller's name, phone or words, or the unit's code or name
	Page     int    // 1-based
	PageSize int
	Now      time.Time // for the cases' age; zero means the real clock
}

func (f CaseFilter) query(q *bun.SelectQuery) *bun.SelectQuery {
	switch f.Status {
	case CasesUnresolved:
		q = q.Where("c.status IN (?, ?)", CaseOpen, CaseWaiting)
	case CaseOpen, CaseWaiting, CaseResolved:
		q = q.Where("c.status = ?", f.Status)
	}
	if f.Topic != "" {
		q = q.Where("c.topic = ?", f.Topic)
	}
	switch f.Assigned {
	case AssignedMe:
		q = q.Where("c.assigned_to = ?", f.Me)
	case AssignedNobody:
		q = q.Where("c.assigned_to IS NULL")
	}
	if f.Branch != "" {
		q = q.Where("c.branch_code = ?", f.Branch)
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		like := "%" + escapeLike(s) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("c.caller_name LIKE ? ESCAPE '\\'", like).
				WhereOr("c.caller_phone LIKE ? ESCAPE '\\'", like).
				WhereOr("c.caller_ref LIKE ? ESCAPE '\\'", like).
				WhereOr("u.code = ?", twid.Normalize(s)).
				WhereOr("u.name LIKE ? ESCAPE '\\'", like)
		})
	}
	return q
}

// CasesQueue lists the cases within the scope, oldest first, one page at a
// time, with their age, and the total count.
func CasesQueue(ctx context.Context, db bun.IDB, sc Scope, f CaseFilter) ([]Case, int, error) {
	if f.PageSize <= 0 || f.PageSize > 100 {
		f.PageSize = 20
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.Now.IsZero() {
		f.Now = time.Now()
	}
	// The units are joined for a search only: the queue itself is
	// counted from its index (cases_unresolved, migration 31).
	cq := db.NewSelect().TableExpr("cases AS c")
	if strings.TrimSpace(f.Q) != "" {
		cq = cq.Join("LEFT JOIN units AS u ON u.id = c.unit_id")
	}
	total, err := f.query(sc.cases(cq, "c")).Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("models: case queue: count: %w", err)
	}
	// The page's cases are chosen first, then joined: joined first, every
	// case the filter finds was joined to its unit, branch and staff and
	// sorted whole to show 20 (SQLite's planner sorted head office's 3,000
	// open cases, 9 ms a page, 70 pages a second at national size).
	ids := db.NewSelect().TableExpr("cases AS c").Column("c.id")
	if strings.TrimSpace(f.Q) != "" {
		ids = ids.Join("LEFT JOIN units AS u ON u.id = c.unit_id")
	}
	ids = f.query(sc.cases(ids, "c")).Order("c.opened_at", "c.id").
		Limit(int64(f.PageSize)).Offset(int64((f.Page - 1) * f.PageSize))
	var cs []Case
	err = caseSelect(db, &cs).Where("c.id IN (?)", ids).Order("c.opened_at", "c.id").Scan(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("models: case queue: %w", err)
	}
	for i := range cs {
		cs[i].Age = cs[i].AgeAt(f.Now)
	}
	return cs, int(total), nil
}

// CaseAssignees lists the colleagues a case of the branch may be assigned
// to: active staff and supervisors of that branch, by name.
func CaseAssignees(ctx context.Context, db bun.IDB, branch string) ([]Staff, error) {
	var st []Staff
	err := db.NewSelect().Model(&st).Column("id", "username", "name", "role", "branch_code").
		Where("branch_code = ? AND status = 'active' AND role IN (?, ?)", branch, RoleStaff, RoleSupervisor).
		Order("name", "id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: assignees of branch %s: %w", branch, err)
	}
	return st, nil
}
