package models

import (
	"context"
	"fmt"
	"strings"

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
}

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
		MayFile: in.MayFile, MayManage: in.MayManage, Status: ClerkActive, CreatedBy: a.Name, Version: 1}
	if in.CardType == CardCitizenCert {
		h.CertIssuer = &in.CertIssuer
	}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		h.CreatedAt = now
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

// ChangeUnitCert binds the unit's account to a new business certificate
// (單位憑證變更作業, Q3). The certificate must have passed the checks of
// the business certificate verifier and carry the unit's 統一編號; the old
// certificate stops working at once.
func (s *Store) ChangeUnitCert(ctx context.Context, a Actor, unitID int64, cert CertInfo, ban string) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, UnitScope(unitID), unitID)
		if err != nil {
			return err
		}
		acct, err := ActiveAccount(ctx, tx, unitID)
		if err != nil {
			return err
		}
		switch {
		case acct == nil:
			return apperr.New(apperr.Conflict, "貴單位沒有有效的多憑證帳號。")
		case acct.RegType != RegBusinessCert:
			return apperr.Newf(apperr.Invalid, "貴單位以負責人健保卡註冊，沒有單位憑證可變更。如要改用工商憑證，請電洽%s %s，由承辦人註銷原帳號後再以工商憑證重新註冊。",
				u.Branch.Name, u.Branch.Phone)
		case ban != u.BAN:
			return apperr.Newf(apperr.Invalid, "這張憑證的統一編號（%s）不是貴單位的統一編號（%s），請放入貴單位的工商憑證。", ban, u.BAN)
		case *acct.CertSerial == cert.Serial && *acct.CertIssuer == cert.Issuer:
			return apperr.New(apperr.Invalid, "這張憑證就是目前註冊的憑證，不需變更。")
		}
		before := map[string]any{"issuer": *acct.CertIssuer, "serial": *acct.CertSerial, "subject": *acct.CertSubject, "not_after": acct.CertNotAfter}
		res, err := tx.NewUpdate().Model(acct).
			Set("cert_issuer = ?, cert_serial = ?, cert_subject = ?, cert_not_before = ?, cert_not_after = ?, version = version + 1",
				cert.Issuer, cert.Serial, cert.Subject, cert.NotBefore, cert.NotAfter).
			Where("id = ? AND version = ?", acct.ID, acct.Version).Exec(ctx)
		if err != nil {
			if isUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "這張憑證已註冊給另一個帳號。")
			}
			return fmt.Errorf("models: change certificate: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "帳號資料剛被變更，請重新整理後再試。")
		}
		return audit(ctx, tx, now, a, Change{Action: "unit.cert_change", UnitID: unitID, Branch: u.BranchCode, ObjectType: "unit_account",
			ObjectID: fmt.Sprint(acct.ID), Before: before,
			After: map[string]any{"issuer": cert.Issuer, "serial": cert.Serial, "subject": cert.Subject, "not_after": cert.NotAfter}})
	})
}

// updateUnit applies change to the unit under optimistic locking and
// audits before and after.
func (s *Store) updateUnit(ctx context.Context, a Actor, unitID int64, action string, change func(u *Unit) (before, after map[string]any, cols []string)) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, UnitScope(unitID), unitID)
		if err != nil {
			return err
		}
		before, after, cols := change(u)
		if len(cols) == 0 {
			return apperr.New(apperr.Invalid, "資料沒有變更。")
		}
		u.UpdatedAt = now
		q := tx.NewUpdate().Model(u).Column(cols...).Column("updated_at").Set("version = version + 1").
			Where("id = ? AND version = ?", u.ID, u.Version)
		res, err := q.Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: %s: %w", action, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "單位資料剛被變更，請重新整理後再試。")
		}
		return audit(ctx, tx, now, a, Change{Action: action, UnitID: u.ID, Branch: u.BranchCode, ObjectType: "unit", ObjectID: fmt.Sprint(u.ID),
			Before: before, After: after})
	})
}

// SetLaborInsNo adds or changes the unit's 勞保證號 (Q8); it takes effect
// at once.
func (s *Store) SetLaborInsNo(ctx context.Context, a Actor, unitID int64, v string) error {
	v = twid.Normalize(v)
	if err := twid.CheckLaborInsuranceNo(v); err != nil {
		return apperr.InvalidFields("勞保證號"+err.Error(), map[string]string{"labor_ins_no": "勞保證號" + err.Error() + "（數字 8 碼加英文字母 1 碼，例如 12345678A）"})
	}
	return s.updateUnit(ctx, a, unitID, "unit.labor_ins_no", func(u *Unit) (map[string]any, map[string]any, []string) {
		old := ""
		if u.LaborInsNo != nil {
			old = *u.LaborInsNo
		}
		if old == v {
			return nil, nil, nil
		}
		u.LaborInsNo = &v
		return map[string]any{"labor_ins_no": old}, map[string]any{"labor_ins_no": v}, []string{"labor_ins_no"}
	})
}

// ContactInput is 基本資料變更-不需證明文件 (Q9.2): the mailing address (when
// ChangeMail), phone and fax.
type ContactInput struct {
	ChangeMail bool
	Mail       Address
	Phone, Fax string
}

// Validate checks the input and says what is wrong per field.
func (in *ContactInput) Validate() error {
	in.Mail = NormalizeAddress(in.Mail)
	in.Phone, in.Fax = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Fax)
	f := fieldErrors{}
	if in.ChangeMail {
		f.address("mail", in.Mail)
	}
	f.phone("phone", "通訊電話", in.Phone, true)
	f.phone("fax", "電話傳真", in.Fax, false)
	return f.err("資料有誤，請依欄位旁的說明修正。")
}

// UpdateContact saves the mailing address, phone and fax at once.
func (s *Store) UpdateContact(ctx context.Context, a Actor, unitID int64, in ContactInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return s.updateUnit(ctx, a, unitID, "unit.contact", func(u *Unit) (map[string]any, map[string]any, []string) {
		before, after := map[string]any{}, map[string]any{}
		var cols []string
		if in.ChangeMail && in.Mail != u.Mail {
			before["mail"], after["mail"] = u.Mail.String(), in.Mail.String()
			u.Mail = in.Mail
			cols = append(cols, "mail_county", "mail_township", "mail_village", "mail_neighborhood", "mail_street")
		}
		if in.Phone != u.Phone {
			before["phone"], after["phone"] = u.Phone, in.Phone
			u.Phone = in.Phone
			cols = append(cols, "phone")
		}
		if in.Fax != u.Fax {
			before["fax"], after["fax"] = u.Fax, in.Fax
			u.Fax = in.Fax
			cols = append(cols, "fax")
		}
		return before, after, cols
	})
}

// ClerkOfUnit returns one clerk of the unit, or NotFound.
func ClerkOfUnit(ctx context.Context, db bun.IDB, unitID, id int64) (*Clerk, error) {
	h := new(Clerk)
	err := db.NewSelect().Model(h).Where("id = ? AND unit_id = ?", id, unitID).Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("承辦人")
	}
	if err != nil {
		return nil, fmt.Errorf("models: clerk %d: %w", id, err)
	}
	return h, nil
}
