package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/password"
	"github.com/multicert/multicert/internal/twid"
)

// NHIRegistration is a 健保卡網路服務註冊: an NHI card registered for network
// use with a password.
type NHIRegistration struct {
	bun.BaseModel  `bun:"table:nhi_registrations"`
	ID             int64      `bun:"id,pk,autoincrement"`
	IDNo           string     `bun:"id_no"`
	CardNo         string     `bun:"card_no"`
	Name           string     `bun:"name"`
	PasswordHash   string     `bun:"password_hash"`
	FailedAttempts int        `bun:"failed_attempts"`
	LockedUntil    *time.Time `bun:"locked_until"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
	Version        int64      `bun:"version"`
}

func nhiRegistration(ctx context.Context, db bun.IDB, idNo string) (*NHIRegistration, error) {
	r := new(NHIRegistration)
	err := db.NewSelect().Model(r).Where("id_no = ?", idNo).Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: NHI registration: %w", err)
	}
	return r, nil
}

// CheckPasswordStrength returns a message when pw is too weak for a
// password that protects an NHI card login: at least 8 characters, with
// letters and digits, not containing the ID number.
func CheckPasswordStrength(pw, idNo string) string {
	var letter, digit bool
	for _, r := range pw {
		switch {
		case r < 0x20 || r > 0x7e:
			return "密碼只能使用英文字母、數字及符號（不可使用中文或空白以外的特殊字元）。"
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	switch {
	case len(pw) < 8:
		return "密碼至少需 8 個字元。"
	case len(pw) > 64:
		return "密碼最多 64 個字元。"
	case !letter || !digit:
		return "密碼需同時包含英文字母及數字。"
	case idNo != "" && strings.Contains(strings.ToUpper(pw), strings.ToUpper(idNo)):
		return "密碼不可包含身分證號。"
	}
	return ""
}

// NHICard is the data an agent read from an NHI card.
type NHICard struct {
	CardNo, Name, IDNo string
}

// Valid reports what is wrong with card data the page sent, in words: the
// card number is 12 digits, the name at most 50 characters and the ID a
// well-formed ID or resident number. It proves nothing about who sent it.
func (c *NHICard) Valid() error {
	c.CardNo, c.Name = strings.TrimSpace(c.CardNo), strings.TrimSpace(c.Name)
	ok := len(c.CardNo) == 12
	for _, r := range c.CardNo {
		ok = ok && r >= '0' && r <= '9'
	}
	if _, err := twid.CheckPersonID(c.IDNo); err != nil {
		ok = false
	}
	if !ok || input.Name("姓名", c.Name, input.MaxPersonName) != "" {
		return apperr.New(apperr.Invalid, "讀不到健保卡資料，請確認讀卡機中是健保卡後再試。")
	}
	return nil
}

// checkTypedID refuses an ID typed on the page that is not the card's.
func checkTypedID(card NHICard, typedID string) error {
	if typedID != card.IDNo {
		return apperr.InvalidFields("身分證號與健保卡不符。", map[string]string{"id_no": "身分證號與讀卡機中的健保卡不符，請確認。"})
	}
	return nil
}

// NHICodeSent is the one answer to a request for a 驗證碼: the same whether
// or not the person is registered or assigned by any unit.
const NHICodeSent = "已受理。若您已由投保單位指派為承辦人，驗證碼已寄到單位為您登錄的電子郵件信箱，請於 10 分鐘內在下方輸入驗證碼並設定密碼。" +
	"尚未被指派者，請貴單位以「單位管理者登錄作業」讀取您的健保卡指派您，指派後驗證碼會寄到單位為您登錄的信箱（24 小時內有效）。"

// RequestNHICode is the first step of 健保卡網路服務註冊 and of a forgotten
// password: the card in the reader and the ID typed. When units have
// assigned the person with this ID (they read the card and recorded an
// e-mail address), a 驗證碼 goes to those addresses; otherwise the request
// waits for an assignment. The answer is always NHICodeSent.
func (s *Store) RequestNHICode(ctx context.Context, card NHICard, typedID, ip string) error {
	if err := card.Valid(); err != nil {
		return err
	}
	if err := checkTypedID(card, typedID); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		if err := s.CheckThrottle(ctx, tx, ThrottleRegister, card.IDNo, ip); err != nil {
			return err
		}
		// Every request counts, so that one client cannot mail a person
		// codes without end.
		if _, err := s.RecordFailure(ctx, tx, ThrottleRegister, card.IDNo, ip); err != nil {
			return err
		}
		actor := Actor{Kind: "anonymous", Name: twid.Mask(card.IDNo), IP: ip}
		hs, err := activeNHIClerks(ctx, tx, card.IDNo)
		if err != nil {
			return err
		}
		c := &OneTimeCode{Purpose: CodeNHIPassword, Subject: card.IDNo, CardNo: card.CardNo, CardName: card.Name}
		if len(hs) == 0 {
			c.Source, c.ExpiresAt = CodeAwaiting, now.Add(AwaitingTTL)
			if err := issueCode(ctx, tx, now, c, ""); err != nil {
				return err
			}
			return audit(ctx, tx, now, actor, Change{Action: "nhi.code_awaiting", ObjectType: "one_time_code", ObjectID: fmt.Sprint(c.ID),
				Reason: "尚無單位以健保卡指派此人"})
		}
		emails := clerkEmails(hs)
		code := randomCode(digitAlphabet, 6)
		c.Source, c.ExpiresAt, c.SentTo = CodeByEmail, now.Add(NHICodeTTL), maskEmails(emails)
		c.UnitID = &hs[0].UnitID
		if err := issueCode(ctx, tx, now, c, code); err != nil {
			return err
		}
		if err := mailNHICode(ctx, tx, now, c, hs[0].Name, emails, code, ip, NHICodeTTL); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, Change{Action: "nhi.code_sent", ObjectType: "one_time_code", ObjectID: fmt.Sprint(c.ID),
			After: map[string]string{"sent_to": c.SentTo, "card_no": card.CardNo}})
	})
}

// activeNHIClerks are the person's active NHI-card assignments in open units.
func activeNHIClerks(ctx context.Context, db bun.IDB, idNo string) ([]Clerk, error) {
	var hs []Clerk
	err := db.NewSelect().Model(&hs).
		Where("h.card_type = ? AND h.status = ? AND h.id_no = ?", CardNHI, ClerkActive, idNo).
		Where("h.unit_id IN (SELECT au.id FROM units AS au WHERE au.status = ?)", UnitActive).
		ModelTableExpr("clerks AS h").ColumnExpr("h.*").Order("h.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: NHI clerks: %w", err)
	}
	return hs, nil
}

func clerkEmails(hs []Clerk) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hs {
		if e := strings.ToLower(strings.TrimSpace(h.Email)); e != "" && !seen[e] {
			seen[e] = true
			out = append(out, h.Email)
		}
	}
	return out
}

func maskEmails(emails []string) string {
	m := make([]string, len(emails))
	for i, e := range emails {
		m[i] = MaskEmail(e)
	}
	return strings.Join(m, ", ")
}

// The greeting uses the name the unit recorded, never the name the page
// sent: card data is a claim, and a stranger must not put words into the
// bureau's mail to the holder.
func mailNHICode(ctx context.Context, tx bun.IDB, now time.Time, c *OneTimeCode, name string, to []string, code, ip string, ttl time.Duration) error {
	why := "有人以您的健保卡申請「健保卡網路服務註冊」或重設密碼"
	if c.Source == CodeByAssignment {
		why = "投保單位已指派您為多憑證網路承保作業的承辦人，您先前申請了「健保卡網路服務註冊」"
	}
	body := fmt.Sprintf("%s您好：\n\n%s。\n\n驗證碼：%s\n\n請於 %s 前（%s內）在「健保卡網路服務註冊」頁輸入驗證碼並設定密碼。驗證碼只能使用一次，輸入錯誤 %d 次即失效。\n"+
		"申請時間：%s　來源 IP：%s\n\n若這不是您本人的操作，請勿理會本信，並告知貴單位的單位管理者。\n本信件由系統自動發送，請勿直接回覆。\n",
		name, why, code, c.ExpiresAt.In(taipei).Format("2006-01-02 15:04"), ttlWords(ttl), MaxCodeAttempts,
		now.In(taipei).Format("2006-01-02 15:04"), ip)
	return Enqueue(ctx, tx, now, fmt.Sprintf("otc:%d", c.ID), to, "【健保署多憑證網路】健保卡網路服務註冊驗證碼", body)
}

func ttlWords(d time.Duration) string {
	if d >= time.Hour {
		return fmt.Sprintf(" %d 小時", int(d/time.Hour))
	}
	return fmt.Sprintf(" %d 分鐘", int(d/time.Minute))
}

// sendAwaitingCode mails a 驗證碼 to a person a unit has just assigned with
// an NHI card, when that person asked to register before any unit had.
func sendAwaitingCode(ctx context.Context, tx bun.IDB, now time.Time, h *Clerk) error {
	var waiting []OneTimeCode
	err := tx.NewSelect().Model(&waiting).
		Where("purpose = ? AND subject = ? AND source = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
			CodeNHIPassword, h.IDNo, CodeAwaiting, now).Order("id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return fmt.Errorf("models: awaiting code: %w", err)
	}
	if len(waiting) == 0 || h.Email == "" {
		return nil
	}
	w := waiting[0]
	code := randomCode(digitAlphabet, 6)
	c := &OneTimeCode{Purpose: CodeNHIPassword, Subject: h.IDNo, UnitID: &h.UnitID, CardNo: w.CardNo, CardName: h.Name,
		Source: CodeByAssignment, SentTo: MaskEmail(h.Email), ExpiresAt: now.Add(AssignmentCodeTTL)}
	if err := issueCode(ctx, tx, now, c, code); err != nil {
		return err
	}
	return mailNHICode(ctx, tx, now, c, h.Name, []string{h.Email}, code, "—", AssignmentCodeTTL)
}

// NHIConfirm is the second step: the code from the mail and the new password.
type NHIConfirm struct {
	Card      NHICard
	TypedID   string
	Code      string
	Password  string
	Password2 string
	IP        string
}

// ConfirmNHICode sets the password of a 健保卡網路服務註冊 with a 驗證碼:
// it registers the person, or resets the password and lifts any delay.
// The card must be the one read when the code was asked for; it becomes the
// card of the person's NHI-card assignments (a replaced card is accepted
// once the e-mail code proves the person).
func (s *Store) ConfirmNHICode(ctx context.Context, in NHIConfirm) error {
	if err := in.Card.Valid(); err != nil {
		return err
	}
	if err := checkTypedID(in.Card, in.TypedID); err != nil {
		return err
	}
	if strings.TrimSpace(in.Code) == "" {
		return apperr.InvalidFields("請輸入電子郵件中的驗證碼。", map[string]string{"code": "請輸入電子郵件中的驗證碼。"})
	}
	if in.Password != in.Password2 {
		return apperr.InvalidFields("兩次輸入的密碼不一致。", map[string]string{"password2": "兩次輸入的密碼不一致。"})
	}
	if msg := CheckPasswordStrength(in.Password, in.Card.IDNo); msg != "" {
		return apperr.InvalidFields(msg, map[string]string{"password": msg})
	}
	hash, err := password.Hash(in.Password)
	if err != nil {
		return err
	}
	card := in.Card
	var refuse error
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		actor := Actor{Kind: "anonymous", Name: twid.Mask(card.IDNo), IP: in.IP}
		if err := s.CheckThrottle(ctx, tx, ThrottleCode, card.IDNo, in.IP); err != nil {
			refuse = err
			return nil
		}
		c, err := matchCode(ctx, tx, now, CodeNHIPassword, card.IDNo, in.Code)
		if err != nil {
			return err
		}
		if c == nil || c.CardNo != card.CardNo {
			refuse = ErrBadCode
			if _, err := s.RecordFailure(ctx, tx, ThrottleCode, card.IDNo, in.IP); err != nil {
				return err
			}
			reason := "wrong, expired or used code"
			if c != nil {
				reason = "code asked for with another card"
			}
			return audit(ctx, tx, now, actor, Change{Action: "nhi.code_failed", ObjectType: "one_time_code", Reason: reason})
		}
		if err := spendCode(ctx, tx, now, c); err != nil {
			refuse = ErrBadCode
			return nil
		}
		action, err := s.setNHIPassword(ctx, tx, now, card, hash)
		if err != nil {
			return err
		}
		if err := s.ClearFailures(ctx, tx, ThrottleCode, card.IDNo); err != nil {
			return err
		}
		if err := s.ClearFailures(ctx, tx, ThrottleNHILogin, card.IDNo); err != nil {
			return err
		}
		hs, err := activeNHIClerks(ctx, tx, card.IDNo)
		if err != nil {
			return err
		}
		for i := range hs {
			h := &hs[i]
			if h.CardSerial != card.CardNo {
				if _, err := tx.NewUpdate().Model(h).Set("card_serial = ?, version = version + 1", card.CardNo).WherePK().Exec(ctx); err != nil {
					return fmt.Errorf("models: new NHI card of clerk %d: %w", h.ID, err)
				}
				if err := audit(ctx, tx, now, actor, Change{Action: "clerk.card_replaced", UnitID: h.UnitID, ObjectType: "clerk",
					ObjectID: fmt.Sprint(h.ID), Before: map[string]string{"card_serial": h.CardSerial},
					After: map[string]string{"card_serial": card.CardNo}, Reason: "電子郵件驗證碼"}); err != nil {
					return err
				}
			}
			if err := tellUnitOfNHIPassword(ctx, tx, now, h, action, c.ID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, now, actor, Change{Action: action, ObjectType: "nhi_registration", ObjectID: card.IDNo[:1] + "*",
			After: map[string]string{"card_no": card.CardNo, "code": fmt.Sprint(c.ID)}})
	})
	if err != nil {
		return err
	}
	return refuse
}

// setNHIPassword registers the card's holder or replaces their password.
func (s *Store) setNHIPassword(ctx context.Context, tx bun.IDB, now time.Time, card NHICard, hash string) (string, error) {
	reg, err := nhiRegistration(ctx, tx, card.IDNo)
	if err != nil {
		return "", err
	}
	if reg == nil {
		reg = &NHIRegistration{IDNo: card.IDNo, CardNo: card.CardNo, Name: card.Name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now, Version: 1}
		if _, err := tx.NewInsert().Model(reg).Exec(ctx); err != nil {
			return "", fmt.Errorf("models: register NHI card: %w", err)
		}
		return "nhi.register", nil
	}
	reg.PasswordHash, reg.CardNo, reg.Name, reg.UpdatedAt = hash, card.CardNo, card.Name, now
	reg.FailedAttempts, reg.LockedUntil = 0, nil
	reg.Version++
	if _, err := tx.NewUpdate().Model(reg).Column("password_hash", "card_no", "name", "updated_at", "failed_attempts", "locked_until", "version").
		WherePK().Exec(ctx); err != nil {
		return "", fmt.Errorf("models: reset NHI password: %w", err)
	}
	return "nhi.password_reset", nil
}

// tellUnitOfNHIPassword tells a unit, by its e-mail on file and a portal
// notice, that one of its clerks set an NHI-card password.
func tellUnitOfNHIPassword(ctx context.Context, tx bun.IDB, now time.Time, h *Clerk, action string, codeID int64) error {
	u, err := UnitByID(ctx, tx, ScopeAll, h.UnitID)
	if err != nil {
		return err
	}
	what := "完成「健保卡網路服務註冊」"
	if action == "nhi.password_reset" {
		what = "重設了健保卡登入密碼"
	}
	title := "承辦人" + h.Name + what
	body := fmt.Sprintf("貴單位的承辦人 %s（%s）於 %s 以寄到 %s 的驗證碼%s。若非其本人操作，請立即至「單位管理者登錄作業」刪除此承辦人，並電洽%s %s。",
		h.Name, twid.MaskMail(h.IDNo), now.In(taipei).Format("2006-01-02 15:04"), MaskEmail(h.Email), what, u.Branch.Name, u.Branch.Phone)
	return tellUnit(ctx, tx, now, u, title, body, fmt.Sprintf("nhi-pw:%d:%d", codeID, h.UnitID))
}

// tellUnit leaves a portal notice and mails the unit's address on file.
func tellUnit(ctx context.Context, tx bun.IDB, now time.Time, u *Unit, title, body, key string) error {
	n := &Notice{UnitID: u.ID, Title: title, Body: body, CreatedAt: now}
	if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
		return fmt.Errorf("models: notice: %w", err)
	}
	if u.Email == "" {
		return nil
	}
	// Bodies may carry a reason typed by staff: no ID leaves in full.
	text := fmt.Sprintf("%s（投保單位代號 %s）您好：\n\n%s\n\n本信件由系統自動發送，請勿直接回覆。\n", u.Name, u.Code, twid.MaskIDsIn(body))
	return Enqueue(ctx, tx, now, key, []string{u.Email}, "【健保署多憑證網路】"+twid.MaskIDsIn(title), text)
}

// NHIPasswordsOfUnit returns, for the unit's NHI-card clerks, when each
// last set their 健保卡網路服務註冊 password, keyed by ID number.
func NHIPasswordsOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64) (map[string]*time.Time, error) {
	if err := unitVisible(ctx, db, sc, unitID); err != nil {
		return nil, err
	}
	var regs []NHIRegistration
	p := bind(db)
	err := db.NewSelect().Conn(p).Model(&regs).Column("id_no", "updated_at").
		Where("id_no IN (SELECT h.id_no FROM clerks AS h WHERE h.unit_id = ? AND h.card_type = ?)", p.ID(unitID), CardNHI).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: NHI passwords of unit %d: %w", unitID, err)
	}
	m := make(map[string]*time.Time, len(regs))
	for i := range regs {
		m[regs[i].IDNo] = &regs[i].UpdatedAt
	}
	return m, nil
}

// RevokeNHIPassword lets bureau staff stop a clerk's NHI-card password
// (停用健保卡密碼), e.g. after the unit reports a takeover: the
// registration and the person's unused codes go, their sessions end, and
// they set a new password with a 驗證碼 mailed to the address the unit
// recorded. Audited; the unit gets a notice.
func (s *Store) RevokeNHIPassword(ctx context.Context, a Actor, sc Scope, unitID, clerkID int64) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		u, err := UnitByID(ctx, tx, sc, unitID)
		if err != nil {
			return err
		}
		h := new(Clerk)
		err = tx.NewSelect().Model(h).Where("id = ? AND unit_id = ? AND card_type = ?", clerkID, u.ID, CardNHI).Scan(ctx)
		if isNoRows(err) {
			return notFound("承辦人")
		}
		if err != nil {
			return fmt.Errorf("models: revoke NHI password: %w", err)
		}
		res, err := tx.NewDelete().Model((*NHIRegistration)(nil)).Where("id_no = ?", h.IDNo).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: revoke NHI password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "這位承辦人目前沒有設定健保卡密碼。")
		}
		if _, err := tx.NewUpdate().Model((*OneTimeCode)(nil)).Set("revoked_at = ?, revoked_by = ?", now, a.Name).
			Where("purpose = ? AND subject = ? AND used_at IS NULL AND revoked_at IS NULL", CodeNHIPassword, h.IDNo).Exec(ctx); err != nil {
			return fmt.Errorf("models: revoke NHI codes: %w", err)
		}
		var ended int64
		var ids []int64
		if err := tx.NewSelect().Table("clerks").Column("id").Where("id_no = ? AND card_type = ?", h.IDNo, CardNHI).Scan(ctx, &ids); err != nil {
			return fmt.Errorf("models: revoke NHI password: %w", err)
		}
		for _, id := range ids {
			n, err := EndSessionsOfClerk(ctx, tx, id)
			if err != nil {
				return err
			}
			ended += n
		}
		if err := audit(ctx, tx, now, a, Change{Action: "nhi.password_revoked", UnitID: u.ID, Branch: u.BranchCode, ObjectType: "clerk",
			ObjectID: fmt.Sprint(h.ID), After: map[string]any{"sessions_ended": ended}}); err != nil {
			return err
		}
		return tellUnit(ctx, tx, now, u, "本署已停用承辦人"+h.Name+"的健保卡密碼",
			fmt.Sprintf("本署承辦人於 %s 停用了承辦人 %s 的健保卡網路服務密碼，其連線已結束。承辦人可至「健保卡網路服務註冊」以寄到 %s 的驗證碼重新設定密碼。",
				now.In(taipei).Format("2006-01-02 15:04"), h.Name, MaskEmail(h.Email)), fmt.Sprintf("nhi-revoked:%d:%d", h.ID, now.Unix()))
	})
}
