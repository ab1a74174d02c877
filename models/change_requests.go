package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
)

// Change request statuses.
const (
	RequestPending   = "pending"
	RequestApproved  = "approved"
	RequestRejected  = "rejected"
	RequestCancelled = "cancelled"
)

// KindWithProof is 基本資料變更-需證明文件: registered address and/or name.
const KindWithProof = "with_proof"

// MaxDocumentBytes is the largest proof document accepted.
const MaxDocumentBytes = 10 << 20

// ChangeRequest asks the bureau to change a unit's registered address
// and/or name (Q9.1), with proof documents.
type ChangeRequest struct {
	bun.BaseModel  `bun:"table:change_requests"`
	ID             int64      `bun:"id,pk,autoincrement"`
	UnitID         int64      `bun:"unit_id"`
	Kind           string     `bun:"kind"`
	ChangeName     bool       `bun:"change_name"`
	ChangeReg      bool       `bun:"change_reg"`
	NewName        string     `bun:"new_name"`
	NewReg         Address    `bun:"embed:new_reg_"`
	BeforeJSON     string     `bun:"before_json"`
	EffectiveDate  string     `bun:"effective_date"` // YYYY-MM-DD
	ContactName    string     `bun:"contact_name"`
	ContactPhone   string     `bun:"contact_phone"`
	Status         string     `bun:"status"`
	DecisionReason string     `bun:"decision_reason"`
	SubmittedBy    string     `bun:"submitted_by"`
	SubmittedAt    time.Time  `bun:"submitted_at"`
	DecidedBy      *int64     `bun:"decided_by"`
	DecidedAt      *time.Time `bun:"decided_at"`
	CancelledAt    *time.Time `bun:"cancelled_at"`
	AppliedAt      *time.Time `bun:"applied_at"`
	Version        int64      `bun:"version"`

	Documents []ChangeDocument `bun:"rel:has-many,join:id=request_id"`
}

// Before is the unit's data when the request was made.
func (r *ChangeRequest) Before() (name string, reg Address) {
	var b struct {
		Name string  `json:"name"`
		Reg  Address `json:"reg"`
	}
	_ = json.Unmarshal([]byte(r.BeforeJSON), &b) // written by SubmitChangeRequest; a bad row shows empty
	return b.Name, b.Reg
}

// Effective parses EffectiveDate.
func (r *ChangeRequest) Effective() time.Time {
	t, _ := time.Parse(time.DateOnly, r.EffectiveDate)
	return t
}

// ChangeDocument is an uploaded proof document, kept in the database.
type ChangeDocument struct {
	bun.BaseModel `bun:"table:change_documents"`
	ID            int64     `bun:"id,pk,autoincrement"`
	RequestID     int64     `bun:"request_id"`
	Slot          int       `bun:"slot"`
	FileName      string    `bun:"file_name"` // as the user named it; shown, never used as a path
	ContentType   string    `bun:"content_type"`
	Size          int64     `bun:"size"`
	SHA256        string    `bun:"sha256"`
	Data          []byte    `bun:"data"`
	CreatedAt     time.Time `bun:"created_at"`
}

// Upload is a proof document as received.
type Upload struct {
	FileName    string
	ContentType string // decided from the content (see internal/upload), never from the name
	Data        []byte
}

// ChangeRequestInput is the form of 基本資料變更-需證明文件.
type ChangeRequestInput struct {
	ChangeName    bool
	NewName       string
	ChangeReg     bool
	NewReg        Address
	EffectiveDate time.Time
	ContactName   string
	ContactPhone  string
	Documents     []Upload // one or two
}

// Validate checks the input and says what is wrong per field. today is the
// date in Taipei.
func (in *ChangeRequestInput) Validate(today time.Time) error {
	in.NewName = strings.TrimSpace(in.NewName)
	in.NewReg = NormalizeAddress(in.NewReg)
	in.ContactName, in.ContactPhone = strings.TrimSpace(in.ContactName), strings.TrimSpace(in.ContactPhone)
	f := fieldErrors{}
	if !in.ChangeName && !in.ChangeReg {
		f["change"] = "請勾選要變更的項目（單位名稱或登記地址）。"
	}
	if in.ChangeName {
		f.name("new_name", "變更後的單位名稱", in.NewName, input.MaxUnitName)
	}
	if in.ChangeReg {
		f.address("reg", in.NewReg)
	}
	switch {
	case in.EffectiveDate.IsZero():
		f["effective_date"] = "請輸入生效日期（民國年月日，例如 115/03/02）。"
	case in.EffectiveDate.Before(today.AddDate(-1, 0, 0)):
		f["effective_date"] = "生效日期不可早於一年前。"
	case in.EffectiveDate.After(today.AddDate(1, 0, 0)):
		f["effective_date"] = "生效日期不可晚於一年後。"
	}
	f.name("contact_name", "聯絡人姓名", in.ContactName, input.MaxPersonName)
	f.phone("contact_phone", "聯絡電話", in.ContactPhone, true)
	switch {
	case len(in.Documents) == 0:
		f["doc1"] = "請上傳證明文件（PDF、JPEG 或 PNG）。"
	case len(in.Documents) > 2:
		f["doc2"] = "最多上傳兩份證明文件。"
	}
	return f.err("申請資料有誤，請依欄位旁的說明修正。")
}

// SubmitChangeRequest files a change request with its documents. It waits
// for the bureau's review; one pending request per unit.
func (s *Store) SubmitChangeRequest(ctx context.Context, a Actor, unitID int64, in ChangeRequestInput) (*ChangeRequest, error) {
	if err := in.Validate(s.now().In(taipei)); err != nil {
		return nil, err
	}
	var req *ChangeRequest
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, UnitScope(unitID), unitID)
		if err != nil {
			return err
		}
		if in.ChangeName && in.NewName == u.Name {
			return apperr.InvalidFields("變更後的單位名稱與目前相同。", map[string]string{"new_name": "與目前的單位名稱相同。"})
		}
		if in.ChangeReg && in.NewReg == u.Reg {
			return apperr.InvalidFields("變更後的登記地址與目前相同。", map[string]string{"reg_street": "與目前的登記地址相同。"})
		}
		before, _ := json.Marshal(struct {
			Name string  `json:"name"`
			Reg  Address `json:"reg"`
		}{u.Name, u.Reg})
		req = &ChangeRequest{UnitID: unitID, Kind: KindWithProof, ChangeName: in.ChangeName, ChangeReg: in.ChangeReg,
			BeforeJSON: string(before), EffectiveDate: in.EffectiveDate.Format(time.DateOnly), ContactName: in.ContactName,
			ContactPhone: in.ContactPhone, Status: RequestPending, SubmittedBy: a.Name, SubmittedAt: now, Version: 1}
		if in.ChangeName {
			req.NewName = in.NewName
		}
		if in.ChangeReg {
			req.NewReg = in.NewReg
		}
		if rep, err := repeatedChangeRequest(ctx, tx, req, now); err != nil || rep != nil {
			if err == nil {
				err = rep
			}
			return err
		}
		if _, err := tx.NewInsert().Model(req).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "貴單位已有一件審核中的基本資料變更申請。請等候審核完成，或先取消該申請再重新送出。")
			}
			return fmt.Errorf("models: change request: %w", err)
		}
		docs := make([]map[string]any, 0, len(in.Documents))
		for i, d := range in.Documents {
			sum := sha256.Sum256(d.Data)
			doc := &ChangeDocument{RequestID: req.ID, Slot: i + 1, FileName: d.FileName, ContentType: d.ContentType,
				Size: int64(len(d.Data)), SHA256: hex.EncodeToString(sum[:]), Data: d.Data, CreatedAt: now}
			if _, err := tx.NewInsert().Model(doc).Exec(ctx); err != nil {
				return fmt.Errorf("models: change request document: %w", err)
			}
			doc.Data = nil
			req.Documents = append(req.Documents, *doc)
			docs = append(docs, map[string]any{"slot": doc.Slot, "name": doc.FileName, "type": doc.ContentType, "size": doc.Size, "sha256": doc.SHA256})
		}
		after := map[string]any{"effective_date": req.EffectiveDate, "documents": docs, "contact": req.ContactName}
		if in.ChangeName {
			after["name"] = req.NewName
		}
		if in.ChangeReg {
			after["reg"] = req.NewReg.String()
		}
		return audit(ctx, tx, now, a, Change{Action: "change_request.submit", UnitID: unitID, Branch: u.BranchCode,
			ObjectType: "change_request", ObjectID: fmt.Sprint(req.ID), Before: map[string]any{"name": u.Name, "reg": u.Reg.String()}, After: after})
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// CancelChangeRequest withdraws a pending request.
func (s *Store) CancelChangeRequest(ctx context.Context, a Actor, unitID, id int64) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		req, err := ChangeRequestByID(ctx, tx, UnitScope(unitID), id)
		if err != nil {
			return err
		}
		if req.Status != RequestPending {
			return apperr.New(apperr.Conflict, "這件申請已經審核完成或已取消，無法取消。")
		}
		res, err := tx.NewUpdate().Model(req).Set("status = ?, cancelled_at = ?, version = version + 1", RequestCancelled, now).
			Where("id = ? AND version = ? AND status = ?", req.ID, req.Version, RequestPending).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: cancel change request: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "這件申請剛被審核，無法取消；請重新整理查看結果。")
		}
		return audit(ctx, tx, now, a, Change{Action: "change_request.cancel", UnitID: unitID, ObjectType: "change_request",
			ObjectID: fmt.Sprint(req.ID), Before: map[string]string{"status": RequestPending}, After: map[string]string{"status": RequestCancelled}})
	})
}

// ChangeRequestByID returns one request within the scope, with its documents
// (without their bytes), or NotFound.
func ChangeRequestByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*ChangeRequest, error) {
	req := new(ChangeRequest)
	q := db.NewSelect().Model(req).
		Relation("Documents", func(q *bun.SelectQuery) *bun.SelectQuery { return q.ExcludeColumn("data").Order("slot") }).
		Where("change_request.id = ?", id)
	q = q.Where("change_request.unit_id IN (?)", sc.units(db.NewSelect().TableExpr("units AS u").Column("u.id"), "u"))
	err := q.Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("申請案件")
	}
	if err != nil {
		return nil, fmt.Errorf("models: change request %d: %w", id, err)
	}
	return req, nil
}

// ChangeRequestsOfUnit lists a unit's requests, newest first.
func ChangeRequestsOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64) ([]ChangeRequest, error) {
	var rs []ChangeRequest
	q := db.NewSelect().Model(&rs).
		Relation("Documents", func(q *bun.SelectQuery) *bun.SelectQuery { return q.ExcludeColumn("data").Order("slot") }).
		Where("change_request.unit_id = ?", unitID)
	err := sc.ofUnits(q, "change_request.unit_id").Order("change_request.submitted_at DESC", "change_request.id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: change requests of unit %d: %w", unitID, err)
	}
	return rs, nil
}

// DocumentByID returns one proof document, with its bytes, if its request is
// within the scope; NotFound otherwise.
func DocumentByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*ChangeDocument, error) {
	d := new(ChangeDocument)
	err := db.NewSelect().Model(d).Where("id = ?", id).
		Where("request_id IN (?)", db.NewSelect().TableExpr("change_requests AS r").Column("r.id").
			Where("r.unit_id IN (?)", sc.units(db.NewSelect().TableExpr("units AS u").Column("u.id"), "u"))).
		Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("文件")
	}
	if err != nil {
		return nil, fmt.Errorf("models: document %d: %w", id, err)
	}
	return d, nil
}

// repeatedChangeRequest finds the unit's pending request identical to
// req submitted within RepeatWindow (the same form sent twice); nil when
// there is none, and then the one-pending rule decides.
func repeatedChangeRequest(ctx context.Context, tx bun.IDB, req *ChangeRequest, now time.Time) (*Repeated, error) {
	var prev ChangeRequest
	err := tx.NewSelect().Model(&prev).
		Where("unit_id = ? AND kind = ? AND status = ? AND submitted_at >= ?", req.UnitID, req.Kind, RequestPending, now.Add(-RepeatWindow)).
		Limit(1).Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: repeated change request: %w", err)
	}
	if prev.ChangeName != req.ChangeName || prev.NewName != req.NewName || prev.ChangeReg != req.ChangeReg || prev.NewReg != req.NewReg ||
		prev.EffectiveDate != req.EffectiveDate || prev.ContactName != req.ContactName || prev.ContactPhone != req.ContactPhone {
		return nil, nil
	}
	return &Repeated{What: "change_request", ID: prev.ID}, nil
}
