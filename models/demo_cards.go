package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/password"
)

// DemoCardPeople is who the demo's simulated cards belong to.
type DemoCardPeople struct {
	UnitCode     string  // the unit whose account the demo business certificate is bound to
	UnitName     string  //
	FreeUnitCode string  // an unregistered unit, for trying registration
	FreeUnitBAN  string  //
	FreeUnitName string  //
	HandlerName  string  // the handler bound to the demo citizen certificate
	HandlerIDNo  string  //
	Owner        NHICard // the responsible person of an NHI-card unit
	OwnerUnit    string  // that unit's code
	NHIHandler   NHICard // a handler who logs in with an NHI card (registered for network use)
}

// BindDemoCards ties the demo's certificate cards to demo records so that
// the simulated reader can log in: the business certificate to unit 0's
// account, the citizen certificate to its first citizen-certificate
// handler. It registers the NHI handler's card for network use with
// DemoPassword. It is idempotent. unitCert and handlerCert describe the
// demo cards' certificates, issued for the people DemoPeople names.
func (s *Store) BindDemoCards(ctx context.Context, unitCert, handlerCert CertInfo) error {
	pw, err := password.Hash(DemoPassword)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		p, err := demoCardPeople(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*UnitAccount)(nil)).
			Set("cert_issuer = ?, cert_serial = ?, cert_subject = ?, cert_not_before = ?, cert_not_after = ?",
				unitCert.Issuer, unitCert.Serial, unitCert.Subject, unitCert.NotBefore, unitCert.NotAfter).
			Where("unit_id = (SELECT id FROM units WHERE code = ?) AND status = ? AND reg_type = ?", p.UnitCode, AccountActive, RegBusinessCert).
			Where("cert_serial <> ?", unitCert.Serial).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: bind demo cards: %w", err)
		}
		changed, _ := res.RowsAffected()
		res, err = tx.NewUpdate().Model((*Handler)(nil)).
			Set("card_serial = ?, cert_issuer = ?", handlerCert.Serial, handlerCert.Issuer).
			Where("id = (SELECT MIN(h.id) FROM handlers AS h JOIN units AS u ON u.id = h.unit_id WHERE u.code = ? AND h.card_type = ? AND h.status = ?)",
				p.UnitCode, CardCitizenCert, HandlerActive).
			Where("card_serial <> ?", handlerCert.Serial).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: bind demo cards: %w", err)
		}
		n, _ := res.RowsAffected()
		changed += n
		reg, err := nhiRegistration(ctx, tx, p.NHIHandler.IDNo)
		if err != nil {
			return err
		}
		if reg == nil {
			reg = &NHIRegistration{IDNo: p.NHIHandler.IDNo, CardNo: p.NHIHandler.CardNo, Name: p.NHIHandler.Name, PasswordHash: pw,
				CreatedAt: now, UpdatedAt: now, Version: 1}
			if _, err := tx.NewInsert().Model(reg).Exec(ctx); err != nil {
				return fmt.Errorf("models: bind demo cards: %w", err)
			}
			changed++
		}
		if changed == 0 {
			return nil
		}
		return audit(ctx, tx, now, SystemActor, Change{Action: "demo.cards", ObjectType: "demo",
			After: map[string]string{"unit": p.UnitCode, "unit_cert_serial": unitCert.Serial, "handler_cert_serial": handlerCert.Serial}})
	})
}

// DemoPeople returns who the demo's cards belong to.
func (s *Store) DemoPeople(ctx context.Context) (*DemoCardPeople, error) {
	return demoCardPeople(ctx, s.DB)
}

func demoCardPeople(ctx context.Context, db bun.IDB) (*DemoCardPeople, error) {
	p := &DemoCardPeople{UnitCode: DemoUnitCode(0), OwnerUnit: DemoUnitCode(6), FreeUnitCode: DemoUnitCode(9)}
	load := func(code string) (*Unit, error) {
		u := new(Unit)
		if err := db.NewSelect().Model(u).Where("code = ?", code).Scan(ctx); err != nil {
			return nil, fmt.Errorf("models: demo unit %s: %w (seed the demo first)", code, err)
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
	var h Handler
	if err := db.NewSelect().Model(&h).Where("unit_id = ? AND card_type = ? AND status = ?", u0.ID, CardCitizenCert, HandlerActive).
		Order("id").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: demo citizen handler: %w", err)
	}
	p.HandlerName, p.HandlerIDNo = h.Name, h.IDNo
	owner, err := load(p.OwnerUnit)
	if err != nil {
		return nil, err
	}
	acct, err := ActiveAccount(ctx, db, owner.ID)
	if err != nil || acct == nil || acct.NHICardNo == nil {
		return nil, fmt.Errorf("models: demo NHI-card unit %s has no NHI account: %v", p.OwnerUnit, err)
	}
	p.Owner = NHICard{CardNo: *acct.NHICardNo, Name: owner.OwnerName, IDNo: *acct.NHIIDNo}
	var nh Handler
	if err := db.NewSelect().Model(&nh).
		Where("card_type = ? AND status = ? AND unit_id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')", CardNHI, HandlerActive).
		Where("unit_id IN (SELECT id FROM units WHERE status = 'active')").
		Order("id").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: demo NHI handler: %w", err)
	}
	p.NHIHandler = NHICard{CardNo: nh.CardSerial, Name: nh.Name, IDNo: nh.IDNo}
	return p, nil
}
