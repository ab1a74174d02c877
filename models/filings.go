package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
)

// Filing statuses.
const (
	FilingValidated = "validated" // 審核正確
	FilingError     = "error"
)

// Filing is one enrollment, withdrawal or insured-amount change a unit
// filed (Q10).
type Filing struct {
	bun.BaseModel `bun:"table:filings"`
	ID            int64     `bun:"id,pk,autoincrement"`
	UnitID        int64     `bun:"unit_id"`
	ClerkID       *int64    `bun:"clerk_id"`
	FiledBy       string    `bun:"filed_by"`
	Source        string    `bun:"source"` // web (網路申報) or upload (媒體申報)
	Kind          string    `bun:"kind"`
	Person        string    `bun:"person"`
	Operation     string    `bun:"operation"`
	InsuredID     string    `bun:"insured_id"`
	DependentID   string    `bun:"dependent_id"`
	Name          string    `bun:"name"`
	Sex           string    `bun:"sex"`
	Birth         string    `bun:"birth"`
	Relation      string    `bun:"relation"`
	Reason        string    `bun:"reason"`
	Amount        int       `bun:"amount"`
	PartTime      bool      `bun:"part_time"` // 部分工時: the amount may be a part-time one; only with an amount
	EffectiveDate string    `bun:"effective_date"`
	Category      string    `bun:"category"`
	LegalRep      bool      `bun:"legal_rep"`
	FiledAt       time.Time `bun:"filed_at"`
	FiledOn       string    `bun:"filed_on"`
	Status        string    `bun:"status"`
	Codes         string    `bun:"codes"` // comma-separated error codes
	ValidatedAt   time.Time `bun:"validated_at"`
	BatchOn       string    `bun:"batch_on"`
	// AgeConfirm is why the clerk filed despite code 2 (AgeAdopted,
	// AgeStep, AgeOther), "" when code 2 was not raised.
	AgeConfirm     string `bun:"age_confirm"`
	AgeConfirmNote string `bun:"age_confirm_note"`
	// Voided is FilingCorrected, FilingWithdrawn or FilingDeleted once the
	// filing was corrected or withdrawn; "" while it stands.
	Voided     string    `bun:"voided"`
	VoidedAt   time.Time `bun:"voided_at,nullzero"`
	VoidedBy   string    `bun:"voided_by"`
	VoidReason string    `bun:"void_reason"`
	// CorrectsID is the filing this one corrects (補正), nil for none.
	CorrectsID *int64 `bun:"corrects_id"`
	// CorrectedBy is the filing that corrects this one, read by the
	// queries that list filings; 0 for none.
	CorrectedBy int64 `bun:"corrected_by,scanonly"`
}

// CodeList is Codes as a slice.
func (f *Filing) CodeList() []string {
	if f.Codes == "" {
		return nil
	}
	return strings.Split(f.Codes, ",")
}

// PersonID is who the filing is about: the dependent, or the insured.
func (f *Filing) PersonID() string {
	if f.Person == rules.PersonDependent {
		return f.DependentID
	}
	return f.InsuredID
}

func date(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Rule returns the filing as the rules engine reads it.
func (f *Filing) Rule(unitBranch string) rules.Filing {
	return rules.Filing{Kind: f.Kind, Person: f.Person, Operation: f.Operation, InsuredID: f.InsuredID, DependentID: f.DependentID,
		Name: f.Name, Sex: f.Sex, Birth: date(f.Birth), Relation: f.Relation, Reason: f.Reason, Amount: f.Amount, PartTime: f.PartTime,
		EffectiveDate: date(f.EffectiveDate), Category: f.Category, LegalRepresentative: f.LegalRep, UnitBranch: unitBranch}
}

// filingFromRule copies what was filed. The 部分工時 mark is kept only
// with an amount: on a dependent or a withdrawal it means nothing.
func filingFromRule(r rules.Filing) Filing {
	cat := r.Category
	if cat == "" {
		cat = "1"
	}
	op := r.Operation
	if op == "" {
		op = "health"
	}
	return Filing{Kind: r.Kind, Person: r.Person, Operation: op, InsuredID: r.InsuredID, DependentID: r.DependentID,
		Name: r.Name, Sex: r.Sex, Birth: dateString(r.Birth), Relation: r.Relation, Reason: r.Reason, Amount: r.Amount,
		PartTime: r.PartTime && r.Amount > 0, EffectiveDate: dateString(r.EffectiveDate), Category: cat, LegalRep: r.LegalRepresentative}
}

// gradeTables reads the loaded tables, newest last; the built-in ones
// when none is loaded.
func gradeTables(ctx context.Context, db bun.IDB) ([]rules.GradeTable, error) {
	var rows []GradeTableRow
	if err := db.NewSelect().Model(&rows).Order("effective_date").Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: grade tables: %w", err)
	}
	if len(rows) == 0 {
		return rules.Builtin(), nil
	}
	out := make([]rules.GradeTable, 0, len(rows))
	for _, r := range rows {
		gs, err := rules.ParseTable(r.Grades)
		if err != nil {
			return nil, fmt.Errorf("models: grade table %s: %w", r.EffectiveDate, err)
		}
		pt, err := rules.ParsePartTime(r.PartTime, gs[0])
		if err != nil {
			return nil, fmt.Errorf("models: grade table %s, part-time amounts: %w", r.EffectiveDate, err)
		}
		out = append(out, rules.GradeTable{Effective: date(r.EffectiveDate), Grades: gs, PartTime: pt, Source: r.Source})
	}
	return out, nil
}

// roster is who a unit insures now, for the rules: person → birth.
type roster struct {
	current map[string]coverageRow // person_id → row
	batch   map[string]bool        // insured added earlier in the same submission
}

// coverage is a row of the coverage table.
type coverage struct {
	bun.BaseModel `bun:"table:coverage"`
	ID            int64  `bun:"id,pk,autoincrement"`
	UnitID        int64  `bun:"unit_id"`
	PersonID      string `bun:"person_id"`
	InsuredID     string `bun:"insured_id"`
	Birth         string `bun:"birth"`
	Since         string `bun:"since"`
	AddFilingID   int64  `bun:"add_filing_id"`
}

type coverageRow struct {
	PersonID    string `bun:"person_id"`
	InsuredID   string `bun:"insured_id"`
	Birth       string `bun:"birth"`
	AddFilingID int64  `bun:"add_filing_id"`
}

// loadRosters reads the current coverage of the units.
func loadRosters(ctx context.Context, db bun.IDB, unitIDs []int64) (map[int64]*roster, error) {
	out := make(map[int64]*roster, len(unitIDs))
	for _, id := range unitIDs {
		out[id] = &roster{current: map[string]coverageRow{}, batch: map[string]bool{}}
	}
	if len(unitIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		coverageRow
		UnitID int64 `bun:"unit_id"`
	}
	if err := db.NewSelect().Table("coverage").Column("unit_id", "person_id", "insured_id", "birth", "add_filing_id").
		Where("unit_id IN (?) AND until IS NULL", bun.List(unitIDs)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("models: coverage: %w", err)
	}
	for _, r := range rows {
		out[r.UnitID].current[r.PersonID] = r.coverageRow
	}
	return out, nil
}

// context returns the rules' view of the roster for one filing: the
// filing's own coverage does not count, so a re-validation of an accepted
// enrollment is not a duplicate of itself.
func (r *roster) context(today time.Time, tables []rules.GradeTable, self int64) rules.Context {
	return rules.Context{
		Today:  today,
		Grades: func(on time.Time) *rules.GradeTable { return rules.TableOn(tables, on) },
		Insured: func(id string) bool {
			c, ok := r.current[id]
			return ok && c.AddFilingID != self
		},
		InsuredHasInsured: func(id string) bool {
			c, ok := r.current[id]
			return (ok && c.AddFilingID != self) || r.batch[id]
		},
	}
}

// insuredBirth fills in the insured person's birth date for a dependent.
func (r *roster) insuredBirth(f *rules.Filing) {
	if f.Person == rules.PersonDependent && f.InsuredBirth.IsZero() {
		if c, ok := r.current[f.InsuredID]; ok {
			f.InsuredBirth = date(c.Birth)
		}
	}
}

// note records an accepted filing in the in-memory roster, so later rows
// of the same submission see it. The filing is not stored yet: ref stands
// for its ID (negative, so it is never a re-validation's self).
func (r *roster) note(f *Filing, ref int64) {
	pid := f.PersonID()
	switch f.Kind {
	case rules.KindAdd:
		r.current[pid] = coverageRow{PersonID: pid, InsuredID: f.InsuredID, Birth: f.Birth, AddFilingID: ref}
		if f.Person == rules.PersonInsured {
			r.batch[pid] = true
		}
	case rules.KindWithdraw:
		delete(r.current, pid)
	}
}

// insertChunk bounds the rows of one multi-row INSERT: filings have about
// 30 columns, well inside SQLite's and PostgreSQL's parameter limits.
const insertChunk = 500

// storeFilings inserts accepted filings, many rows per statement, and
// applies them to the coverage table in their order: enrollments are
// inserted in bulk, a withdrawal ends the coverage it names after every
// enrollment before it is in.
func storeFilings(ctx context.Context, tx bun.IDB, unitID int64, fs []Filing) error {
	for lo := 0; lo < len(fs); lo += insertChunk {
		chunk := fs[lo:min(lo+insertChunk, len(fs))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("models: insert filings: %w", err)
		}
	}
	var adds []coverage
	flush := func() error {
		for lo := 0; lo < len(adds); lo += insertChunk {
			chunk := adds[lo:min(lo+insertChunk, len(adds))]
			if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
				if isUniqueViolation(err) {
					return apperr.New(apperr.Conflict, "這個人剛被加保（可能是重複送出），請重新整理後查詢。")
				}
				return fmt.Errorf("models: coverage: %w", err)
			}
		}
		adds = adds[:0]
		return nil
	}
	for i := range fs {
		f := &fs[i]
		if f.ID == 0 {
			return errors.New("models: insert filings returned no IDs")
		}
		switch f.Kind {
		case rules.KindAdd:
			adds = append(adds, coverage{UnitID: unitID, PersonID: f.PersonID(), InsuredID: f.InsuredID, Birth: f.Birth, Since: f.EffectiveDate, AddFilingID: f.ID})
		case rules.KindWithdraw:
			if err := flush(); err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Table("coverage").Set("until = ?, end_filing_id = ?", f.EffectiveDate, f.ID).
				Where("unit_id = ? AND person_id = ? AND until IS NULL", unitID, f.PersonID()).Exec(ctx); err != nil {
				return fmt.Errorf("models: coverage: %w", err)
			}
		}
	}
	return flush()
}

// explain turns codes into the code table's entries (the database's copy,
// which admins edit; the built-in text when a code is missing there), with
// the filing's own message of each code from details (nil for none).
func explain(ctx context.Context, db bun.IDB, codes []rules.Code, details map[rules.Code]string) ([]rules.Info, error) {
	table, err := ErrorCodes(ctx, db)
	if err != nil {
		return nil, err
	}
	byCode := map[rules.Code]rules.Info{}
	for _, i := range table {
		byCode[i.Code] = i
	}
	out := make([]rules.Info, 0, len(codes))
	for _, c := range codes {
		i, ok := byCode[c]
		if !ok {
			if i, ok = rules.Explain(c); !ok {
				i = rules.Info{Code: c, Message: "未知的錯誤代碼"}
			}
		}
		i.Detail = details[c]
		out = append(out, i)
	}
	return out, nil
}

// Filer is who files: a clerk allowed to file, for their unit.
type Filer struct {
	Actor   Actor
	UnitID  int64
	ClerkID int64
	Source  string // web or upload
}

// SubmitFiling validates a filing at once with the same rules as the
// nightly batch; a filing with errors is refused with its codes explained
// (a *BatchRefused with one row). An accepted one is stored as 審核正確 and
// updates who the unit insures.
func (s *Store) SubmitFiling(ctx context.Context, by Filer, in rules.Filing) (*Filing, error) {
	fs, err := s.submitFilings(ctx, by, []rules.Filing{in}, nil, true, nil, false)
	if err != nil {
		return nil, err
	}
	return &fs[0], nil
}

// Reasons a clerk gives for filing a dependent despite code 2.
const (
	AgeAdopted = "adopted" // 養子女
	AgeStep    = "step"    // 繼子女
	AgeOther   = "other"   // 其他, explained in the note
)

// AgeConfirmation is the clerk's answer to code 2 (a descendant born less
// than 14 years after the insured): the dates are right, and why.
type AgeConfirmation struct {
	Reason string // AgeAdopted, AgeStep or AgeOther
	Note   string // required for AgeOther; at most input.MaxReason characters
}

// Check returns field errors (age_confirm, age_confirm_note) in zh-TW.
func (a AgeConfirmation) Check() error {
	fe := fieldErrors{}
	switch a.Reason {
	case AgeAdopted, AgeStep:
		if a.Note != "" {
			if msg := input.Name("原因說明", a.Note, input.MaxReason); msg != "" {
				fe["age_confirm_note"] = msg
			}
		}
	case AgeOther:
		if msg := input.Name("原因說明", a.Note, input.MaxReason); msg != "" {
			fe["age_confirm_note"] = msg
		} else if strings.TrimSpace(a.Note) == "" {
			fe["age_confirm_note"] = "選擇「其他」時，請說明原因。"
		}
	case "":
		fe["age_confirm"] = "請選擇確認出生日期無誤的原因。"
	default:
		fe["age_confirm"] = "請從養子女、繼子女、其他中選擇原因。"
	}
	if strings.ContainsAny(a.Note, "<>") && fe["age_confirm_note"] == "" {
		fe["age_confirm_note"] = "原因說明不可包含 < > 等符號。"
	}
	return fe.err("請說明確認的原因。")
}

// SubmitConfirmedFiling is SubmitFiling for a filing the clerk confirmed
// despite code 2. When code 2 is the filing's only code, the confirmation
// must pass Check (its field errors are returned otherwise); the filing is
// then stored with it and the confirmation audited. Any other code still
// refuses the filing, with code 2 among its codes. A filing that does not
// raise code 2 is stored as SubmitFiling would, without the confirmation.
func (s *Store) SubmitConfirmedFiling(ctx context.Context, by Filer, in rules.Filing, conf AgeConfirmation) (*Filing, error) {
	conf.Note = strings.TrimSpace(conf.Note)
	fs, err := s.submitFilings(ctx, by, []rules.Filing{in}, map[int]AgeConfirmation{0: conf}, true, nil, false)
	if err != nil {
		return nil, err
	}
	return &fs[0], nil
}

// RowError is one refused filing of a batch: its index and codes.
type RowError struct {
	Index int
	Codes []rules.Info
}

// BatchRefused is returned by SubmitFilings when rows were refused and
// nothing was stored (allOrNothing), or alongside the stored rows.
type BatchRefused struct{ Rows []RowError }

func (e *BatchRefused) Error() string { return fmt.Sprintf("%d filings refused", len(e.Rows)) }

// SubmitFilings validates and stores several filings in one transaction,
// in order: an insured added earlier in the list counts for dependents
// later in it. With allOrNothing, one refused row stores nothing; without,
// the valid rows are stored and the refused ones reported.
func (s *Store) SubmitFilings(ctx context.Context, by Filer, in []rules.Filing, allOrNothing bool) ([]Filing, error) {
	return s.submitFilings(ctx, by, in, nil, allOrNothing, nil, false)
}

// PreviewFilings checks filings as SubmitFilings would, in order and
// against the unit's roster, and stores nothing: it returns the rows that
// SubmitFilings would refuse now, for 媒體上傳's preview.
func (s *Store) PreviewFilings(ctx context.Context, by Filer, in []rules.Filing) ([]RowError, error) {
	_, err := s.submitFilings(ctx, by, in, nil, true, nil, true)
	var br *BatchRefused
	if errors.As(err, &br) {
		return br.Rows, nil
	}
	if errors.Is(err, errPreviewed) {
		return nil, nil
	}
	return nil, err
}

// errPreviewed ends PreviewFilings' transaction when every row passed.
var errPreviewed = errors.New("models: previewed")

// submitFilings is SubmitFilings with the clerk's confirmations of code 2,
// by index of in. With fix, in's one filing is a correction (補正): fix
// voids the original inside the transaction before the new filing is
// validated, so the original no longer counts, and returns it. With dry,
// the rows are checked and nothing is stored (errPreviewed when all pass).
func (s *Store) submitFilings(ctx context.Context, by Filer, in []rules.Filing, confirms map[int]AgeConfirmation, allOrNothing bool,
	fix func(ctx context.Context, tx bun.Tx, u *Unit, today time.Time) (*Filing, error), dry bool) ([]Filing, error) {
	var stored []Filing
	var refused []RowError
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		stored, refused = nil, nil
		now := s.now()
		today := today(now)
		u, err := UnitByID(ctx, tx, UnitScope(by.UnitID), by.UnitID)
		if err != nil {
			return err
		}
		if fix == nil && !dry && len(in) == 1 && by.Source == "web" {
			// The same filing sent twice from the entry form: answered
			// with the first, not refused as a duplicate enrollment.
			if rep, err := repeatedFilingOf(ctx, tx, u.ID, in[0], now); err != nil || rep != nil {
				if err == nil {
					err = rep
				}
				return err
			}
		}
		var orig *Filing
		var corrects int64
		if fix != nil {
			if orig, err = fix(ctx, tx, u, today); err != nil {
				return err
			}
			corrects = orig.ID
		}
		tables, err := gradeTables(ctx, tx)
		if err != nil {
			return err
		}
		rs, err := loadRosters(ctx, tx, []int64{u.ID})
		if err != nil {
			return err
		}
		r := rs[u.ID]
		for i, rf := range in {
			rf.UnitBranch = u.BranchCode
			r.insuredBirth(&rf)
			res := rules.Check(rf, r.context(today, tables, 0))
			conf, confirmed := confirms[i]
			confirmed = confirmed && res.OnlyWarnings()
			if confirmed {
				if err := conf.Check(); err != nil {
					return err
				}
				res = res.Without(rules.CodeDescendantAge)
			}
			if !res.OK() {
				infos, err := explain(ctx, tx, res.Codes, res.Details)
				if err != nil {
					return err
				}
				refused = append(refused, RowError{Index: i, Codes: infos})
				continue
			}
			f := filingFromRule(rf)
			f.UnitID, f.FiledBy, f.Source, f.FiledAt, f.FiledOn = u.ID, by.Actor.Name, by.Source, now, dateString(today)
			f.Status, f.ValidatedAt = FilingValidated, now
			if confirmed {
				f.AgeConfirm, f.AgeConfirmNote = conf.Reason, conf.Note
			}
			if by.ClerkID != 0 {
				h := by.ClerkID
				f.ClerkID = &h
			}
			if corrects != 0 {
				f.CorrectsID = &corrects
			}
			stored = append(stored, f)
			r.note(&stored[len(stored)-1], -int64(len(stored)))
		}
		if len(refused) > 0 && allOrNothing {
			return errRollback // store nothing
		}
		if dry {
			return errPreviewed
		}
		if len(stored) == 0 {
			return nil
		}
		if err := storeFilings(ctx, tx, u.ID, stored); err != nil {
			return err
		}
		for i := range stored {
			if f := &stored[i]; f.AgeConfirm != "" {
				if err := audit(ctx, tx, now, by.Actor, Change{Action: "filing.age_confirm", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "filing",
					ObjectID: fmt.Sprint(f.ID), After: map[string]any{"code": string(rules.CodeDescendantAge), "reason": f.AgeConfirm, "note": f.AgeConfirmNote}}); err != nil {
					return err
				}
			}
		}
		if orig != nil {
			if orig.Kind == rules.KindAdd && orig.Person == rules.PersonInsured {
				if err := checkOrphans(ctx, tx, u.ID, orig.InsuredID); err != nil {
					return err
				}
			}
			return audit(ctx, tx, now, by.Actor, Change{Action: "filing.correct", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "filing",
				ObjectID: fmt.Sprint(corrects), After: map[string]any{"correction": stored[0].ID, "source": by.Source}})
		}
		return audit(ctx, tx, now, by.Actor, Change{Action: "filing.submit", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "filing",
			ObjectID: fmt.Sprint(stored[0].ID), After: map[string]any{"filings": len(stored), "refused": len(refused), "source": by.Source}})
	})
	if errors.Is(err, errRollback) {
		return nil, &BatchRefused{Rows: refused}
	}
	if err != nil {
		return nil, err
	}
	if len(refused) > 0 {
		return stored, &BatchRefused{Rows: refused}
	}
	return stored, nil
}

// errRollback ends a transaction that must store nothing, without being
// an error of its own.
var errRollback = errors.New("models: rollback")

// FilingFilter is 異動檢核後查詢: 作業別, filing date range, status.
type FilingFilter struct {
	Operation string
	From, To  time.Time // 單位申報日, inclusive
	Status    string    // validated, error or ""
	Page      int
	PageSize  int
}

// MaxQueryMonths is how far back 異動檢核後查詢 looks, as in the seed.
const MaxQueryMonths = 2

// Check refuses a range wider or older than the past two months.
func (f *FilingFilter) Check(today time.Time) error {
	fe := fieldErrors{}
	earliest := today.AddDate(0, -MaxQueryMonths, 0)
	switch {
	case f.From.IsZero() || f.To.IsZero():
		fe["from"] = "請輸入申報日期的起迄（民國年月日）。"
	case f.To.Before(f.From):
		fe["to"] = "迄日不可早於起日。"
	case f.From.Before(earliest):
		fe["from"] = fmt.Sprintf("只提供過去 %d 個月內的檢核查詢（最早 %s）。", MaxQueryMonths, rocdate.Format(earliest))
	case f.To.After(today):
		fe["to"] = "迄日不可晚於今天。"
	}
	return fe.err("查詢條件有誤。")
}

// FilingsOfUnit lists a unit's filings for 異動檢核後查詢, newest first.
func FilingsOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64, f FilingFilter) ([]Filing, int, error) {
	if f.PageSize <= 0 || f.PageSize > 200 {
		f.PageSize = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	base := func(p *params) *bun.SelectQuery {
		q := sc.ofUnitsBound(p, db.NewSelect().Conn(p).Model((*Filing)(nil)).Where("unit_id = ?", p.ID(unitID)), "unit_id").
			Where("filed_on >= ? AND filed_on <= ?", p.Text(dateString(f.From)), p.Text(dateString(f.To)))
		if f.Operation != "" {
			q = q.Where("operation = ?", f.Operation) // a few values, kept for the planner
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		return q
	}
	total, err := base(bind(db)).Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("models: filings: %w", err)
	}
	var fs []Filing
	if err := base(bindFirstPage(db, f.Page)).ColumnExpr("filing.*").ColumnExpr(correctedByColumn).Order("filed_on DESC", "id DESC").
		Limit(int64(f.PageSize)).Offset(int64((f.Page-1)*f.PageSize)).Scan(ctx, &fs); err != nil {
		return nil, 0, fmt.Errorf("models: filings: %w", err)
	}
	return fs, int(total), nil
}

// correctedByColumn reads Filing.CorrectedBy (filings_corrects finds it).
const correctedByColumn = "(SELECT c.id FROM filings AS c WHERE c.corrects_id = filing.id) AS corrected_by"

// RecentFilingsOfUnit lists a unit's newest filings (for staff and the case page).
func RecentFilingsOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64, errorsOnly bool, limit int) ([]Filing, error) {
	var fs []Filing
	p := bind(db)
	q := sc.ofUnitsBound(p, db.NewSelect().Conn(p).Model(&fs).Where("unit_id = ?", p.ID(unitID)), "unit_id")
	if errorsOnly {
		q = q.Where("status = ? AND voided = ''", FilingError) // corrected or withdrawn errors are settled
	}
	if err := q.Order("filed_at DESC", "id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: recent filings: %w", err)
	}
	return fs, nil
}

// ErrorCodes is the code table, the database's copy in code order.
func ErrorCodes(ctx context.Context, db bun.IDB) ([]rules.Info, error) {
	var rows []struct {
		Code    string `bun:"code"`
		Message string `bun:"message"`
		Fix     string `bun:"fix"`
	}
	if err := db.NewSelect().Conn(bind(db)).Table("error_codes").Column("code", "message", "fix").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("models: error codes: %w", err)
	}
	if len(rows) == 0 {
		return rules.Codes(), nil
	}
	order := map[rules.Code]int{}
	for i, c := range rules.Codes() {
		order[c.Code] = i
	}
	out := make([]rules.Info, len(rows))
	for i, r := range rows {
		out[i] = rules.Info{Code: rules.Code(r.Code), Message: r.Message, Fix: r.Fix}
	}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].Code] < order[out[j].Code] })
	return out, nil
}

// GradeTableRow is a loaded 投保金額分級表.
type GradeTableRow struct {
	bun.BaseModel `bun:"table:grade_tables"`
	ID            int64     `bun:"id,pk,autoincrement"`
	EffectiveDate string    `bun:"effective_date"`
	Grades        string    `bun:"grades"`
	PartTime      string    `bun:"part_time"` // the part-time (部分工時) amounts, comma-separated; "" for none
	Source        string    `bun:"source"`
	LoadedBy      string    `bun:"loaded_by"`
	LoadedAt      time.Time `bun:"loaded_at"`
}

// FilingContext is the rules' view of a unit for checking one field or
// filing as it is typed: today's grade tables and who the unit insures.
// For a dependent's filing f (nil for none), it fills in the insured's
// birth date from the roster, as a submission does, for rule 2.
func (s *Store) FilingContext(ctx context.Context, unitID int64, f *rules.Filing) (rules.Context, error) {
	tables, err := gradeTables(ctx, s.DB)
	if err != nil {
		return rules.Context{}, err
	}
	rs, err := loadRosters(ctx, s.DB, []int64{unitID})
	if err != nil {
		return rules.Context{}, err
	}
	if f != nil {
		rs[unitID].insuredBirth(f)
	}
	return rs[unitID].context(today(s.now()), tables, 0), nil
}

// FilingsForExport streams a unit's filings of the filter, oldest first,
// to fn, at most limit rows.
func FilingsForExport(ctx context.Context, db bun.IDB, sc Scope, unitID int64, f FilingFilter, limit int, fn func(*Filing) error) error {
	var after int64
	sent := 0
	for sent < limit {
		var fs []Filing
		q := sc.ofUnits(db.NewSelect().Model(&fs).Where("unit_id = ? AND id > ?", unitID, after), "unit_id").
			Where("filed_on >= ? AND filed_on <= ?", dateString(f.From), dateString(f.To))
		if f.Operation != "" {
			q = q.Where("operation = ?", f.Operation)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if err := q.Order("id").Limit(1000).Scan(ctx); err != nil {
			return fmt.Errorf("models: export filings: %w", err)
		}
		for i := range fs {
			if sent == limit {
				return nil
			}
			if err := fn(&fs[i]); err != nil {
				return err
			}
			sent++
		}
		if len(fs) < 1000 {
			return nil
		}
		after = fs[len(fs)-1].ID
	}
	return nil
}
