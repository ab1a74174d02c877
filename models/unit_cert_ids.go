package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
)

// UnitCertIDs are a unit's identifiers for the unit certificates other
// than the 工商憑證 (whose identifier is the 統一編號): "" for none.
type UnitCertIDs struct {
	AgencyCode  string // 政府憑證 (GCA)
	OrgCode     string // 組織及團體憑證 (XCA)
	MedicalCode string // 醫事憑證 (HCA): 醫事機構代碼
}

// SetUnitCertIDs records the identifiers that a unit's 政府憑證, 組織及團體憑證
// or 醫事憑證 carries (staff, from the unit's documents): a certificate of
// that kind whose identifier is one of them may then register the unit and
// log in as it. Each identifier names one unit only; "" removes one. The
// change is audited with before and after.
func (s *Store) SetUnitCertIDs(ctx context.Context, a Actor, sc Scope, unitID int64, ids UnitCertIDs) error {
	fields := []struct {
		kind  certlogin.Kind
		col   string
		field string
		v     string
	}{
		{certlogin.KindGCA, "agency_code", "agency_code", strings.TrimSpace(ids.AgencyCode)},
		{certlogin.KindXCA, "org_code", "org_code", strings.TrimSpace(ids.OrgCode)},
		{certlogin.KindHCA, "medical_code", "medical_code", strings.ToUpper(strings.TrimSpace(ids.MedicalCode))},
	}
	f := fieldErrors{}
	for _, x := range fields {
		if x.v == "" {
			continue
		}
		if err := certlogin.CheckUnitID(x.kind, x.v); err != nil {
			f[x.field] = err.Error() + "，請依憑證上記載的內容輸入。"
		}
	}
	if err := f.err("單位憑證識別碼的格式不正確。"); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, sc, unitID)
		if err != nil {
			return err
		}
		before, after := map[string]string{}, map[string]string{}
		q := tx.NewUpdate().Model((*Unit)(nil))
		for _, x := range fields {
			old, _ := u.CertID(x.kind)
			if old == x.v {
				continue
			}
			before[x.col], after[x.col] = old, x.v
			var v *string
			if x.v != "" {
				v = &x.v
			}
			q = q.Set("? = ?", bun.Ident(x.col), v)
		}
		if len(after) == 0 {
			return apperr.New(apperr.Invalid, "資料沒有變更。")
		}
		res, err := q.Set("updated_at = ?, version = version + 1", now).Where("id = ? AND version = ?", u.ID, u.Version).Exec(ctx)
		if err != nil {
			if isUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "這個識別碼已登記給另一個投保單位：一個識別碼只能對應一個單位，請先確認。")
			}
			return fmt.Errorf("models: unit certificate identifiers: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "單位資料剛被變更，請重新整理後再試。")
		}
		return audit(ctx, tx, now, a, Change{Action: "unit.cert_ids", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "unit",
			ObjectID: fmt.Sprint(u.ID), Before: before, After: after})
	})
}
