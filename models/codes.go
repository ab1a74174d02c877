package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
)

// Code purposes and sources.
const (
	CodeNHIPassword  = "nhi_password"  // a clerk's 健保卡網路服務註冊 or password reset (驗證碼)
	CodeUnitRegister = "unit_register" // a unit's registration with the responsible person's NHI card (開通碼)

	CodeByEmail      = "email"      // sent at the holder's request
	CodeByAssignment = "assignment" // sent when a unit assigned a person who had asked before
	CodeByStaff      = "staff"      // issued by a bureau officer (for units without e-mail)
	CodeAwaiting     = "awaiting"   // asked for by a person no unit has assigned yet: no code until one does
)

// Lifetimes and limits of codes.
const (
	NHICodeTTL        = 10 * time.Minute // a 驗證碼 mailed at the holder's request
	AssignmentCodeTTL = 24 * time.Hour   // a 驗證碼 mailed when the unit assigns the person
	AwaitingTTL       = 30 * 24 * time.Hour
	UnitCodeTTL       = 30 * time.Minute   // a 開通碼 mailed to the unit
	StaffCodeTTL      = 7 * 24 * time.Hour // a 開通碼 a bureau officer issued
	MaxCodeAttempts   = 5                  // wrong entries before a code is void
)

// OneTimeCode is a 驗證碼 or 開通碼. Only a hash of the code is stored.
type OneTimeCode struct {
	bun.BaseModel `bun:"table:one_time_codes,alias:otc"`
	ID            int64      `bun:"id,pk,autoincrement"`
	Purpose       string     `bun:"purpose"`
	Subject       string     `bun:"subject"` // the ID number (驗證碼) or the unit code (開通碼)
	UnitID        *int64     `bun:"unit_id"`
	CodeHash      string     `bun:"code_hash"`
	CardNo        string     `bun:"card_no"` // the card read when the code was asked for
	CardName      string     `bun:"card_name"`
	Source        string     `bun:"source"`
	SentTo        string     `bun:"sent_to"` // masked address, for the console
	IssuedBy      string     `bun:"issued_by"`
	Attempts      int        `bun:"attempts"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	UsedAt        *time.Time `bun:"used_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	RevokedBy     string     `bun:"revoked_by"`
}

// State is the code's state in words for the console.
func (c *OneTimeCode) State(now time.Time) string {
	switch {
	case c.UsedAt != nil:
		return "已使用"
	case c.RevokedAt != nil:
		return "已撤銷"
	case c.Attempts >= MaxCodeAttempts:
		return "錯誤次數過多，已失效"
	case !now.Before(c.ExpiresAt):
		return "已過期"
	case c.Source == CodeAwaiting:
		return "等待單位指派"
	}
	return "有效"
}

// Usable reports whether the code can still be entered.
func (c *OneTimeCode) Usable(now time.Time) bool { return c.State(now) == "有效" }

// SourceLabel names where the code came from.
func (c *OneTimeCode) SourceLabel() string {
	switch c.Source {
	case CodeByEmail:
		return "電子郵件寄送"
	case CodeByAssignment:
		return "單位指派後寄送"
	case CodeByStaff:
		return "本署承辦人核發"
	}
	return "等待單位指派"
}

// digits and the unambiguous alphabet of 開通碼 (no 0/O, 1/I/L).
const (
	digitAlphabet = "0123456789"
	codeAlphabet  = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
)

func randomCode(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("models: crypto/rand failed: " + err.Error()) // the platform is broken
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// hashCode binds a code to its purpose and subject, so that a hash copied
// to another row does not match there.
func hashCode(purpose, subject, code string) string {
	sum := sha256.Sum256([]byte(purpose + "\x00" + subject + "\x00" + normalizeCode(code)))
	return hex.EncodeToString(sum[:])
}

// normalizeCode accepts what people type: spaces and hyphens, lower case.
func normalizeCode(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	return strings.NewReplacer(" ", "", "-", "", "　", "").Replace(code)
}

// FormatUnitCode groups a 開通碼 for reading aloud: ABCD-EFGH-JK.
func FormatUnitCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MaskEmail shows enough of an address for its owner to recognise it.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	local := addr[:at]
	keep := 1
	if len(local) > 4 {
		keep = 2
	}
	return local[:keep] + strings.Repeat("*", 3) + addr[at:]
}

// issueCode stores a new code and voids the subject's earlier unused codes
// of the same purpose, so only the newest works.
func issueCode(ctx context.Context, tx bun.IDB, now time.Time, c *OneTimeCode, code string) error {
	if _, err := tx.NewUpdate().Model((*OneTimeCode)(nil)).
		Set("revoked_at = ?, revoked_by = ?", now, "superseded").
		Where("purpose = ? AND subject = ? AND used_at IS NULL AND revoked_at IS NULL", c.Purpose, c.Subject).
		Exec(ctx); err != nil {
		return fmt.Errorf("models: void earlier codes: %w", err)
	}
	if code != "" {
		c.CodeHash = hashCode(c.Purpose, c.Subject, code)
	}
	c.CreatedAt = now
	if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
		return fmt.Errorf("models: issue code: %w", err)
	}
	return nil
}

// ErrBadCode is the one answer to a wrong, expired, used or unknown code.
var ErrBadCode = apperr.InvalidFields("驗證碼不正確或已失效。請確認信件中的號碼；已過期或輸入錯誤 5 次者，請重新申請。",
	map[string]string{"code": "驗證碼不正確或已失效，請重新申請。"})

// ErrBadUnitCode is the one answer to a wrong, expired, used or unknown 開通碼.
var ErrBadUnitCode = apperr.InvalidFields("開通碼不正確或已失效。請確認信件或承辦人告知的開通碼；已過期或輸入錯誤 5 次者，請重新申請。",
	map[string]string{"activation_code": "開通碼不正確或已失效，請重新申請。"})

// matchCode finds the subject's usable code of a purpose that the typed
// code matches, without spending it. A miss counts an attempt on every
// usable code of the subject, so that guessing voids them. It returns nil,
// nil on a miss.
func matchCode(ctx context.Context, tx bun.IDB, now time.Time, purpose, subject, typed string) (*OneTimeCode, error) {
	var cs []OneTimeCode
	err := tx.NewSelect().Model(&cs).
		Where("purpose = ? AND subject = ? AND used_at IS NULL AND revoked_at IS NULL AND code_hash <> '' AND expires_at > ? AND attempts < ?",
			purpose, subject, now, MaxCodeAttempts).
		Order("id DESC").Limit(5).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: check code: %w", err)
	}
	want := hashCode(purpose, subject, typed)
	for i := range cs {
		if subtle.ConstantTimeCompare([]byte(cs[i].CodeHash), []byte(want)) == 1 {
			return &cs[i], nil
		}
	}
	if len(cs) > 0 {
		ids := make([]int64, len(cs))
		for i := range cs {
			ids[i] = cs[i].ID
		}
		if _, err := tx.NewUpdate().Model((*OneTimeCode)(nil)).Set("attempts = attempts + 1").
			Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
			return nil, fmt.Errorf("models: count code attempt: %w", err)
		}
	}
	return nil, nil
}

// spendCode marks a matched code used; it fails when another request spent
// or revoked it first, so a code works once even under double submits.
func spendCode(ctx context.Context, tx bun.IDB, now time.Time, c *OneTimeCode) error {
	res, err := tx.NewUpdate().Model((*OneTimeCode)(nil)).Set("used_at = ?", now).
		Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", c.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("models: spend code: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "這個驗證碼剛剛已使用。")
	}
	c.UsedAt = &now
	return nil
}

// CodesOfUnit lists the 開通碼 of a unit, newest
// first, for the console's unit page.
func CodesOfUnit(ctx context.Context, db bun.IDB, sc Scope, unitID int64, limit int) ([]OneTimeCode, error) {
	if err := unitVisible(ctx, db, sc, unitID); err != nil {
		return nil, err
	}
	var cs []OneTimeCode
	p := bind(db)
	err := db.NewSelect().Conn(p).Model(&cs).Where("unit_id = ? AND purpose = ?", p.ID(unitID), CodeUnitRegister).
		Order("created_at DESC", "id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: codes of unit %d: %w", unitID, err)
	}
	return cs, nil
}
