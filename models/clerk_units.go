package models

import (
	"context"
	"fmt"
	"sort"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// ClerkUnit is one unit that assigned a person as its clerk, as the unit
// picker lists it.
type ClerkUnit struct {
	UnitID  int64
	Code    string
	Name    string
	Role    string // clerk or clerk_filer
	Manager bool   // 單位管理者
	// Closed says why the unit cannot be used now; "" when it can.
	Closed string
}

// samePerson narrows a query of clerks (alias h) to the assignments of
// the person who holds h's card: a citizen certificate is its issuer and
// serial, an NHI card its holder's ID and the card number the login proved.
func samePerson(q *bun.SelectQuery, h *Clerk) *bun.SelectQuery {
	q = q.Where("h.card_type = ? AND h.card_serial = ?", h.CardType, h.CardSerial)
	if h.CardType == CardNHI {
		return q.Where("h.id_no = ?", h.IDNo)
	}
	return q.Where("h.cert_issuer = ?", h.CertIssuer)
}

// clerkByID returns one assignment, of any status.
func clerkByID(ctx context.Context, db bun.IDB, id int64) (*Clerk, error) {
	h := new(Clerk)
	err := db.NewSelect().Model(h).Where("h.id = ?", id).Scan(ctx)
	if isNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "找不到這位承辦人。")
	}
	if err != nil {
		return nil, fmt.Errorf("models: clerk %d: %w", id, err)
	}
	return h, nil
}

// unitUnusable says why a clerk cannot act for a unit now: it is closed,
// or its account was deregistered; "" when the unit can be used.
func unitUnusable(ctx context.Context, db bun.IDB, u *Unit) (string, error) {
	if u.Status != UnitActive {
		return "投保資料目前暫時關閉", nil
	}
	acct, err := ActiveAccount(ctx, db, UnitScope(u.ID), u.ID)
	if err != nil {
		return "", err
	}
	if acct == nil {
		return "已註銷或尚未完成註冊", nil
	}
	return "", nil
}

// ClerkUnits lists the units whose active assignments belong to the
// person of the assignment clerkID, by unit code: a revoked assignment is
// not listed; a closed unit is, with the reason it cannot be chosen.
func ClerkUnits(ctx context.Context, db bun.IDB, clerkID int64) ([]ClerkUnit, error) {
	h0, err := clerkByID(ctx, db, clerkID)
	if err != nil {
		return nil, err
	}
	var hs []Clerk
	q := samePerson(db.NewSelect().Model(&hs), h0).Where("h.status = ?", ClerkActive).Limit(200)
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: units of clerk %d: %w", clerkID, err)
	}
	out := make([]ClerkUnit, 0, len(hs))
	for i := range hs {
		h := &hs[i]
		u, err := UnitByID(ctx, db, ScopeAll, h.UnitID)
		if err != nil {
			return nil, err
		}
		why, err := unitUnusable(ctx, db, u)
		if err != nil {
			return nil, err
		}
		out = append(out, ClerkUnit{UnitID: u.ID, Code: u.Code, Name: u.Name, Role: clerkRole(h), Manager: h.MayManage, Closed: why})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// CountClerkUnits counts the units the person of an assignment may act
// for now (active assignments in active units): the portal offers
// 「切換單位」 when there are several.
func CountClerkUnits(ctx context.Context, db bun.IDB, h *Clerk) (int64, error) {
	n, err := samePerson(db.NewSelect().Model((*Clerk)(nil)), h).
		Join("JOIN units AS u ON u.id = h.unit_id").
		Where("h.status = ? AND u.status = ?", ClerkActive, UnitActive).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: count units of clerk %d: %w", h.ID, err)
	}
	return n, nil
}

// chooseAmong takes the active assignments a login matched. One usable
// assignment (or none: the login then says why) is returned to log in
// with; when several active units assigned the person, the pre-login
// session is replaced by a choosing one, an anonymous session that
// carries one of the assignments, and its token is returned instead.
func (s *Store) chooseAmong(ctx context.Context, tx bun.IDB, old *Session, hs []Clerk, ip, ua string) (*Clerk, string, error) {
	if len(hs) == 1 {
		return &hs[0], "", nil
	}
	var open []*Clerk
	for i := range hs {
		u, err := UnitByID(ctx, tx, ScopeAll, hs[i].UnitID)
		if err != nil {
			return nil, "", err
		}
		why, err := unitUnusable(ctx, tx, u)
		if err != nil {
			return nil, "", err
		}
		if why == "" {
			open = append(open, &hs[i])
		}
	}
	switch len(open) {
	case 0:
		return &hs[0], "", nil
	case 1:
		return open[0], "", nil
	}
	token, err := s.startUnitSession(ctx, tx, old, Session{Kind: SessionAnonymous, ChoosingClerkID: &open[0].ID, ClientIP: ip, UserAgent: ua})
	return nil, token, err
}

// UnitChoice is a clerk choosing the unit to act for: after a login that
// matched several units, or to switch from the one they act for.
type UnitChoice struct {
	Session   *Session // a choosing session or a clerk's session
	UnitID    int64
	IP        string
	UserAgent string
}

// ChooseClerkUnit starts the session of the person of in.Session in the
// unit in.UnitID, replacing in.Session (a new token, as at login): the
// unit's role and rights replace the old ones at once. A unit that did
// not assign the person is NotFound; a revoked assignment, a closed or
// deregistered unit are refused with the reason.
func (s *Store) ChooseClerkUnit(ctx context.Context, in UnitChoice) (string, *Unit, error) {
	sess := in.Session
	person := sess.ChoosingClerk()
	if person == 0 {
		return "", nil, apperr.New(apperr.Unauthorized, "請先登入。")
	}
	var (
		token string
		unit  *Unit
	)
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		h0, err := clerkByID(ctx, tx, person)
		if err != nil {
			return err
		}
		var hs []Clerk
		if err := samePerson(tx.NewSelect().Model(&hs), h0).Where("h.unit_id = ?", in.UnitID).OrderExpr("h.id DESC").Scan(ctx); err != nil {
			return fmt.Errorf("models: choose unit %d: %w", in.UnitID, err)
		}
		if len(hs) == 0 {
			return apperr.New(apperr.NotFound, "查無此投保單位，或該單位沒有指派您為承辦人。")
		}
		var h *Clerk
		for i := range hs {
			if hs[i].Status == ClerkActive {
				h = &hs[i]
				break
			}
		}
		u, err := UnitByID(ctx, tx, ScopeAll, in.UnitID)
		if err != nil {
			return err
		}
		if h == nil {
			return apperr.Newf(apperr.Forbidden, "投保單位「%s」（%s）已取消您的承辦人指派，無法切換到該單位；如有疑問，請洽該單位的單位管理者。", u.Name, u.Code)
		}
		if u.Status != UnitActive {
			return apperr.Newf(apperr.Forbidden, "投保單位「%s」（%s）的投保資料目前暫時關閉，無法切換到該單位；請洽%s %s。", u.Name, u.Code, u.Branch.Name, u.Branch.Phone)
		}
		acct, err := ActiveAccount(ctx, tx, UnitScope(u.ID), u.ID)
		if err != nil {
			return err
		}
		if acct == nil {
			return apperr.Newf(apperr.Forbidden, "投保單位「%s」（%s）已註銷或尚未完成註冊，無法切換到該單位。", u.Name, u.Code)
		}
		// The old session must still be there: a concurrent switch or a
		// logout ended it, and it must not start two sessions.
		res, err := tx.NewDelete().Model((*Session)(nil)).Where("id = ?", sess.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: choose unit: end session: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Unauthorized, "請重新登入。")
		}
		token, err = s.startUnitSession(ctx, tx, nil, Session{Kind: SessionClerk, Role: clerkRole(h), UnitID: &u.ID,
			AccountID: &acct.ID, ClerkID: &h.ID, ClientIP: in.IP, UserAgent: in.UserAgent})
		if err != nil {
			return err
		}
		unit = u
		card := "自然人憑證"
		if h.CardType == CardNHI {
			card = "健保卡"
		}
		change := Change{Action: "clerk.switch_unit", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "clerk", ObjectID: fmt.Sprint(h.ID)}
		if sess.Kind == SessionAnonymous {
			change.Action, change.Reason = "clerk.login", card+"，登入後選擇投保單位"
		} else {
			from, err := UnitByID(ctx, tx, ScopeAll, *sess.UnitID)
			if err != nil {
				return err
			}
			change.Reason = fmt.Sprintf("自「%s」（%s）切換", from.Name, from.Code)
		}
		return audit(ctx, tx, now, Actor{Kind: "clerk", ID: h.ID, Name: h.Name, Role: clerkRole(h), UnitID: u.ID, IP: in.IP}, change)
	})
	if err != nil {
		return "", nil, err
	}
	return token, unit, nil
}
