package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/twid"
)

// ChangeUnitCert binds the unit's account to a new unit certificate
// (單位憑證變更作業, Q3). The certificate must have passed the checks of its
// kind's verifier and carry the unit's identifier for that kind (id, read
// by certlogin.UnitID); the kind may change with it (a hospital that had a
// 工商憑證 moving to its 醫事憑證). The old certificate stops working at
// once.
func (s *Store) ChangeUnitCert(ctx context.Context, a Actor, unitID int64, cert CertInfo, kind certlogin.Kind, id string) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, UnitScope(unitID), unitID)
		if err != nil {
			return err
		}
		acct, err := ActiveAccount(ctx, tx, UnitScope(unitID), unitID)
		if err != nil {
			return err
		}
		switch {
		case acct == nil:
			return apperr.New(apperr.Conflict, "貴單位沒有有效的多憑證帳號。")
		case acct.RegType != RegBusinessCert:
			return apperr.Newf(apperr.Invalid, "貴單位以負責人健保卡註冊，沒有單位憑證可變更。如要改用工商憑證，請電洽%s %s，由承辦人註銷原帳號後再以工商憑證重新註冊。",
				u.Branch.Name, u.Branch.Phone)
		case !u.HasCertID(kind, id):
			return apperr.Newf(apperr.Invalid, "這張%s的%s（%s）不是貴單位的%s，請放入貴單位的單位憑證。", kind.Name(), kind.IDName(), id, kind.IDName())
		case *acct.CertSerial == cert.Serial && *acct.CertIssuer == cert.Issuer:
			return apperr.New(apperr.Invalid, "這張憑證就是目前註冊的憑證，不需變更。")
		}
		before := map[string]any{"issuer": *acct.CertIssuer, "serial": *acct.CertSerial, "subject": *acct.CertSubject, "not_after": acct.CertNotAfter, "kind": acct.CertKind}
		res, err := tx.NewUpdate().Model(acct).
			Set("cert_issuer = ?, cert_serial = ?, cert_subject = ?, cert_not_before = ?, cert_not_after = ?, cert_kind = ?, version = version + 1",
				cert.Issuer, cert.Serial, cert.Subject, cert.NotBefore, cert.NotAfter, string(kind)).
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
			After: map[string]any{"issuer": cert.Issuer, "serial": cert.Serial, "subject": cert.Subject, "not_after": cert.NotAfter, "kind": string(kind)}})
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
