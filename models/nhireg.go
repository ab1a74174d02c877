package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/password"
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

// ErrNHINotRegistered tells an NHI card holder to register first.
var ErrNHINotRegistered = apperr.New(apperr.Unauthorized, "您的健保卡尚未完成「健保卡網路服務註冊」，請先點選「首次登入請先申請」完成註冊並設定密碼。")

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

// checkNHIPassword checks a card number and password against a
// registration, counting failures. ok is false with loginErr set when the
// login must be refused; err is a database failure.
func (s *Store) checkNHIPassword(ctx context.Context, tx bun.IDB, now time.Time, reg *NHIRegistration, cardNo, pw string) (ok bool, loginErr, err error) {
	at := attempts{&reg.FailedAttempts, &reg.LockedUntil}
	if lerr := at.locked(now); lerr != nil {
		return false, lerr, nil
	}
	good, err := password.Verify(pw, reg.PasswordHash)
	if err != nil {
		return false, nil, fmt.Errorf("models: NHI password: %w", err)
	}
	if good && reg.CardNo == cardNo {
		at.reset()
		ok = true
	} else {
		loginErr = ErrNHIBadCredentials
		if lerr := at.fail(now); lerr != nil {
			loginErr = lerr
		}
	}
	if _, err := tx.NewUpdate().Model(reg).Column("failed_attempts", "locked_until").WherePK().Exec(ctx); err != nil {
		return false, nil, fmt.Errorf("models: NHI password: %w", err)
	}
	return ok, loginErr, nil
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

// cardPassword checks that the typed ID is the card's and the password
// strong enough, and hashes it.
func cardPassword(card NHICard, typedID, pw string) (string, error) {
	if typedID != card.IDNo {
		return "", apperr.InvalidFields("身分證號與健保卡不符。", map[string]string{"id_no": "身分證號與讀卡機中的健保卡不符，請確認。"})
	}
	if msg := CheckPasswordStrength(pw, card.IDNo); msg != "" {
		return "", apperr.InvalidFields(msg, map[string]string{"password": msg})
	}
	return password.Hash(pw)
}

// RegisterNHI records a 健保卡網路服務註冊 for the card's holder. The ID
// typed must be the card's.
func (s *Store) RegisterNHI(ctx context.Context, card NHICard, typedID, pw, ip string) error {
	h, err := cardPassword(card, typedID, pw)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		existing, err := nhiRegistration(ctx, tx, card.IDNo)
		if err != nil {
			return err
		}
		if existing != nil {
			return apperr.New(apperr.Conflict, "此健保卡持有人已完成註冊。忘記密碼請使用「忘記密碼」，並將健保卡插入讀卡機。")
		}
		reg := &NHIRegistration{IDNo: card.IDNo, CardNo: card.CardNo, Name: card.Name, PasswordHash: h, CreatedAt: now, UpdatedAt: now, Version: 1}
		if _, err := tx.NewInsert().Model(reg).Exec(ctx); err != nil {
			return fmt.Errorf("models: register NHI card: %w", err)
		}
		return audit(ctx, tx, now, Actor{Kind: "anonymous", Name: card.Name, IP: ip},
			Change{Action: "nhi.register", ObjectType: "nhi_registration", ObjectID: fmt.Sprint(reg.ID),
				After: map[string]string{"card_no": card.CardNo, "name": card.Name}})
	})
}

// ResetNHIPassword sets a new password for a registration: only with the
// card in the reader and its ID typed. It also lifts a lock and takes the
// card number of a newly issued card.
func (s *Store) ResetNHIPassword(ctx context.Context, card NHICard, typedID, pw, ip string) error {
	h, err := cardPassword(card, typedID, pw)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		reg, err := nhiRegistration(ctx, tx, card.IDNo)
		if err != nil {
			return err
		}
		if reg == nil {
			return ErrNHINotRegistered
		}
		before := map[string]string{"card_no": reg.CardNo}
		reg.PasswordHash, reg.CardNo, reg.UpdatedAt = h, card.CardNo, now
		reg.FailedAttempts, reg.LockedUntil = 0, nil
		reg.Version++
		if _, err := tx.NewUpdate().Model(reg).Column("password_hash", "card_no", "updated_at", "failed_attempts", "locked_until", "version").
			WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("models: reset NHI password: %w", err)
		}
		return audit(ctx, tx, now, Actor{Kind: "anonymous", Name: card.Name, IP: ip},
			Change{Action: "nhi.password_reset", ObjectType: "nhi_registration", ObjectID: fmt.Sprint(reg.ID),
				Before: before, After: map[string]string{"card_no": card.CardNo}})
	})
}
