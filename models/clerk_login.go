package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/password"
	"github.com/multicert/multicert/internal/twid"
)

// clerkRole is the role a clerk's session gets: filers may file
// enrollments (允許使用所有加退保業務功能).
func clerkRole(h *Clerk) string {
	if h.MayFile {
		return RoleClerkFiler
	}
	return RoleClerk
}

// startClerkSession checks the clerk's unit and its account and starts
// the session; it returns a login error when the unit cannot be used.
func (s *Store) startClerkSession(ctx context.Context, tx bun.IDB, old *Session, h *Clerk, ip, ua string) (string, *Unit, error, error) {
	u, err := UnitByID(ctx, tx, ScopeAll, h.UnitID)
	if err != nil {
		return "", nil, nil, err
	}
	if u.Status != UnitActive {
		return "", u, ClosedUnitError(u.Branch), nil
	}
	acct, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
	if err != nil {
		return "", u, nil, err
	}
	if acct == nil {
		return "", u, ErrClerkUnknown, nil
	}
	token, err := s.startUnitSession(ctx, tx, old, Session{Kind: SessionClerk, Role: clerkRole(h), UnitID: &u.ID,
		AccountID: &acct.ID, ClerkID: &h.ID, ClientIP: ip, UserAgent: ua})
	return token, u, nil, err
}

// ClerkCertLogin logs a clerk in with a citizen certificate bound to an
// active clerk. With unitCode it goes straight to that unit. Without, a
// person assigned by several active units gets a choosing session instead:
// the token is returned with a nil unit, and ChooseClerkUnit ends the login.
func (s *Store) ClerkCertLogin(ctx context.Context, in CertLogin, unitCode string) (string, *Unit, error) {
	return s.certLoginTx(ctx, in, PurposeClerkLogin, "clerk.login_failed", func(ctx context.Context, tx bun.Tx, now time.Time, fail loginFail) (string, *Unit, error) {
		q := tx.NewSelect().Model((*Clerk)(nil)).
			Where("h.card_type = ? AND h.status = ? AND h.card_serial = ? AND h.cert_issuer = ?", CardCitizenCert, ClerkActive, in.Serial, in.Issuer)
		hs, err := personClerks(ctx, q, unitCode)
		if err != nil {
			return "", nil, err
		}
		if len(hs) == 0 {
			return "", nil, fail(ErrClerkUnknown, "憑證未指派為有效的承辦人", 0, "")
		}
		h, choosing, err := s.chooseAmong(ctx, tx, in.Session, hs, in.IP, in.UserAgent)
		if err != nil || h == nil {
			return choosing, nil, err
		}
		token, unit, lerr, err := s.startClerkSession(ctx, tx, in.Session, h, in.IP, in.UserAgent)
		if err != nil {
			return "", nil, err
		}
		if lerr != nil {
			return "", nil, fail(lerr, "單位暫時關閉或未註冊", unit.ID, unit.BranchCode)
		}
		return token, unit, audit(ctx, tx, now, Actor{Kind: "clerk", ID: h.ID, Name: h.Name, Role: clerkRole(h), UnitID: unit.ID, IP: in.IP},
			Change{Action: "clerk.login", UnitID: unit.ID, Branch: unit.BranchCode, ObjectType: "clerk", ObjectID: fmt.Sprint(h.ID),
				Reason: "自然人憑證 " + in.Serial})
	})
}

// personClerks finds the active assignments the query matches, narrowed
// to the unit code when one was typed.
func personClerks(ctx context.Context, q *bun.SelectQuery, unitCode string) ([]Clerk, error) {
	q = q.ModelTableExpr("clerks AS h").ColumnExpr("h.*")
	if unitCode != "" {
		q = q.Join("JOIN units AS u ON u.id = h.unit_id").Where("u.code = ?", unitCode)
	}
	var hs []Clerk
	if err := q.OrderExpr("h.id").Limit(200).Scan(ctx, &hs); err != nil {
		return nil, fmt.Errorf("models: find clerk: %w", err)
	}
	return hs, nil
}

// ClerkNHILogin logs a clerk in with their NHI card and the password of
// their 健保卡網路服務註冊; a person assigned by several active units gets
// a choosing session, as with ClerkCertLogin. The card must be the one the unit read when it
// assigned them (or one the person proved with an e-mail code). Failures
// are throttled per ID and per client; an unregistered ID, a wrong password
// and a wrong card get the same answer in about the same time.
func (s *Store) ClerkNHILogin(ctx context.Context, in NHILogin) (string, *Unit, error) {
	var (
		token    string
		unit     *Unit
		loginErr error
	)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		actor := Actor{Kind: "anonymous", Name: twid.Mask(in.IDNo), IP: in.IP}
		change := Change{Action: "clerk.login_failed", ObjectType: "nhi_registration"}
		if err := s.CheckThrottle(ctx, tx, ThrottleNHILogin, in.IDNo, in.IP); err != nil {
			password.Burn(in.Password)
			loginErr, change.Reason = err, "失敗次數過多，暫停登入"
			return audit(ctx, tx, now, actor, change)
		}
		fail := func(reason string) error {
			loginErr, change.Reason = ErrNHIBadCredentials, reason
			delayed, err := s.RecordFailure(ctx, tx, ThrottleNHILogin, in.IDNo, in.IP)
			if err != nil {
				return err
			}
			if delayed {
				if err := tellUnitsOfDelay(ctx, tx, now, in.IDNo, in.IP); err != nil {
					return err
				}
			}
			return audit(ctx, tx, now, actor, change)
		}
		reg, err := nhiRegistration(ctx, tx, in.IDNo)
		if err != nil {
			return err
		}
		if reg == nil {
			password.Burn(in.Password)
			return fail("未完成健保卡網路服務註冊")
		}
		change.ObjectID = fmt.Sprint(reg.ID)
		good, err := password.Verify(in.Password, reg.PasswordHash)
		if err != nil {
			return fmt.Errorf("models: NHI password: %w", err)
		}
		if !good {
			return fail("密碼不正確")
		}
		q := tx.NewSelect().Model((*Clerk)(nil)).
			Where("h.card_type = ? AND h.status = ? AND h.id_no = ?", CardNHI, ClerkActive, in.IDNo)
		hs, err := personClerks(ctx, q, in.UnitCode)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			loginErr, change.Reason = ErrClerkUnknown, "不是有效的承辦人"
			return audit(ctx, tx, now, actor, change)
		}
		// Only the assignments of the card in the reader count; another
		// card's are told apart below.
		h := &hs[0]
		var ofCard []Clerk
		for i := range hs {
			if hs[i].CardSerial == in.CardNo {
				ofCard = append(ofCard, hs[i])
			}
		}
		if len(ofCard) > 0 {
			if err := s.ClearFailures(ctx, tx, ThrottleNHILogin, in.IDNo); err != nil {
				return err
			}
			var choosing string
			h, choosing, err = s.chooseAmong(ctx, tx, in.Session, ofCard, in.IP, in.UserAgent)
			if err != nil {
				return err
			}
			if h == nil {
				token = choosing
				return nil
			}
		}
		if h.CardSerial != in.CardNo {
			if _, err := s.RecordFailure(ctx, tx, ThrottleNHILogin, in.IDNo, in.IP); err != nil {
				return err
			}
			loginErr, change.Reason, change.UnitID = ErrNHIOtherCard, "健保卡卡號與指派時讀取的不同", h.UnitID
			return audit(ctx, tx, now, actor, change)
		}
		if err := s.ClearFailures(ctx, tx, ThrottleNHILogin, in.IDNo); err != nil {
			return err
		}
		var lerr error
		token, unit, lerr, err = s.startClerkSession(ctx, tx, in.Session, h, in.IP, in.UserAgent)
		if err != nil {
			return err
		}
		if lerr != nil {
			loginErr, change.Reason, change.UnitID, change.Branch = lerr, "單位暫時關閉或未註冊", unit.ID, unit.BranchCode
			return audit(ctx, tx, now, actor, change)
		}
		return audit(ctx, tx, now, Actor{Kind: "clerk", ID: h.ID, Name: h.Name, Role: clerkRole(h), UnitID: unit.ID, IP: in.IP},
			Change{Action: "clerk.login", UnitID: unit.ID, Branch: unit.BranchCode, ObjectType: "clerk", ObjectID: fmt.Sprint(h.ID),
				Reason: "健保卡"})
	})
	if err != nil {
		return "", nil, err
	}
	if loginErr != nil {
		return "", nil, loginErr
	}
	return token, unit, nil
}

// ErrNHIOtherCard is shown only after the password proved the person: the
// card is not the one the unit read at the assignment (a replaced card).
var ErrNHIOtherCard = apperr.New(apperr.Unauthorized, "讀卡機中的健保卡與單位指派您時讀取的卡片不同（可能已換發新卡）。"+
	"請貴單位的單位管理者重新讀取您的新卡指派，或至「健保卡網路服務註冊」以寄到您信箱的驗證碼重設密碼，即可使用新卡。")

// tellUnitsOfDelay tells the units of a person's NHI-card assignments that
// failed logins with the person's card have started delaying logins: the
// holder learns of it, an outsider's answer does not change.
func tellUnitsOfDelay(ctx context.Context, tx bun.IDB, now time.Time, idNo, ip string) error {
	hs, err := activeNHIClerks(ctx, tx, idNo)
	if err != nil {
		return err
	}
	for i := range hs {
		h := &hs[i]
		u, err := UnitByID(ctx, tx, ScopeAll, h.UnitID)
		if err != nil {
			return err
		}
		body := fmt.Sprintf("%s 起，以承辦人 %s 的健保卡登入連續失敗多次（最近一次來源 IP：%s），系統已暫停該來源的登入數分鐘。"+
			"若不是承辦人本人，請提醒承辦人留意；承辦人忘記密碼，可至「健保卡網路服務註冊」以驗證碼重設。",
			now.In(taipei).Format("2006-01-02 15:04"), h.Name, ip)
		if err := tellUnit(ctx, tx, now, u, "承辦人健保卡登入多次失敗", body, fmt.Sprintf("nhi-delay:%d:%d", h.ID, now.Unix()/600)); err != nil {
			return err
		}
	}
	return nil
}
