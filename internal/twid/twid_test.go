package twid_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multicert/multicert/internal/twid"
)

// checkErr reports whether err matches want (nil or a sentinel) and, for
// errors, that the message is non-empty and not in English.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got error %q, want nil", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want errors.Is(err, %q)", err, want)
	}
	if msg := err.Error(); msg == "" || utf8.RuneCountInString(msg) == len(msg) {
		t.Errorf("got message %q, want a non-empty Chinese message", msg)
	}
}

func TestCheckPersonID(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantKind twid.PersonIDKind
		wantErr  error
	}{
		{"national male textbook example", "A123456789", twid.NationalID, nil},
		{"national female", "A223456781", twid.NationalID, nil},
		{"national B", "B123456780", twid.NationalID, nil},
		{"national I maps to 34", "I100000003", twid.NationalID, nil},
		{"national O maps to 35", "O100000004", twid.NationalID, nil},
		{"national Z", "Z298765438", twid.NationalID, nil},
		{"old resident AA", "AA00000009", twid.ResidentOld, nil},
		{"old resident AC", "AC01234567", twid.ResidentOld, nil},
		{"old resident AA computed", "AA12345675", twid.ResidentOld, nil},
		{"old resident FA", "FA12345670", twid.ResidentOld, nil},
		{"old resident AB", "AB00001231", twid.ResidentOld, nil},
		{"old resident TC", "TC12345675", twid.ResidentOld, nil},
		{"old resident YD", "YD87654326", twid.ResidentOld, nil},
		{"new resident male", "A800000014", twid.ResidentNew, nil},
		{"new resident computed", "Z898765430", twid.ResidentNew, nil},
		{"new resident female", "A900000016", twid.ResidentNew, nil},
		{"empty", "", 0, twid.ErrEmpty},
		{"too short", "A12345678", 0, twid.ErrFormat},
		{"too long", "A1234567890", 0, twid.ErrFormat},
		{"lower case letter", "a123456789", 0, twid.ErrFormat},
		{"untrimmed", " A123456789", 0, twid.ErrFormat},
		{"digit first", "1123456789", 0, twid.ErrFormat},
		{"second digit 3", "A323456789", 0, twid.ErrFormat},
		{"second digit 0", "A023456789", 0, twid.ErrFormat},
		{"second letter E", "AE12345678", 0, twid.ErrFormat},
		{"letter in body", "A12345678X", 0, twid.ErrFormat},
		{"three letters", "ABC2345678", 0, twid.ErrFormat},
		{"full-width not normalised", "Ａ123456789", 0, twid.ErrFormat},
		{"national bad check digit", "A123456788", 0, twid.ErrChecksum},
		{"national transposed digits", "A123456879", 0, twid.ErrChecksum},
		{"old resident bad check digit", "AC01234568", 0, twid.ErrChecksum},
		{"new resident bad check digit", "A800000015", 0, twid.ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := twid.CheckPersonID(tt.in)
			checkErr(t, err, tt.wantErr)
			if got != tt.wantKind {
				t.Errorf("CheckPersonID(%q) kind = %v, want %v", tt.in, got, tt.wantKind)
			}
		})
	}
}

func TestCheckPersonIDMessages(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"national checksum", "A123456788", "身分證號檢查碼錯誤，請確認是否輸入正確"},
		{"resident checksum", "A800000015", "居留證號檢查碼錯誤，請確認是否輸入正確"},
		{"length", "A12345678", "身分證號格式錯誤：應為 1 個英文字母加 9 位數字（居留證號亦可為 2 個英文字母加 8 位數字），目前為 9 碼"},
		{"empty", "", "請輸入身分證號或居留證號"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := twid.CheckPersonID(tt.in)
			if err == nil {
				t.Fatalf("CheckPersonID(%q) = nil error, want %q", tt.in, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("CheckPersonID(%q) message = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPersonIDKindString(t *testing.T) {
	tests := []struct {
		kind twid.PersonIDKind
		want string
	}{
		{twid.NationalID, "國民身分證"},
		{twid.ResidentOld, "居留證（舊式）"},
		{twid.ResidentNew, "居留證（新式）"},
		{0, "未知證號種類(0)"},
		{42, "未知證號種類(42)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.kind.String(); got != tt.want {
				t.Errorf("PersonIDKind(%d).String() = %q, want %q", int(tt.kind), got, tt.want)
			}
		})
	}
}

func TestCheckBAN(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"MOF example 1", "04595257", nil},
		{"MOF example 2, 7th digit 7", "10458575", nil},
		{"common example", "12345675", nil},
		{"old rule example", "04702088", nil},
		{"7th digit 7, 10 read as 0", "00651474", nil},
		{"7th digit 7, 10 read as 1", "00238778", nil},
		{"valid only under the 2023 %5 rule", "04595252", nil},
		{"7th digit 7, new rule only", "10458570", nil},
		{"all zeros", "00000000", nil},
		{"empty", "", twid.ErrEmpty},
		{"7 digits", "0459525", twid.ErrFormat},
		{"9 digits", "045952570", twid.ErrFormat},
		{"letter", "0459525A", twid.ErrFormat},
		{"space inside", "0459 257", twid.ErrFormat},
		{"full-width digits", "０４５９５２５７", twid.ErrFormat},
		{"bad checksum", "04595258", twid.ErrChecksum},
		{"bad checksum 2", "12345678", twid.ErrChecksum},
		{"7th digit 7, neither reading works", "00238777", twid.ErrChecksum},
		{"7th digit 7, bad", "10458576", twid.ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, twid.CheckBAN(tt.in), tt.wantErr)
		})
	}
}

func TestCheckLaborInsuranceNo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"letter check character", "12345678A", nil},
		{"Z check character", "00000000Z", nil},
		{"digit check character", "123456780", nil},
		{"empty", "", twid.ErrEmpty},
		{"8 characters", "12345678", twid.ErrFormat},
		{"10 characters", "12345678AB", twid.ErrFormat},
		{"lower case check character", "12345678a", twid.ErrFormat},
		{"letter in the digits", "1234567A8", twid.ErrFormat},
		{"symbol check character", "12345678-", twid.ErrFormat},
		{"non-ASCII check character", "12345678Ａ", twid.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, twid.CheckLaborInsuranceNo(tt.in), tt.wantErr)
		})
	}
}

func TestCheckUnitCode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"9 digits", "123456789", nil},
		{"zeros", "000000000", nil},
		{"empty", "", twid.ErrEmpty},
		{"8 digits", "12345678", twid.ErrFormat},
		{"10 digits", "1234567890", twid.ErrFormat},
		{"letter", "12345678A", twid.ErrFormat},
		{"sign", "-12345678", twid.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, twid.CheckUnitCode(tt.in), tt.wantErr)
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"already normal", "A123456789", "A123456789"},
		{"lower case", "a123456789", "A123456789"},
		{"ASCII spaces", "  A123456789\t\n", "A123456789"},
		{"ideographic spaces", "\u3000A123456789\u3000", "A123456789"},
		{"full-width letter and digits", "Ｆ１２３４５６７８９", "F123456789"},
		{"full-width lower-case letter", "ｆ１２３４５６７８９", "F123456789"},
		{"mixed", "\u3000ａC01234567 ", "AC01234567"},
		{"inner space kept", "A12 345", "A12 345"},
		{"full-width punctuation kept", "１２－３", "12－3"},
		{"empty", "", ""},
		{"only spaces", " \u3000 ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twid.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"national ID", "A123456789", "******6789"},
		{"BAN", "04595257", "****5257"},
		{"five characters", "12345", "*2345"},
		{"four characters", "1234", "****"},
		{"three characters", "123", "****"},
		{"empty", "", "****"},
		{"multi-byte characters", "王小明身分證號", "***身分證號"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twid.Mask(tt.in); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskMail(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"national ID", "A123456789", "A12****789"},
		{"old resident ID", "AB12345678", "AB1****678"},
		{"new resident ID", "A800000014", "A80****014"},
		{"longer", "ABCDEFGHIJKL", "ABC****JKL"},
		{"nine characters", "A12345678", "****"},
		{"empty", "", "****"},
		{"multi-byte characters", "王小明的身分證號碼是", "王小明****號碼是"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twid.MaskMail(tt.in); got != tt.want {
				t.Errorf("MaskMail(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskIDsIn(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"承辦人 A123456789 的資料", "承辦人 A12****789 的資料"},
		{"（A123456789）、B200000000。", "（A12****789）、B20****000。"},
		{"居留證 AB12345678 與 A912345678", "居留證 AB1****678 與 A91****678"},
		{"案號 12345，開通碼 ABCD-EFGH-JK", "案號 12345，開通碼 ABCD-EFGH-JK"},
		{"XA123456789 A1234567890 a123456789", "XA123456789 A1234567890 a123456789"}, // not on their own, or lower case
	}
	for _, tt := range tests {
		if got := twid.MaskIDsIn(tt.in); got != tt.want {
			t.Errorf("MaskIDsIn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMakeNationalID(t *testing.T) {
	tests := []struct {
		name   string
		letter byte
		sex    int
		serial int
		want   string
	}{
		{"textbook example", 'A', 1, 2345678, "A123456789"},
		{"female", 'A', 2, 2345678, "A223456781"},
		{"zero serial", 'B', 1, 0, "B100000002"},
		{"lower-case letter", 'a', 1, 2345678, "A123456789"},
		{"serial wraps", 'A', 1, 12345678, "A123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twid.MakeNationalID(tt.letter, tt.sex, tt.serial); got != tt.want {
				t.Errorf("MakeNationalID(%q, %d, %d) = %q, want %q", tt.letter, tt.sex, tt.serial, got, tt.want)
			}
		})
	}
}

func TestMakeResidentIDNew(t *testing.T) {
	tests := []struct {
		name   string
		letter byte
		sex    int
		serial int
		want   string
	}{
		{"male", 'A', 1, 1, "A800000014"},
		{"female", 'A', 2, 1, "A900000016"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twid.MakeResidentIDNew(tt.letter, tt.sex, tt.serial); got != tt.want {
				t.Errorf("MakeResidentIDNew(%q, %d, %d) = %q, want %q", tt.letter, tt.sex, tt.serial, got, tt.want)
			}
		})
	}
}

func TestMakeBAN(t *testing.T) {
	tests := []struct {
		name   string
		prefix int
		want   string
	}{
		{"MOF example", 459525, "04595257"},
		{"7th digit 7", 1045857, "10458575"},
		{"zero", 0, "00000000"},
		{"7th digit 7, also valid with 12345675", 1234567, "12345676"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twid.MakeBAN(tt.prefix); got != tt.want {
				t.Errorf("MakeBAN(%d) = %q, want %q", tt.prefix, got, tt.want)
			}
		})
	}
}

// TestGeneratorsProduceValidNumbers checks the generators against the
// validators for many letters, sexes and serials, including out-of-range
// arguments.
func TestGeneratorsProduceValidNumbers(t *testing.T) {
	serials := []int{-1, -10_000_001, 10_000_000, 99_999_999}
	for i := 0; i < 10_000_000; i += 7919 {
		serials = append(serials, i)
	}
	letters := []byte{0, '0', 'a', 'z', 0xff}
	for c := byte('A'); c <= 'Z'; c++ {
		letters = append(letters, c)
	}
	for _, sex := range []int{1, 2, 0, 3} {
		t.Run(fmt.Sprintf("sex %d", sex), func(t *testing.T) {
			for _, letter := range letters {
				for _, serial := range serials {
					id := twid.MakeNationalID(letter, sex, serial)
					if kind, err := twid.CheckPersonID(id); err != nil || kind != twid.NationalID {
						t.Fatalf("MakeNationalID(%q, %d, %d) = %q: got (%v, %v), want (%v, nil)", letter, sex, serial, id, kind, err, twid.NationalID)
					}
					wantSecond := byte('1')
					if sex == 2 {
						wantSecond = '2'
					}
					if id[1] != wantSecond {
						t.Fatalf("MakeNationalID(%q, %d, %d) = %q: got second char %q, want %q", letter, sex, serial, id, id[1], wantSecond)
					}
					rid := twid.MakeResidentIDNew(letter, sex, serial)
					if kind, err := twid.CheckPersonID(rid); err != nil || kind != twid.ResidentNew {
						t.Fatalf("MakeResidentIDNew(%q, %d, %d) = %q: got (%v, %v), want (%v, nil)", letter, sex, serial, rid, kind, err, twid.ResidentNew)
					}
					if rid[1] != wantSecond+7 {
						t.Fatalf("MakeResidentIDNew(%q, %d, %d) = %q: got second char %q, want %q", letter, sex, serial, rid, rid[1], wantSecond+7)
					}
				}
			}
		})
	}
	t.Run("BAN", func(t *testing.T) {
		for _, prefix := range serials {
			ban := twid.MakeBAN(prefix)
			if err := twid.CheckBAN(ban); err != nil {
				t.Fatalf("MakeBAN(%d) = %q: got %v, want nil", prefix, ban, err)
			}
			if prefix >= 0 && prefix < 10_000_000 && !strings.HasPrefix(ban, fmt.Sprintf("%07d", prefix)) {
				t.Fatalf("MakeBAN(%d) = %q: want prefix %07d", prefix, ban, prefix)
			}
		}
	})
}

// TestCheckBANCheckDigitCount checks that for each sample 7-digit prefix
// exactly the expected number of check digits is accepted: two of the ten
// (the %5 rule), or four when the 7th digit is 7.
func TestCheckBANCheckDigitCount(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		want   int
	}{
		{"ordinary prefix", "0459525", 2},
		{"7th digit 7", "1045857", 4},
		{"zeros", "0000000", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := 0
			for d := '0'; d <= '9'; d++ {
				if twid.CheckBAN(tt.prefix+string(d)) == nil {
					got++
				}
			}
			if got != tt.want {
				t.Errorf("valid check digits for %s = %d, want %d", tt.prefix, got, tt.want)
			}
		})
	}
}

// TestNormalizeIdempotentEveryRune checks idempotence exhaustively for
// single runes surrounded by text, complementing FuzzNormalize.
func TestNormalizeIdempotentEveryRune(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		in := "a" + string(r) + "b"
		once := twid.Normalize(in)
		if twice := twid.Normalize(once); twice != once {
			t.Fatalf("Normalize(%q) = %q, Normalize(%q) = %q", in, once, once, twice)
		}
	}
}
