package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rocdate"
)

// Verdicts of a sampled decision.
const (
	VerdictOK      = "ok"      // 適當
	VerdictConcern = "concern" // 有疑義
)

// Sampling limits.
const (
	MaxSampleSize  = 50
	SampleWindow   = 7 * 24 * time.Hour // decisions of the past week are drawn
	MaxVerdictNote = 1000               // characters
)

// Sample is one draw of decisions for review.
type Sample struct {
	bun.BaseModel `bun:"table:samples"`
	ID            int64     `bun:"id,pk,autoincrement"`
	BranchCode    *string   `bun:"branch_code"` // nil: head office
	DrawnBy       int64     `bun:"drawn_by"`
	DrawnAt       time.Time `bun:"drawn_at"`
	Size          int       `bun:"size"`
}

// SampleItem is one sampled decision and its verdict.
type SampleItem struct {
	bun.BaseModel `bun:"table:sample_items"`
	ID            int64      `bun:"id,pk,autoincrement"`
	SampleID      int64      `bun:"sample_id"`
	AuditEventID  int64      `bun:"audit_event_id"`
	Verdict       *string    `bun:"verdict"`
	Note          string     `bun:"note"`
	DecidedBy     *int64     `bun:"decided_by"`
	DecidedAt     *time.Time `bun:"decided_at"`
}

// SampleSummary is a sample with who drew it and how far its review is.
type SampleSummary struct {
	Sample
	DrawerName     string `bun:"drawer_name"`
	DrawerUsername string `bun:"drawer_username"`
	Decided        int    `bun:"decided"`
	Concerns       int    `bun:"concerns"`
}

// SampleItemDetail is a sampled decision with its event and who judged it.
type SampleItemDetail struct {
	SampleItem
	DeciderName *string   `bun:"decider_name"`
	Event       *AuditRow `bun:"-"`
}

// SampleDetail is a sample with its items.
type SampleDetail struct {
	SampleSummary
	Items []SampleItemDetail
}

// samples restricts a query on samples (aliased alias) to the scope: a
// branch sees its own samples, head office all of them.
func (sc Scope) samples(q *bun.SelectQuery, alias string) *bun.SelectQuery {
	switch {
	case sc.All:
		return q
	case sc.Branch != "" && sc.UnitID == 0:
		return q.Where(alias+".branch_code = ?", sc.Branch)
	default:
		return q.Where("1 = 0")
	}
}

func sampleSummaries(db bun.IDB, sc Scope) *bun.SelectQuery {
	q := db.NewSelect().TableExpr("samples AS s").
		ColumnExpr("s.*").
		ColumnExpr("st.name AS drawer_name, st.username AS drawer_username").
		ColumnExpr("(SELECT COUNT(*) FROM sample_items AS si WHERE si.sample_id = s.id AND si.verdict IS NOT NULL) AS decided").
		ColumnExpr("(SELECT COUNT(*) FROM sample_items AS si WHERE si.sample_id = s.id AND si.verdict = 'concern') AS concerns").
		Join("JOIN staff AS st ON st.id = s.drawn_by")
	return sc.samples(q, "s")
}

// Samples lists the newest samples within the scope.
func Samples(ctx context.Context, db bun.IDB, sc Scope, limit int) ([]SampleSummary, error) {
	var out []SampleSummary
	err := sampleSummaries(db, sc).OrderExpr("s.drawn_at DESC, s.id DESC").Limit(int64(limit)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("models: samples: %w", err)
	}
	return out, nil
}

// SampleByID returns a sample within the scope with its items and their
// events, or NotFound.
func SampleByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*SampleDetail, error) {
	d := new(SampleDetail)
	err := sampleSummaries(db, sc).Where("s.id = ?", id).Scan(ctx, &d.SampleSummary)
	if isNoRows(err) {
		return nil, notFound("抽樣")
	}
	if err != nil {
		return nil, fmt.Errorf("models: sample %d: %w", id, err)
	}
	err = db.NewSelect().TableExpr("sample_items AS si").
		ColumnExpr("si.*").ColumnExpr("d.name AS decider_name").
		Join("LEFT JOIN staff AS d ON d.id = si.decided_by").
		Where("si.sample_id = ?", id).OrderExpr("si.id").Scan(ctx, &d.Items)
	if err != nil {
		return nil, fmt.Errorf("models: sample %d: items: %w", id, err)
	}
	if len(d.Items) == 0 {
		return d, nil
	}
	ids := make([]int64, len(d.Items))
	for i, it := range d.Items {
		ids[i] = it.AuditEventID
	}
	// The events were drawn within the sample's scope, which the caller's
	// scope covers: read them unscoped.
	var evs []AuditRow
	if err := auditRows(db, ScopeAll, nil).Where("e.id IN (?)", bun.List(ids)).Scan(ctx, &evs); err != nil {
		return nil, fmt.Errorf("models: sample %d: events: %w", id, err)
	}
	byID := make(map[int64]*AuditRow, len(evs))
	for i := range evs {
		byID[evs[i].ID] = &evs[i]
	}
	for i := range d.Items {
		d.Items[i].Event = byID[d.Items[i].AuditEventID]
	}
	return d, nil
}

// SampleBranch returns the branch of a sample (nil for head office), for
// authorization, or NotFound. With itemID not 0 the item must belong to
// the sample. It is not scoped: the policy decides.
func SampleBranch(ctx context.Context, db bun.IDB, sampleID, itemID int64) (*string, error) {
	var row struct {
		Branch *string `bun:"branch_code"`
	}
	q := db.NewSelect().TableExpr("samples AS s").ColumnExpr("s.branch_code").Where("s.id = ?", sampleID)
	if itemID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM sample_items AS si WHERE si.id = ? AND si.sample_id = s.id)", itemID)
	}
	err := q.Scan(ctx, &row)
	if isNoRows(err) {
		return nil, notFound("抽樣")
	}
	if err != nil {
		return nil, fmt.Errorf("models: sample %d: %w", sampleID, err)
	}
	return row.Branch, nil
}

// DrawSample draws up to n (1 to MaxSampleSize) random decisions
// (DecisionActions) of the past SampleWindow within the scope that no
// sample holds yet, leaving out the drawer's own. It draws fewer when
// fewer are left, and refuses when none is.
func (s *Store) DrawSample(ctx context.Context, a Actor, sc Scope, n int) (*Sample, error) {
	if n < 1 || n > MaxSampleSize {
		return nil, apperr.InvalidFields("抽樣筆數有誤。", map[string]string{"size": fmt.Sprintf("請輸入 1 到 %d 之間的整數。", MaxSampleSize)})
	}
	if a.Kind != "staff" || a.ID == 0 || !(sc.All || (sc.Branch != "" && sc.UnitID == 0)) {
		return nil, apperr.New(apperr.Forbidden, "只有署內主管可以抽樣。")
	}
	var smp *Sample
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		ids, err := UnsampledDecisions(ctx, tx, sc, a.ID, now)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return apperr.New(apperr.Conflict, "近 7 日內沒有尚未抽樣的決定紀錄，目前無法抽樣。")
		}
		// A partial Fisher–Yates shuffle; math/rand/v2's generator is seeded
		// unpredictably, so staff cannot foresee which decisions are drawn.
		k := min(n, len(ids))
		for i := 0; i < k; i++ {
			j := i + rand.IntN(len(ids)-i)
			ids[i], ids[j] = ids[j], ids[i]
		}
		picked := slices.Clone(ids[:k])
		slices.Sort(picked)

		smp = &Sample{DrawnBy: a.ID, DrawnAt: now, Size: k}
		if !sc.All {
			b := sc.Branch
			smp.BranchCode = &b
		}
		if _, err := tx.NewInsert().Model(smp).Exec(ctx); err != nil {
			return fmt.Errorf("models: draw sample: %w", err)
		}
		items := make([]SampleItem, k)
		for i, id := range picked {
			items[i] = SampleItem{SampleID: smp.ID, AuditEventID: id}
		}
		if _, err := tx.NewInsert().Model(&items).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "另一位主管同時抽中了相同的紀錄，請再抽一次。")
			}
			return fmt.Errorf("models: draw sample: items: %w", err)
		}
		return audit(ctx, tx, now, a, Change{Action: "sample.draw", Branch: sc.Branch, ObjectType: "sample",
			ObjectID: fmt.Sprint(smp.ID), After: map[string]any{"size": k, "requested": n, "audit_event_ids": picked,
				"window_days": int(SampleWindow / (24 * time.Hour))}})
	})
	if err != nil {
		return nil, err
	}
	return smp, nil
}

// UnsampledDecisions returns the ids of the decisions (DecisionActions)
// of the SampleWindow before now within the scope that no sample holds
// yet, leaving out those of the staff member drawer: what DrawSample
// draws from.
func UnsampledDecisions(ctx context.Context, db bun.IDB, sc Scope, drawer int64, now time.Time) ([]int64, error) {
	var ids []int64
	q := db.NewSelect().TableExpr("audit_events AS e").ColumnExpr("e.id").
		Where("e.action IN (?)", bun.List(DecisionActions)).
		Where("e.at >= ?", now.Add(-SampleWindow)).
		Where("NOT EXISTS (SELECT 1 FROM sample_items AS si WHERE si.audit_event_id = e.id)").
		Where("(e.actor_kind <> 'staff' OR e.actor_id IS NULL OR e.actor_id <> ?)", drawer)
	if err := sc.auditEvents(nil, q).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("models: draw sample: %w", err)
	}
	return ids, nil
}

// VerdictInput is a supervisor's verdict on a sampled decision.
type VerdictInput struct {
	Verdict string // ok or concern
	Note    string // required for concern
}

// Validate checks the verdict and says what is wrong per field.
func (in *VerdictInput) Validate() error {
	in.Note = strings.TrimSpace(in.Note)
	f := fieldErrors{}
	if in.Verdict != VerdictOK && in.Verdict != VerdictConcern {
		f["verdict"] = "請選擇覆核結果：適當或有疑義。"
	}
	switch {
	case in.Verdict == VerdictConcern && in.Note == "":
		f["note"] = "覆核結果為「有疑義」時，請說明疑義所在。"
	case utf8.RuneCountInString(in.Note) > MaxVerdictNote:
		f["note"] = fmt.Sprintf("說明最多 %d 個字。", MaxVerdictNote)
	case strings.ContainsRune(in.Note, 0):
		f["note"] = "說明含有無法處理的字元。"
	}
	return f.err("覆核結果有誤，請依欄位旁的說明修正。")
}

// RecordVerdict records the verdict on one item of a sample within the
// scope. A verdict is final: an item already judged answers Conflict,
// saying who judged it and how.
func (s *Store) RecordVerdict(ctx context.Context, a Actor, sc Scope, sampleID, itemID int64, in VerdictInput) (*SampleItem, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if a.Kind != "staff" || a.ID == 0 {
		return nil, apperr.New(apperr.Forbidden, "只有署內主管可以記錄覆核結果。")
	}
	it := new(SampleItem)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		smp := new(Sample)
		err := sc.samples(tx.NewSelect().Model(smp).Where("sample.id = ?", sampleID), "sample").Scan(ctx)
		if isNoRows(err) {
			return notFound("抽樣")
		}
		if err != nil {
			return fmt.Errorf("models: verdict: sample %d: %w", sampleID, err)
		}
		err = tx.NewSelect().Model(it).Where("id = ? AND sample_id = ?", itemID, sampleID).Scan(ctx)
		if isNoRows(err) {
			return notFound("抽樣項目")
		}
		if err != nil {
			return fmt.Errorf("models: verdict: item %d: %w", itemID, err)
		}
		if it.Verdict != nil {
			return verdictFinal(ctx, tx, it)
		}
		res, err := tx.NewUpdate().Table("sample_items").
			Set("verdict = ?", in.Verdict).Set("note = ?", in.Note).Set("decided_by = ?", a.ID).Set("decided_at = ?", now).
			Where("id = ? AND verdict IS NULL", it.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: verdict: item %d: %w", itemID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			// Judged by someone else since we read it.
			if err := tx.NewSelect().Model(it).WherePK().Scan(ctx); err != nil {
				return fmt.Errorf("models: verdict: item %d: %w", itemID, err)
			}
			return verdictFinal(ctx, tx, it)
		}
		it.Verdict, it.Note, it.DecidedBy, it.DecidedAt = &in.Verdict, in.Note, &a.ID, &now
		branch := ""
		if smp.BranchCode != nil {
			branch = *smp.BranchCode
		}
		return audit(ctx, tx, now, a, Change{Action: "sample.verdict", Branch: branch, ObjectType: "sample_item",
			ObjectID: fmt.Sprint(it.ID), Reason: in.Note,
			After: map[string]any{"sample_id": sampleID, "audit_event_id": it.AuditEventID, "verdict": in.Verdict, "note": in.Note}})
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// verdictFinal is the refusal to change a recorded verdict.
func verdictFinal(ctx context.Context, db bun.IDB, it *SampleItem) error {
	who := "其他主管"
	if it.DecidedBy != nil {
		var name string
		if err := db.NewSelect().Table("staff").Column("name").Where("id = ?", *it.DecidedBy).Scan(ctx, &name); err == nil && name != "" {
			who = name
		}
	}
	v := "適當"
	if it.Verdict != nil && *it.Verdict == VerdictConcern {
		v = "有疑義"
	}
	when := ""
	if it.DecidedAt != nil {
		t := it.DecidedAt.In(taipei)
		when = "於 " + rocdate.FormatSlash(t) + " " + t.Format("15:04") + " "
	}
	return apperr.Newf(apperr.Conflict, "此筆已由%s%s覆核為「%s」；覆核結果一經記錄即不可變更。", who, when, v)
}
