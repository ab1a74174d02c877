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
	"github.com/multicert/multicert/internal/certlogin"
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
	how := label(a)
	return apperr.Newf(apperr.Conflict, "貴單位已以%s註冊多憑證帳號，請直接登入。如需改用其他方式註冊，請電洽%s %s，由承辦人註銷原帳號後再重新註冊。",
		how, u.Branch.Name, u.Branch.Phone)
}

func label(a *UnitAccount) string {
	if a.RegType != RegBusinessCert {
		return "負責人健保卡"
	}
	if a.CertKind != nil {
		return certlogin.Kind(*a.CertKind).Name()
	}
	return "工商憑證"
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
	a, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
	if err != nil {
		return nil, err
	}
	if a != nil {
		return nil, alreadyRegistered(u, a)
	}
	return u, nil
}

// RegisterUnitCert registers a unit with its unit certificate (註冊) and
// logs it in. The certificate must have passed verification (in.VerifyErr
// nil) by its kind's verifier and carry the unit's identifier for that kind
// (in.Kind, in.UnitID): a 醫事憑證 registers only a unit whose
// 醫事機構代碼 it carries, whatever else its subject says.
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
		kind := in.kind()
		if !u.HasCertID(kind, in.UnitID) {
			return fail(ErrCertOtherUnit)
		}
		k := string(kind)
		a := &UnitAccount{UnitID: u.ID, RegType: RegBusinessCert, CertKind: &k, CertIssuer: &cert.Issuer, CertSerial: &cert.Serial,
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

// UnitCodeSent is the one answer to a request for a 開通碼: the same whether
// or not the unit code, 統一編號 and card match a unit that may register.
const UnitCodeSent = "已受理。若投保單位代號、統一編號與負責人健保卡都相符，開通碼已寄到貴單位在本署登記的電子郵件信箱（30 分鐘內有效）。" +
	"貴單位未在本署登記電子郵件信箱，或收不到信時，請電洽所屬分區業務組，由承辦人核發開通碼。"

// RequestUnitCode is the first step of a unit's registration with the
// responsible person's NHI card: unit code, 統一編號 and the card in the
// reader. When they match a unit that may register (or reset the password
// of its NHI-card account) and the unit has an e-mail on file, a 開通碼
// goes there. Card data and the two numbers are semi-public, so they only
// decide whether a code is sent; the answer is always UnitCodeSent.
func (s *Store) RequestUnitCode(ctx context.Context, unitCode, ban string, card NHICard, ip string) error {
	if err := card.Valid(); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		if err := s.CheckThrottle(ctx, tx, ThrottleRegister, unitCode, ip); err != nil {
			return err
		}
		if _, err := s.RecordFailure(ctx, tx, ThrottleRegister, unitCode, ip); err != nil {
			return err
		}
		actor := Actor{Kind: "anonymous", Name: unitCode, IP: ip}
		refused := func(reason string, u *Unit) error {
			ch := Change{Action: "unit.register_code_refused", ObjectType: "unit", Reason: reason}
			if u != nil {
				ch.UnitID, ch.Branch, ch.ObjectID = u.ID, u.BranchCode, fmt.Sprint(u.ID)
			}
			return audit(ctx, tx, now, actor, ch)
		}
		u, reason, err := nhiRegistrableUnit(ctx, tx, unitCode, ban, card)
		if err != nil {
			return err
		}
		if reason != "" {
			return refused(reason, u)
		}
		if u.Email == "" {
			return refused("單位未登記電子郵件", u)
		}
		code := randomCode(codeAlphabet, 10)
		c := &OneTimeCode{Purpose: CodeUnitRegister, Subject: u.Code, UnitID: &u.ID, CardNo: card.CardNo, CardName: card.Name,
			Source: CodeByEmail, SentTo: MaskEmail(u.Email), ExpiresAt: now.Add(UnitCodeTTL)}
		if err := issueCode(ctx, tx, now, c, code); err != nil {
			return err
		}
		body := fmt.Sprintf("%s（投保單位代號 %s）您好：\n\n有人以貴單位負責人的健保卡申請以「負責人健保卡」註冊多憑證網路承保作業（或重設其密碼）。\n\n"+
			"開通碼：%s\n\n請於 %s 前（30 分鐘內）在「註冊」頁選擇「負責人健保卡」，輸入開通碼並設定密碼。開通碼只能使用一次，輸入錯誤 %d 次即失效。\n"+
			"申請時間：%s　來源 IP：%s\n\n若這不是貴單位的操作，請勿理會本信，並電洽%s %s。\n本信件由系統自動發送，請勿直接回覆。\n",
			u.Name, u.Code, FormatUnitCode(code), c.ExpiresAt.In(taipei).Format("2006-01-02 15:04"), MaxCodeAttempts,
			now.In(taipei).Format("2006-01-02 15:04"), ip, u.Branch.Name, u.Branch.Phone)
		if err := Enqueue(ctx, tx, now, fmt.Sprintf("otc:%d", c.ID), []string{u.Email}, "【健保署多憑證網路】投保單位註冊開通碼", body); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, Change{Action: "unit.register_code_sent", UnitID: u.ID, Branch: u.BranchCode,
			ObjectType: "one_time_code", ObjectID: fmt.Sprint(c.ID), After: map[string]string{"sent_to": c.SentTo}})
	})
}

// nhiRegistrableUnit finds the unit of a registration with the responsible
// person's NHI card. reason says, for the audit log only, why it may not:
// unknown code, other 統一編號, not the responsible person, closed, or
// registered with a business certificate.
func nhiRegistrableUnit(ctx context.Context, tx bun.IDB, code, ban string, card NHICard) (*Unit, string, error) {
	u := new(Unit)
	err := tx.NewSelect().Model(u).Relation("Branch").Where("unit.code = ?", code).Scan(ctx)
	if isNoRows(err) {
		return nil, "投保單位代號不存在", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("models: register: %w", err)
	}
	switch {
	case u.BAN != ban:
		return u, "統一編號與投保單位不符", nil
	case u.OwnerIDNo == nil || *u.OwnerIDNo != card.IDNo:
		return u, "健保卡不是登記的負責人", nil
	case u.Status != UnitActive:
		return u, "單位暫時關閉", nil
	}
	a, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
	if err != nil {
		return nil, "", err
	}
	if a != nil && a.RegType != RegNHICard {
		return u, "已以工商憑證註冊", nil
	}
	return u, "", nil
}

// UnitNHIRegistration is the second step: the 開通碼 and a password.
type UnitNHIRegistration struct {
	Session        *Session
	UnitCode, BAN  string
	Card           NHICard
	Password       string
	ActivationCode string
	IP, UserAgent  string
}

// RegisterUnitNHI registers a unit with its responsible person's NHI card,
// or resets the password of its NHI-card account, and logs it in. Besides
// the unit code, 統一編號 and the responsible person's card it needs a
// 開通碼 the unit did not type from public data: mailed to the unit's
// address on file or issued by a bureau officer. The unit is told by
// e-mail and a portal notice.
func (s *Store) RegisterUnitNHI(ctx context.Context, in UnitNHIRegistration) (string, *Unit, error) {
	if err := in.Card.Valid(); err != nil {
		return "", nil, err
	}
	if strings.TrimSpace(in.ActivationCode) == "" {
		return "", nil, apperr.InvalidFields("請輸入開通碼。", map[string]string{"activation_code": "請輸入寄到貴單位信箱或承辦人核發的開通碼。"})
	}
	if msg := CheckPasswordStrength(in.Password, in.Card.IDNo); msg != "" {
		return "", nil, apperr.InvalidFields(msg, map[string]string{"password": msg})
	}
	h, err := password.Hash(in.Password)
	if err != nil {
		return "", nil, err
	}
	card := in.Card
	var token string
	var unit *Unit
	var refuse error
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		actor := Actor{Kind: "anonymous", Name: in.UnitCode, IP: in.IP}
		fail := func(e error, reason string, u *Unit) error {
			refuse = e
			ch := Change{Action: "unit.register_failed", ObjectType: "nhi_card", ObjectID: card.CardNo, Reason: reason}
			if u != nil {
				ch.UnitID, ch.Branch = u.ID, u.BranchCode
			}
			return audit(ctx, tx, now, actor, ch)
		}
		if err := s.CheckThrottle(ctx, tx, ThrottleCode, in.UnitCode, in.IP); err != nil {
			return fail(err, "失敗次數過多，暫停登入", nil)
		}
		c, err := matchCode(ctx, tx, now, CodeUnitRegister, in.UnitCode, in.ActivationCode)
		if err != nil {
			return err
		}
		if c == nil {
			if _, err := s.RecordFailure(ctx, tx, ThrottleCode, in.UnitCode, in.IP); err != nil {
				return err
			}
			return fail(ErrBadUnitCode, "開通碼錯誤、逾期或已使用", nil)
		}
		// The code proves the unit: from here on the answers may be specific.
		u, reason, err := nhiRegistrableUnit(ctx, tx, in.UnitCode, in.BAN, card)
		if err != nil {
			return err
		}
		switch reason {
		case "":
		case "統一編號與投保單位不符":
			return fail(apperr.InvalidFields("統一編號與投保單位不符，請確認。", map[string]string{"ban": "統一編號與投保單位代號不符。"}), reason, u)
		case "健保卡不是登記的負責人":
			return fail(apperr.Newf(apperr.Invalid, "讀卡機中的健保卡不是本署登記的貴單位負責人。請插入負責人的健保卡；負責人已變更者，請電洽%s %s。",
				u.Branch.Name, u.Branch.Phone), reason, u)
		case "單位暫時關閉":
			return fail(ClosedUnitError(u.Branch), reason, u)
		default:
			a, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
			if err != nil {
				return err
			}
			return fail(alreadyRegistered(u, a), reason, u)
		}
		if c.Source == CodeByEmail && c.CardNo != card.CardNo {
			return fail(apperr.New(apperr.Invalid, "請使用申請開通碼時讀取的同一張負責人健保卡。"), "與申請開通碼時讀取的健保卡不同", u)
		}
		if err := spendCode(ctx, tx, now, c); err != nil {
			refuse = err
			return nil
		}
		if err := s.ClearFailures(ctx, tx, ThrottleCode, in.UnitCode); err != nil {
			return err
		}
		if err := s.ClearFailures(ctx, tx, ThrottleNHILogin, in.UnitCode); err != nil {
			return err
		}
		acct, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
		if err != nil {
			return err
		}
		title := "貴單位已以負責人健保卡完成註冊"
		if acct != nil {
			title = "貴單位的負責人健保卡帳號已重設密碼"
			token, err = s.resetUnitNHIPassword(ctx, tx, now, in, u, acct, h, c)
		} else {
			a := &UnitAccount{UnitID: u.ID, RegType: RegNHICard, NHICardNo: &card.CardNo, NHIIDNo: &card.IDNo, PasswordHash: &h,
				Status: AccountActive, RegisteredAt: now, Version: 1}
			token, unit, err = s.insertAccount(ctx, tx, now, in.Session, u, a, in.IP, in.UserAgent)
		}
		if err != nil {
			return err
		}
		unit = u
		body := fmt.Sprintf("%s 以%s的開通碼%s。若非貴單位的操作，請立即電洽%s %s。", now.In(taipei).Format("2006-01-02 15:04"),
			map[string]string{CodeByEmail: "寄到貴單位信箱", CodeByStaff: "本署承辦人核發"}[c.Source], title[len("貴單位"):], u.Branch.Name, u.Branch.Phone)
		return tellUnit(ctx, tx, now, u, title, body, fmt.Sprintf("unit-reg:%d", c.ID))
	})
	if err != nil {
		return "", nil, err
	}
	return token, unit, refuse
}

// resetUnitNHIPassword gives the unit's NHI-card account a new password
// and the card read now, and logs the unit in.
func (s *Store) resetUnitNHIPassword(ctx context.Context, tx bun.IDB, now time.Time, in UnitNHIRegistration, u *Unit, acct *UnitAccount, hash string, c *OneTimeCode) (string, error) {
	before := map[string]string{"nhi_card_no": *acct.NHICardNo}
	res, err := tx.NewUpdate().Model(acct).
		Set("password_hash = ?, nhi_card_no = ?, nhi_id_no = ?, failed_attempts = 0, locked_until = NULL, version = version + 1",
			hash, in.Card.CardNo, in.Card.IDNo).
		Where("id = ? AND version = ?", acct.ID, acct.Version).Exec(ctx)
	if err != nil {
		return "", fmt.Errorf("models: reset unit password: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", apperr.New(apperr.Conflict, "帳號剛被變更，請重新整理後再試。")
	}
	actor := Actor{Kind: "unit", ID: acct.ID, Name: u.Name, Role: RoleUnitOwner, UnitID: u.ID, IP: in.IP}
	if err := audit(ctx, tx, now, actor, Change{Action: "unit.password_reset", UnitID: u.ID, Branch: u.BranchCode,
		ObjectType: "unit_account", ObjectID: fmt.Sprint(acct.ID), Before: before,
		After: map[string]string{"nhi_card_no": in.Card.CardNo, "code": fmt.Sprint(c.ID), "code_source": c.Source}}); err != nil {
		return "", err
	}
	return s.startUnitSession(ctx, tx, in.Session, Session{Kind: SessionUnit, Role: RoleUnitOwner, UnitID: &u.ID, AccountID: &acct.ID,
		ClientIP: in.IP, UserAgent: in.UserAgent})
}

// IssueUnitCode lets a bureau officer issue a 開通碼 for a unit without an
// e-mail on file (or whose mail does not arrive). The code is returned once
// to be told to the unit; only its hash is kept. Audited; the unit gets a
// notice.
func (s *Store) IssueUnitCode(ctx context.Context, a Actor, sc Scope, unitID int64) (string, error) {
	code := randomCode(codeAlphabet, 10)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, sc, unitID)
		if err != nil {
			return err
		}
		if u.Status != UnitActive {
			return apperr.New(apperr.Invalid, "單位目前暫時關閉，請先開啟再核發開通碼。")
		}
		c := &OneTimeCode{Purpose: CodeUnitRegister, Subject: u.Code, UnitID: &u.ID, Source: CodeByStaff, IssuedBy: a.Name,
			ExpiresAt: now.Add(StaffCodeTTL)}
		if err := issueCode(ctx, tx, now, c, code); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, a, Change{Action: "unit.activation_code_issued", UnitID: u.ID, Branch: u.BranchCode,
			ObjectType: "one_time_code", ObjectID: fmt.Sprint(c.ID), After: map[string]string{"expires_at": c.ExpiresAt.Format(time.RFC3339)}}); err != nil {
			return err
		}
		return tellUnit(ctx, tx, now, u, "本署已核發註冊開通碼", fmt.Sprintf("本署承辦人於 %s 為貴單位核發了以負責人健保卡註冊（或重設密碼）的開通碼，7 日內有效。若貴單位未曾申請，請電洽%s %s。",
			now.In(taipei).Format("2006-01-02 15:04"), u.Branch.Name, u.Branch.Phone), fmt.Sprintf("otc-issued:%d", c.ID))
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// RevokeUnitCode voids an unused 開通碼 of a unit.
func (s *Store) RevokeUnitCode(ctx context.Context, a Actor, sc Scope, unitID, codeID int64) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, sc, unitID)
		if err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*OneTimeCode)(nil)).Set("revoked_at = ?, revoked_by = ?", now, a.Name).
			Where("id = ? AND unit_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL", codeID, u.ID, CodeUnitRegister).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: revoke code: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "這個開通碼已使用、已撤銷或不存在。")
		}
		return audit(ctx, tx, now, a, Change{Action: "unit.activation_code_revoked", UnitID: u.ID, Branch: u.BranchCode,
			ObjectType: "one_time_code", ObjectID: fmt.Sprint(codeID)})
	})
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
