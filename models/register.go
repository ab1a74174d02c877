package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/password"
)

// CertInfo is what the store keeps of a certificate bound to an account.
type CertInfo struct {
	Issuer, Serial, Subject string
	NotBefore, NotAfter     time.Time
}

// isUniqueViolation reports a unique-constraint failure on either database.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func alreadyRegistered(u *Unit, a *UnitAccount) error {
	how := label(a.RegType)
	return apperr.Newf(apperr.Conflict, "貴單位已以%s註冊多憑證帳號，請直接登入。如需改用其他方式註冊，請電洽%s %s，由承辦人註銷原帳號後再重新註冊。",
		how, u.Branch.Name, u.Branch.Phone)
}

func label(regType string) string {
	if regType == RegBusinessCert {
		return "工商憑證"
	}
	return "負責人健保卡"
}

// registrationUnit finds the unit a registration is for and checks that it
// may register: code and 統一編號 match, open, no active account.
func registrationUnit(ctx context.Context, tx bun.IDB, code, ban string) (*Unit, error) {
	u := new(Unit)
	err := tx.NewSelect().Model(u).Relation("Branch").Where("unit.code = ?", code).Scan(ctx)
	if isNoRows(err) || (err == nil && ban != "" && u.BAN != ban) {
		return nil, apperr.InvalidFields("投保單位代號與統一編號不符，請確認。",
			map[string]string{"unit_code": "查無此投保單位代號，或與統一編號不符。"})
	}
	if err != nil {
		return nil, fmt.Errorf("models: register: %w", err)
	}
	if u.Status != UnitActive {
		return nil, ClosedUnitError(u.Branch)
	}
	a, err := ActiveAccount(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	if a != nil {
		return nil, alreadyRegistered(u, a)
	}
	return u, nil
}

// RegisterUnitCert registers a unit with its business certificate (註冊)
// and logs it in. The certificate must have passed verification
// (in.VerifyErr nil) and carry the unit's 統一編號.
func (s *Store) RegisterUnitCert(ctx context.Context, in CertLogin, unitCode string, cert CertInfo) (string, *Unit, error) {
	var token string
	var unit *Unit
	var refuse error
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		fail := func(e error) error {
			refuse = e
			return audit(ctx, tx, now, Actor{Kind: "anonymous", Name: unitCode, IP: in.IP},
				Change{Action: "unit.register_failed", ObjectType: "certificate", ObjectID: in.Serial, Reason: e.Error()})
		}
		if err := consumeNonce(ctx, tx, now, in.Session, in.Nonce, PurposeRegister); err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				return err
			}
			return fail(err)
		}
		if in.VerifyErr != nil {
			return fail(in.VerifyErr)
		}
		u, err := registrationUnit(ctx, tx, unitCode, "")
		if err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				return err
			}
			return fail(err)
		}
		if in.BAN != u.BAN {
			return fail(ErrCertOtherUnit)
		}
		a := &UnitAccount{UnitID: u.ID, RegType: RegBusinessCert, CertIssuer: &cert.Issuer, CertSerial: &cert.Serial,
			CertSubject: &cert.Subject, CertNotBefore: &cert.NotBefore, CertNotAfter: &cert.NotAfter,
			Status: AccountActive, RegisteredAt: now, Version: 1}
		if token, unit, err = s.insertAccount(ctx, tx, now, in.Session, u, a, in.IP, in.UserAgent); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return token, unit, refuse
}

// RegisterUnitNHI registers a unit with its responsible person's NHI card
// and a new password, and logs it in. The card must be the responsible
// person's on the bureau's record.
func (s *Store) RegisterUnitNHI(ctx context.Context, sess *Session, unitCode, ban string, card NHICard, pw, ip, ua string) (string, *Unit, error) {
	if msg := CheckPasswordStrength(pw, card.IDNo); msg != "" {
		return "", nil, apperr.InvalidFields(msg, map[string]string{"password": msg})
	}
	h, err := password.Hash(pw)
	if err != nil {
		return "", nil, err
	}
	var token string
	var unit *Unit
	var refuse error
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		fail := func(e error) error {
			refuse = e
			return audit(ctx, tx, now, Actor{Kind: "anonymous", Name: unitCode, IP: ip},
				Change{Action: "unit.register_failed", ObjectType: "nhi_card", ObjectID: card.CardNo, Reason: e.Error()})
		}
		u, err := registrationUnit(ctx, tx, unitCode, ban)
		if err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				return err
			}
			return fail(err)
		}
		if u.OwnerIDNo == nil || *u.OwnerIDNo != card.IDNo {
			return fail(apperr.Newf(apperr.Invalid, "讀卡機中的健保卡不是本署登記的貴單位負責人。請插入負責人的健保卡；負責人已變更者，請電洽%s %s。",
				u.Branch.Name, u.Branch.Phone))
		}
		a := &UnitAccount{UnitID: u.ID, RegType: RegNHICard, NHICardNo: &card.CardNo, NHIIDNo: &card.IDNo, PasswordHash: &h,
			Status: AccountActive, RegisteredAt: now, Version: 1}
		token, unit, err = s.insertAccount(ctx, tx, now, sess, u, a, ip, ua)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return token, unit, refuse
}

func (s *Store) insertAccount(ctx context.Context, tx bun.IDB, now time.Time, sess *Session, u *Unit, a *UnitAccount, ip, ua string) (string, *Unit, error) {
	if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return "", nil, apperr.New(apperr.Conflict, "貴單位剛剛已完成註冊，請直接登入。")
		}
		return "", nil, fmt.Errorf("models: register unit %s: %w", u.Code, err)
	}
	after := map[string]string{"reg_type": a.RegType}
	if a.CertSerial != nil {
		after["cert_serial"], after["cert_issuer"] = *a.CertSerial, *a.CertIssuer
	} else {
		after["nhi_card_no"] = *a.NHICardNo
	}
	actor := Actor{Kind: "unit", ID: a.ID, Name: u.Name, Role: RoleUnitOwner, UnitID: u.ID, IP: ip}
	if err := audit(ctx, tx, now, actor, Change{Action: "unit.register", UnitID: u.ID, Branch: u.BranchCode,
		ObjectType: "unit_account", ObjectID: fmt.Sprint(a.ID), After: after}); err != nil {
		return "", nil, err
	}
	token, err := s.startUnitSession(ctx, tx, sess, Session{Kind: SessionUnit, Role: RoleUnitOwner, UnitID: &u.ID, AccountID: &a.ID,
		ClientIP: ip, UserAgent: ua})
	return token, u, err
}
