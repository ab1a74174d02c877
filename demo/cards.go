package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/password"
	"github.com/multicert/multicert/models"
)

// CardPeople is who the demo's simulated cards belong to.
type CardPeople struct {
	UnitCode     string         // the unit whose account the demo business certificate is bound to
	UnitName     string         //
	FreeUnitCode string         // an unregistered unit, for trying registration
	FreeUnitBAN  string         //
	FreeUnitName string         //
	ClerkName    string         // the clerk bound to the demo citizen certificate
	ClerkIDNo    string         //
	Owner        models.NHICard // the responsible person of an NHI-card unit
	OwnerUnit    string         // that unit's code
	NHIClerk     models.NHICard // a clerk who logs in with an NHI card (registered for network use)
	KindUnits    []KindUnit     // units with a 政府憑證, 組織及團體憑證 or 醫事憑證 card (filled in by the caller that issues them)
}

// BindCards ties the demo's certificate cards to demo records so that the
// simulated reader can log in: the business certificate to unit 0's
// account, the citizen certificate to its first citizen-certificate
// clerk. It registers the NHI clerk's card for network use with
// Password. It is idempotent. unitCert and clerkCert describe the demo
// cards' certificates, issued for the people People names.
func BindCards(ctx context.Context, s *models.Store, unitCert, clerkCert models.CertInfo) error {
	pw, err := password.Hash(Password)
	if err != nil {
		return err
	}
	return s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.Timestamp()
		p, err := People(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*models.UnitAccount)(nil)).
			Set("cert_issuer = ?, cert_serial = ?, cert_subject = ?, cert_not_before = ?, cert_not_after = ?",
				unitCert.Issuer, unitCert.Serial, unitCert.Subject, unitCert.NotBefore, unitCert.NotAfter).
			Where("unit_id = (SELECT id FROM units WHERE code = ?) AND status = ? AND reg_type = ?", p.UnitCode, models.AccountActive, models.RegBusinessCert).
			Where("cert_serial <> ?", unitCert.Serial).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("demo: bind cards: %w", err)
		}
		changed, _ := res.RowsAffected()
		res, err = tx.NewUpdate().Model((*models.Clerk)(nil)).
			Set("card_serial = ?, cert_issuer = ?", clerkCert.Serial, clerkCert.Issuer).
			Where("id = (SELECT MIN(h.id) FROM clerks AS h JOIN units AS u ON u.id = h.unit_id WHERE u.code = ? AND h.card_type = ? AND h.status = ?)",
				p.UnitCode, models.CardCitizenCert, models.ClerkActive).
			Where("card_serial <> ?", clerkCert.Serial).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("demo: bind cards: %w", err)
		}
		n, _ := res.RowsAffected()
		changed += n
		registered, err := tx.NewSelect().Model((*models.NHIRegistration)(nil)).Where("id_no = ?", p.NHIClerk.IDNo).Exists(ctx)
		if err != nil {
			return fmt.Errorf("demo: bind cards: NHI registration: %w", err)
		}
		if !registered {
			reg := &models.NHIRegistration{IDNo: p.NHIClerk.IDNo, CardNo: p.NHIClerk.CardNo, Name: p.NHIClerk.Name, PasswordHash: pw,
				CreatedAt: now, UpdatedAt: now, Version: 1}
			if _, err := tx.NewInsert().Model(reg).Exec(ctx); err != nil {
				return fmt.Errorf("demo: bind cards: %w", err)
			}
			changed++
		}
		if changed == 0 {
			return nil
		}
		return s.Audit(ctx, tx, models.SystemActor, models.Change{Action: "demo.cards", ObjectType: "demo",
			After: map[string]string{"unit": p.UnitCode, "unit_cert_serial": unitCert.Serial, "clerk_cert_serial": clerkCert.Serial}})
	})
}

// People returns who the demo's cards belong to (seed the demo first).
func People(ctx context.Context, db bun.IDB) (*CardPeople, error) {
	p := &CardPeople{UnitCode: UnitCode(0), OwnerUnit: UnitCode(6), FreeUnitCode: UnitCode(9)}
	load := func(code string) (*models.Unit, error) {
		u := new(models.Unit)
		if err := db.NewSelect().Model(u).Where("code = ?", code).Scan(ctx); err != nil {
			return nil, fmt.Errorf("demo: unit %s: %w (seed the demo first)", code, err)
		}
		return u, nil
	}
	u0, err := load(p.UnitCode)
	if err != nil {
		return nil, err
	}
	p.UnitName = u0.Name
	free, err := load(p.FreeUnitCode)
	if err != nil {
		return nil, err
	}
	p.FreeUnitBAN, p.FreeUnitName = free.BAN, free.Name
	var h models.Clerk
	if err := db.NewSelect().Model(&h).Where("unit_id = ? AND card_type = ? AND status = ?", u0.ID, models.CardCitizenCert, models.ClerkActive).
		Order("id").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo: citizen clerk: %w", err)
	}
	p.ClerkName, p.ClerkIDNo = h.Name, h.IDNo
	owner, err := load(p.OwnerUnit)
	if err != nil {
		return nil, err
	}
	acct, err := models.ActiveAccount(ctx, db, models.UnitScope(owner.ID), owner.ID)
	if err != nil || acct == nil || acct.NHICardNo == nil {
		return nil, fmt.Errorf("demo: NHI-card unit %s has no NHI account: %v", p.OwnerUnit, err)
	}
	p.Owner = models.NHICard{CardNo: *acct.NHICardNo, Name: owner.OwnerName, IDNo: *acct.NHIIDNo}
	var nh models.Clerk
	if err := db.NewSelect().Model(&nh).
		Where("card_type = ? AND status = ? AND unit_id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')", models.CardNHI, models.ClerkActive).
		Where("unit_id IN (SELECT id FROM units WHERE status = 'active')").
		Order("id").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo: NHI clerk: %w", err)
	}
	p.NHIClerk = models.NHICard{CardNo: nh.CardSerial, Name: nh.Name, IDNo: nh.IDNo}
	return p, nil
}

// KindUnit is a demo unit that logs in with a unit certificate of another
// kind than the 工商憑證: a government agency (政府憑證, GCA), a school
// (組織及團體憑證, XCA) or a hospital (醫事憑證, HCA).
type KindUnit struct {
	Kind certlogin.Kind
	Code string // 投保單位代號
	Name string
	ID   string // the identifier its card carries: agency or organization identifier, 醫事機構代碼
}

// kindUnits are the demo's units of the other kinds: demo units whose
// accounts are registered with a unit certificate, with made-up
// identifiers in the forms docs/certificates.md describes.
var kindUnits = []struct {
	kind  certlogin.Kind
	index int
	id    string
	name  string
}{
	{certlogin.KindGCA, 11, "2.16.886.101.90000.20011", "示範市政府環境保護局"},
	{certlogin.KindXCA, 12, "2.16.886.101.90000.30012", "示範科技大學"},
	{certlogin.KindHCA, 13, "3599990013", "示範綜合醫院"},
}

// KindUnits returns the demo's units of the other unit certificate kinds
// (seed the demo first): units 11 to 13, those of them that were seeded.
func KindUnits(ctx context.Context, db bun.IDB) ([]KindUnit, error) {
	var out []KindUnit
	for _, k := range kindUnits {
		u := new(models.Unit)
		if err := db.NewSelect().Model(u).Where("code = ?", UnitCode(k.index)).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
			continue // a demo of fewer units
		} else if err != nil {
			return nil, fmt.Errorf("demo: unit %s: %w", UnitCode(k.index), err)
		}
		out = append(out, KindUnit{Kind: k.kind, Code: u.Code, Name: u.Name, ID: k.id})
	}
	return out, nil
}

// BindKindCards gives each of KindUnits its identifier for its kind (when
// it has none) and binds its active account to certs[kind], the demo
// card of that kind, so that the simulated reader logs it in. It is
// idempotent.
func BindKindCards(ctx context.Context, s *models.Store, certs map[certlogin.Kind]models.CertInfo) error {
	return s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		units, err := KindUnits(ctx, tx)
		if err != nil {
			return err
		}
		changed := map[string]string{}
		for _, ku := range units {
			col := map[certlogin.Kind]string{certlogin.KindGCA: "agency_code", certlogin.KindXCA: "org_code", certlogin.KindHCA: "medical_code"}[ku.Kind]
			res, err := tx.NewUpdate().Model((*models.Unit)(nil)).Set("? = ?", bun.Ident(col), ku.ID).
				Where("code = ?", ku.Code).Where("? IS NULL", bun.Ident(col)).Exec(ctx)
			if err != nil {
				return fmt.Errorf("demo: bind %s card: %w", ku.Kind, err)
			}
			n, _ := res.RowsAffected()
			c, ok := certs[ku.Kind]
			if !ok {
				continue
			}
			res, err = tx.NewUpdate().Model((*models.UnitAccount)(nil)).
				Set("cert_issuer = ?, cert_serial = ?, cert_subject = ?, cert_not_before = ?, cert_not_after = ?, cert_kind = ?",
					c.Issuer, c.Serial, c.Subject, c.NotBefore, c.NotAfter, string(ku.Kind)).
				Where("unit_id = (SELECT id FROM units WHERE code = ?) AND status = ? AND reg_type = ?", ku.Code, models.AccountActive, models.RegBusinessCert).
				Where("cert_serial <> ? OR cert_kind IS NULL OR cert_kind <> ?", c.Serial, string(ku.Kind)).
				Exec(ctx)
			if err != nil {
				return fmt.Errorf("demo: bind %s card: %w", ku.Kind, err)
			}
			m, _ := res.RowsAffected()
			if n+m > 0 {
				changed[ku.Code] = string(ku.Kind) + " " + c.Serial
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return s.Audit(ctx, tx, models.SystemActor, models.Change{Action: "demo.cards", ObjectType: "demo", After: changed})
	})
}
