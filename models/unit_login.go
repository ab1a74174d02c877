package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/password"
)

// kind is the login's certificate kind, MOEACA when not set.
func (in CertLogin) kind() certlogin.Kind {
	if in.Kind == "" {
		return certlogin.KindMOEACA
	}
	return in.Kind
}

// CertID returns the unit's identifier for certificates of kind: its
// 統一編號 for MOEACA, AgencyCode for GCA, OrgCode for XCA, MedicalCode for
// HCA; ok is false when the unit has none.
func (u *Unit) CertID(kind certlogin.Kind) (id string, ok bool) {
	var p *string
	switch kind {
	case certlogin.KindMOEACA:
		return u.BAN, u.BAN != ""
	case certlogin.KindGCA:
		p = u.AgencyCode
	case certlogin.KindXCA:
		p = u.OrgCode
	case certlogin.KindHCA:
		p = u.MedicalCode
	}
	if p == nil || *p == "" {
		return "", false
	}
	return *p, true
}

// HasCertID reports whether id, read from a certificate of kind, is the
// unit's identifier for that kind. An empty id never matches.
func (u *Unit) HasCertID(kind certlogin.Kind, id string) bool {
	own, ok := u.CertID(kind)
	return ok && id != "" && own == id
}

// Nonce purposes.
const (
	PurposeUnitLogin  = "unit_login"
	PurposeClerkLogin = "clerk_login"
	PurposeRegister   = "unit_register"
)

// Errors of unit-side logins, in the words the portal shows.
var (
	ErrCertNotRegistered = apperr.New(apperr.Unauthorized, "此憑證尚未註冊多憑證帳號，或帳號已註銷。請先以「註冊」完成單位註冊；若已註銷，請重新註冊。")
	ErrNHIBadCredentials = apperr.New(apperr.Unauthorized, "健保卡、密碼或投保單位代號不正確，請確認後再試。"+
		"尚未設定密碼或忘記密碼時：承辦人請至「健保卡網路服務註冊」，單位負責人請至「註冊」以開通碼設定密碼。")
	// ErrNHIDeregistered answers the right card and password of an
	// account that was deregistered: only then, so that the answer does
	// not tell a stranger which units exist.
	ErrNHIDeregistered = apperr.New(apperr.Unauthorized, "貴單位的多憑證帳號已註銷，無法再以此帳號登入。請以「註冊」重新註冊後再登入。")
	ErrClerkUnknown    = apperr.New(apperr.Unauthorized, "您尚未被指派為此系統的承辦人，或已被單位刪除。請洽貴單位的單位管理者。")
	ErrCertOtherUnit   = apperr.New(apperr.Unauthorized, "憑證上的單位識別碼（統一編號、機關代碼、組織代碼或醫事機構代碼）與投保單位不符，請使用貴單位的單位憑證。")
)

// ClosedUnitError is what a temporarily closed unit sees at login (Q5):
// call the branch's case officer.
func ClosedUnitError(b *Branch) error {
	return apperr.Newf(apperr.Forbidden, "請洽詢承辦人：貴單位的投保資料目前暫時關閉，請電洽%s %s，承辦人確認後會立即開啟。", b.Name, b.Phone)
}

// CertLogin is a verified certificate login attempt: the clerk has
// checked the chain, validity, revocation and signature (VerifyErr holds
// the first failure), and the store checks the rest in one transaction.
type CertLogin struct {
	Session   *Session // the pre-login session that asked for the nonce
	Nonce     []byte
	VerifyErr error  // nil when the certificate and signature passed
	Issuer    string // the certificate's issuer and serial, as stored on the account
	Serial    string
	// Kind is the unit certificate's kind, told by the anchor it chains to
	// (certlogin.UnitVerifiers); "" is read as MOEACA.
	Kind certlogin.Kind
	// UnitID is the identifier the certificate carries for Kind
	// (certlogin.UnitID): the 統一編號 of a 工商憑證, an agency's or
	// organization's identifier, a 醫事機構代碼. Empty when it has none.
	UnitID    string
	IP        string
	UserAgent string
}

// UnitCertLogin logs a unit in with its unit certificate: the nonce must
// be this session's and unused, the certificate must be the one bound to an
// active account registered with a certificate of the same kind, the
// identifier it carries for that kind the unit's (its 統一編號 for a
// 工商憑證, its 醫事機構代碼 for a 醫事憑證, and so on; never another kind's
// field), and the unit open. Every outcome is audited; the nonce is spent
// even when the login fails.
func (s *Store) UnitCertLogin(ctx context.Context, in CertLogin) (string, *Unit, error) {
	kind := in.kind()
	return s.certLoginTx(ctx, in, PurposeUnitLogin, "unit.login_failed", func(ctx context.Context, tx bun.Tx, now time.Time, fail loginFail) (string, *Unit, error) {
		acct := new(UnitAccount)
		err := tx.NewSelect().Model(acct).
			Where("reg_type = ? AND status = ? AND COALESCE(cert_kind, 'moeaca') = ? AND cert_issuer = ? AND cert_serial = ?",
				RegBusinessCert, AccountActive, string(kind), in.Issuer, in.Serial).
			Scan(ctx)
		if isNoRows(err) {
			return "", nil, fail(ErrCertNotRegistered, "憑證未註冊多憑證帳號或帳號已註銷", 0, "")
		}
		if err != nil {
			return "", nil, fmt.Errorf("models: unit login: %w", err)
		}
		u, err := UnitByID(ctx, tx, ScopeAll, acct.UnitID)
		if err != nil {
			return "", nil, err
		}
		if !u.HasCertID(kind, in.UnitID) {
			return "", nil, fail(ErrCertOtherUnit, kind.Name()+"上的"+kind.IDName()+"為 "+in.UnitID, u.ID, u.BranchCode)
		}
		if u.Status != UnitActive {
			return "", nil, fail(ClosedUnitError(u.Branch), "單位暫時關閉", u.ID, u.BranchCode)
		}
		token, err := s.startUnitSession(ctx, tx, in.Session, Session{Kind: SessionUnit, Role: RoleUnitOwner, UnitID: &u.ID, AccountID: &acct.ID,
			ClientIP: in.IP, UserAgent: in.UserAgent})
		if err != nil {
			return "", nil, err
		}
		return token, u, audit(ctx, tx, now, Actor{Kind: "unit", ID: acct.ID, Name: u.Name, Role: RoleUnitOwner, UnitID: u.ID, IP: in.IP},
			Change{Action: "unit.login", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "unit_account", ObjectID: fmt.Sprint(acct.ID),
				Reason: kind.Name() + " " + in.Serial})
	})
}

// loginFail audits a refused login and keeps err as the login's answer.
type loginFail func(err error, reason string, unitID int64, branch string) error

// certLoginTx runs a certificate login in one transaction: the nonce is
// spent and the signature's verification checked first; every refusal
// (through fail) is audited as failAction and returned after the commit,
// apart from database errors, which roll back. body does the rest.
func (s *Store) certLoginTx(ctx context.Context, in CertLogin, purpose, failAction string,
	body func(ctx context.Context, tx bun.Tx, now time.Time, fail loginFail) (string, *Unit, error)) (string, *Unit, error) {
	var (
		token    string
		unit     *Unit
		loginErr error
	)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		fail := func(e error, reason string, unitID int64, branch string) error {
			loginErr = e
			return audit(ctx, tx, now, Actor{Kind: "anonymous", Name: in.Serial, IP: in.IP},
				Change{Action: failAction, UnitID: unitID, Branch: branch, ObjectType: "certificate", ObjectID: in.Serial, Reason: reason})
		}
		if err := consumeNonce(ctx, tx, now, in.Session, in.Nonce, purpose); err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				return err
			}
			return fail(err, "登入驗證碼："+err.Error(), 0, "")
		}
		if in.VerifyErr != nil {
			return fail(in.VerifyErr, "憑證："+in.VerifyErr.Error(), 0, "")
		}
		var err error
		token, unit, err = body(ctx, tx, now, fail)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if loginErr != nil {
		return "", nil, loginErr
	}
	return token, unit, nil
}

// startUnitSession replaces the pre-login session with a new one.
func (s *Store) startUnitSession(ctx context.Context, tx bun.IDB, old *Session, tmpl Session) (string, error) {
	if old != nil {
		if _, err := tx.NewDelete().Model((*Session)(nil)).Where("id = ?", old.ID).Exec(ctx); err != nil {
			return "", fmt.Errorf("models: end pre-login session: %w", err)
		}
	}
	token, _, err := s.NewSession(ctx, tx, tmpl)
	return token, err
}

// NHILogin is a login with an NHI card's data and a password.
type NHILogin struct {
	Session   *Session
	UnitCode  string // for the unit account (負責人健保卡); empty for a clerk
	CardNo    string
	IDNo      string
	Password  string
	IP        string
	UserAgent string
}

// UnitNHILogin logs a unit in with the responsible person's NHI card, the
// account's password and the unit code. A wrong card, a wrong password and
// an unknown unit code get the same answer in about the same time;
// failures are throttled per unit code and per client.
func (s *Store) UnitNHILogin(ctx context.Context, in NHILogin) (string, *Unit, error) {
	var (
		token    string
		unit     *Unit
		loginErr error
	)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		actor := Actor{Kind: "anonymous", Name: in.UnitCode, IP: in.IP}
		change := Change{Action: "unit.login_failed", ObjectType: "unit_account"}
		if err := s.CheckThrottle(ctx, tx, ThrottleNHILogin, in.UnitCode, in.IP); err != nil {
			password.Burn(in.Password)
			loginErr, change.Reason = err, "失敗次數過多，暫停登入"
			return audit(ctx, tx, now, actor, change)
		}
		var u *Unit
		fail := func(reason string) error {
			loginErr, change.Reason = ErrNHIBadCredentials, reason
			delayed, err := s.RecordFailure(ctx, tx, ThrottleNHILogin, in.UnitCode, in.IP)
			if err != nil {
				return err
			}
			if delayed && u != nil {
				body := fmt.Sprintf("%s 起，以貴單位負責人健保卡帳號登入連續失敗多次（最近一次來源 IP：%s），系統已暫停該來源的登入數分鐘。"+
					"若不是貴單位的操作，請留意；忘記密碼可至「註冊」以開通碼重設。", now.In(taipei).Format("2006-01-02 15:04"), in.IP)
				if err := tellUnit(ctx, tx, now, u, "負責人健保卡登入多次失敗", body, fmt.Sprintf("unit-delay:%d:%d", u.ID, now.Unix()/600)); err != nil {
					return err
				}
			}
			return audit(ctx, tx, now, actor, change)
		}
		u = new(Unit)
		err := tx.NewSelect().Model(u).Relation("Branch").Where("unit.code = ?", in.UnitCode).Scan(ctx)
		if isNoRows(err) {
			u = nil
			password.Burn(in.Password)
			return fail("投保單位代號不存在")
		}
		if err != nil {
			return fmt.Errorf("models: unit NHI login: %w", err)
		}
		change.UnitID, change.Branch = u.ID, u.BranchCode
		acct, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
		if err != nil {
			return err
		}
		if acct == nil {
			old, err := deregisteredNHIAccount(ctx, tx, u.ID, in)
			if err != nil {
				return err
			}
			if old != nil {
				change.ObjectID = fmt.Sprint(old.ID)
				loginErr, change.Reason = ErrNHIDeregistered, "帳號已註銷"
				return audit(ctx, tx, now, actor, change)
			}
			return fail("單位沒有有效的負責人健保卡帳號")
		}
		if acct.RegType != RegNHICard {
			password.Burn(in.Password)
			return fail("單位沒有有效的負責人健保卡帳號")
		}
		change.ObjectID = fmt.Sprint(acct.ID)
		ok, err := password.Verify(in.Password, *acct.PasswordHash)
		if err != nil {
			return fmt.Errorf("models: unit NHI login: %w", err)
		}
		if !ok || *acct.NHICardNo != in.CardNo || *acct.NHIIDNo != in.IDNo {
			return fail("健保卡或密碼不正確")
		}
		if u.Status != UnitActive {
			loginErr, change.Reason = ClosedUnitError(u.Branch), "單位暫時關閉"
			return audit(ctx, tx, now, actor, change)
		}
		if err := s.ClearFailures(ctx, tx, ThrottleNHILogin, in.UnitCode); err != nil {
			return err
		}
		token, err = s.startUnitSession(ctx, tx, in.Session, Session{Kind: SessionUnit, Role: RoleUnitOwner, UnitID: &u.ID,
			AccountID: &acct.ID, ClientIP: in.IP, UserAgent: in.UserAgent})
		if err != nil {
			return err
		}
		unit = u
		return audit(ctx, tx, now, Actor{Kind: "unit", ID: acct.ID, Name: u.Name, Role: RoleUnitOwner, UnitID: u.ID, IP: in.IP},
			Change{Action: "unit.login", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "unit_account", ObjectID: fmt.Sprint(acct.ID),
				Reason: "負責人健保卡"})
	})
	if err != nil {
		return "", nil, err
	}
	if loginErr != nil {
		return "", nil, loginErr
	}
	return token, unit, nil
}

// deregisteredNHIAccount returns the unit's newest deregistered NHI-card
// account when the login's card and password are its own, else nil. It
// hashes the password once in every case, so that the answer takes about
// the same time as a wrong password's.
func deregisteredNHIAccount(ctx context.Context, tx bun.IDB, unitID int64, in NHILogin) (*UnitAccount, error) {
	acct := new(UnitAccount)
	err := tx.NewSelect().Model(acct).Where("unit_id = ? AND status = ? AND reg_type = ?", unitID, AccountDeregistered, RegNHICard).
		OrderExpr("id DESC").Limit(1).Scan(ctx)
	if isNoRows(err) || (err == nil && acct.PasswordHash == nil) {
		password.Burn(in.Password)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: deregistered account of unit %d: %w", unitID, err)
	}
	ok, err := password.Verify(in.Password, *acct.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("models: deregistered account of unit %d: %w", unitID, err)
	}
	if !ok || acct.NHICardNo == nil || *acct.NHICardNo != in.CardNo || acct.NHIIDNo == nil || *acct.NHIIDNo != in.IDNo {
		return nil, nil
	}
	return acct, nil
}
