package models

// The unit's clerks (承辦人, Q1): the unit assigns them by reading their
// card, and revokes them. Their login is in clerk_login.go, their NHI-card
// password in nhireg.go; the table is created by migration 1 and renamed
// from "handlers" by migration 16 (schema.go).

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/twid"
)

// ClerkInput is a clerk as the unit assigns them (Q1 新增): the card
// data read through the agent and what the unit types.
type ClerkInput struct {
	CardType   string // CardCitizenCert or CardNHI
	CardSerial string // NHI: the card number; citizen certificate: the certificate's serial (hex)
	CertIssuer string // citizen certificate: its issuer
	CardID     string // from the card: the NHI card's ID number, or the citizen certificate's ID suffix
	IDNo       string // typed
	Name       string
	Email      string
	MayFile    bool // 允許使用所有加退保業務功能
	MayManage  bool // 單位管理者
	// NameNeedsCheck is the card agent's word that the NHI card's name holds
	// a government-made character (造字) it could not decode: the name must
	// be typed by hand, and may hold CNS 11643 characters outside Big5.
	NameNeedsCheck bool
}

// ErrNameUnreadable is the name field's message for a name that still
// holds the replacement character U+FFFD, an undecoded 造字.
const ErrNameUnreadable = "姓名中有讀卡時無法辨識的造字（顯示為 �），請將它改為正確的字（例如「𥕢」）後再儲存。"

// Validate checks the input and says what is wrong per field.
func (in *ClerkInput) Validate() error {
	in.IDNo = twid.Normalize(in.IDNo)
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	f := fieldErrors{}
	switch in.CardType {
	case CardCitizenCert, CardNHI:
		if in.CardSerial == "" || (in.CardType == CardCitizenCert && in.CertIssuer == "") {
			f["card"] = "請將承辦人的卡片放入讀卡機，按「讀取」讀出卡片資料。"
		}
	default:
		f["card_type"] = "請選擇憑證類別（自然人憑證或健保卡）。"
	}
	if _, err := twid.CheckPersonID(in.IDNo); err != nil {
		f["id_no"] = err.Error()
	} else if in.CardSerial != "" {
		switch in.CardType {
		case CardNHI:
			if in.CardID != in.IDNo {
				f["id_no"] = "身分證號與讀卡機中的健保卡不符，請確認。"
			}
		case CardCitizenCert:
			if in.CardID == "" || !strings.HasSuffix(in.IDNo, in.CardID) {
				f["id_no"] = "身分證號與讀卡機中的自然人憑證不符，請確認。"
			}
		}
	}
	f.text("name", "姓名", in.Name, 50)
	if _, bad := f["name"]; !bad && strings.ContainsRune(in.Name, utf8.RuneError) {
		f["name"] = ErrNameUnreadable
	}
	f.email("email", in.Email)
	return f.err("承辦人資料有誤，請依欄位旁的說明修正。")
}

// AddClerk assigns a clerk to the unit (指派). The same person may be
// assigned once per unit at a time.
func (s *Store) AddClerk(ctx context.Context, a Actor, unitID int64, in ClerkInput) (*Clerk, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	h := &Clerk{UnitID: unitID, CardType: in.CardType, IDNo: in.IDNo, CardSerial: in.CardSerial, Name: in.Name, Email: in.Email,
		MayFile: in.MayFile, MayManage: in.MayManage, Status: ClerkActive, CreatedBy: clerkCreator(a), Version: 1}
	if in.CardType == CardCitizenCert {
		h.CertIssuer = &in.CertIssuer
	}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		h.CreatedAt = now
		// The same card saved twice (a double submit): answered with the
		// first. Asked before the insert, whose unique violation would
		// end a PostgreSQL transaction.
		var prev Clerk
		err := tx.NewSelect().Model(&prev).Column("id").
			Where("unit_id = ? AND id_no = ? AND status = ? AND card_type = ? AND card_serial = ? AND created_at >= ?",
				unitID, h.IDNo, ClerkActive, h.CardType, h.CardSerial, now.Add(-RepeatWindow)).
			Where("name = ? AND email = ? AND may_file = ? AND may_manage = ?", h.Name, h.Email, h.MayFile, h.MayManage).Limit(1).Scan(ctx)
		if err == nil {
			return &Repeated{What: "clerk", ID: prev.ID}
		}
		if !isNoRows(err) {
			return fmt.Errorf("models: add clerk: %w", err)
		}
		if _, err := tx.NewInsert().Model(h).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return apperr.InvalidFields("此人已是貴單位的承辦人。", map[string]string{"id_no": "此身分證號已指派為貴單位的承辦人；如要變更資料，請先刪除再新增。"})
			}
			return fmt.Errorf("models: add clerk: %w", err)
		}
		if err := audit(ctx, tx, now, a, Change{Action: "clerk.add", UnitID: unitID, ObjectType: "clerk", ObjectID: fmt.Sprint(h.ID),
			After: clerkAudit(h)}); err != nil {
			return err
		}
		if h.CardType == CardNHI {
			return sendAwaitingCode(ctx, tx, now, h)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// clerkCreator is who assigned a clerk, as the unit's list shows it: a
// clerk (the unit's manager) by name, the unit's own account as 投保單位.
func clerkCreator(a Actor) string {
	if a.Kind == ActorKindClerk {
		return a.Name
	}
	return "投保單位"
}

// CreatedByName is who assigned the clerk, in words: rows written before
// the name was stored say "unit" (the demo's) or the unit's name.
func (h *Clerk) CreatedByName() string {
	if h.CreatedBy == "" || h.CreatedBy == "unit" {
		return "投保單位"
	}
	return h.CreatedBy
}

func clerkAudit(h *Clerk) map[string]any {
	return map[string]any{"id_no": twid.Mask(h.IDNo), "name": h.Name, "card_type": h.CardType, "card_serial": h.CardSerial,
		"email": h.Email, "may_file": h.MayFile, "may_manage": h.MayManage, "status": h.Status}
}

// RevokeClerk deletes a clerk's assignment (刪除): revoked at once, their
// sessions end, their next request is refused.
func (s *Store) RevokeClerk(ctx context.Context, a Actor, unitID, clerkID int64) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		h := new(Clerk)
		err := tx.NewSelect().Model(h).Where("id = ? AND unit_id = ?", clerkID, unitID).Scan(ctx)
		if isNoRows(err) {
			return notFound("承辦人")
		}
		if err != nil {
			return fmt.Errorf("models: revoke clerk: %w", err)
		}
		if h.Status != ClerkActive {
			return apperr.New(apperr.Conflict, "這位承辦人已經刪除了。")
		}
		before := clerkAudit(h)
		res, err := tx.NewUpdate().Model(h).
			Set("status = ?, revoked_at = ?, revoked_by = ?, version = version + 1", ClerkRevoked, now, a.Name).
			Where("id = ? AND version = ?", h.ID, h.Version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: revoke clerk: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "這位承辦人的資料剛被變更，請重新整理後再試。")
		}
		ended, err := EndSessionsOfClerk(ctx, tx, h.ID)
		if err != nil {
			return err
		}
		h.Status = ClerkRevoked
		after := clerkAudit(h)
		after["sessions_ended"] = ended
		return audit(ctx, tx, now, a, Change{Action: "clerk.revoke", UnitID: unitID, ObjectType: "clerk", ObjectID: fmt.Sprint(h.ID),
			Before: before, After: after})
	})
}

// ClerkByID returns one clerk within the scope, or NotFound.
func ClerkByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*Clerk, error) {
	h := new(Clerk)
	err := sc.ofUnits(db.NewSelect().Model(h).Where("h.id = ?", id), "h.unit_id").Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("承辦人")
	}
	if err != nil {
		return nil, fmt.Errorf("models: clerk %d: %w", id, err)
	}
	return h, nil
}

// ClerksOfUnit lists a unit's clerks, active first, then by name; none
// when the unit is outside the scope.
func ClerksOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64) ([]Clerk, error) {
	var hs []Clerk
	p := bind(db)
	err := sc.ofUnitsBound(p, db.NewSelect().Conn(p).Model(&hs).Where("h.unit_id = ?", p.ID(unitID)), "h.unit_id").
		OrderExpr("CASE WHEN status = 'active' THEN 0 ELSE 1 END").Order("name", "id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: clerks of unit %d: %w", unitID, err)
	}
	return hs, nil
}

// Clerk is a person a unit authorised (指派) to use the system.
type Clerk struct {
	bun.BaseModel `bun:"table:clerks,alias:h"`
	ID            int64      `bun:"id,pk,autoincrement"`
	UnitID        int64      `bun:"unit_id"`
	CardType      string     `bun:"card_type"`
	IDNo          string     `bun:"id_no"`
	CardSerial    string     `bun:"card_serial"`
	CertIssuer    *string    `bun:"cert_issuer"`
	Name          string     `bun:"name"`
	Email         string     `bun:"email"`
	MayFile       bool       `bun:"may_file"`   // 允許使用所有加退保業務功能
	MayManage     bool       `bun:"may_manage"` // 單位管理者: may assign clerks and change the certificate
	Status        string     `bun:"status"`
	CreatedAt     time.Time  `bun:"created_at"`
	CreatedBy     string     `bun:"created_by"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	RevokedBy     string     `bun:"revoked_by"`
	Version       int64      `bun:"version"`
}
