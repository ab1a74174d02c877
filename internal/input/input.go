// Package input is the one place that bounds what people type: the maximum
// length of every text field (documented in the README), and the characters
// refused in them. A name or a file name may hold no control character and
// no bidirectional formatting character (which would make "gpj.exe" show
// as "exe.jpg"); free text (reasons, notes) may hold line breaks and tabs
// but no other control character. Every check returns a Traditional
// Chinese message that names the field, or "" when the value is fine.
//
// Lengths count characters (runes), as people do, not bytes.
package input

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Maximum lengths, in characters. The forms' maxlength attributes and the
// README's table say the same.
const (
	MaxPersonName = 50   // a person's name: clerk, contact, caller, card holder
	MaxFilingName = 30   // the name on a filing: the bureau's printed forms fit about 30 characters
	MaxUnitName   = 100  // a unit's name
	MaxStreet     = 100  // 街路門號 of an address
	MaxReason     = 500  // one-line reasons and comments (註銷原因, 審核理由, 說明)
	MaxNote       = 2000 // multi-line notes (案件內容, 處理結果)
	MaxSearch     = 100  // a search term
	MaxEmail      = 254  // an e-mail address (RFC 5321)
	MaxPhone      = 24   // a phone or fax number as people write it
	MaxUnitCode   = 9    // 投保單位代號
	MaxBAN        = 8    // 統一編號
	MaxIDNo       = 10   // 身分證號 or 居留證號
	MaxCardNo     = 12   // 健保卡卡號
	MaxUsername   = 64   // a staff member's user name
	MaxPassword   = 64   // a password
	MaxFileName   = 100  // the name of an uploaded file

	MaxAnnouncementTitle = 100  // the title of a 公告欄 announcement
	MaxAnnouncementBody  = 5000 // its text
)

// Name checks a one-line name of at most max characters: no control
// characters (NUL included) and no bidirectional formatting characters.
// Emptiness is for the caller to judge.
func Name(label, v string, max int) string {
	if msg := length(label, v, max); msg != "" {
		return msg
	}
	if hasControl(v, false) {
		return label + "含有控制字元或文字方向控制字元，請刪除後再輸入。"
	}
	return ""
}

// Text checks free text of at most max characters: line breaks and tabs
// are allowed; other control characters, NUL and bidirectional formatting
// characters are not.
func Text(label, v string, max int) string {
	if msg := length(label, v, max); msg != "" {
		return msg
	}
	if hasControl(v, true) {
		return label + "含有控制字元或文字方向控制字元，請刪除後再輸入。"
	}
	return ""
}

// FileName checks the name of an uploaded file as Name does, with
// MaxFileName.
func FileName(v string) string { return Name("檔案名稱", v, MaxFileName) }

// Search trims a search term and cuts it to MaxSearch characters; a term
// with a control character becomes empty, so that it matches nothing odd.
func Search(v string) string {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || hasControl(v, false) {
		return ""
	}
	if utf8.RuneCountInString(v) > MaxSearch {
		v = string([]rune(v)[:MaxSearch])
	}
	return v
}

// IsBidi reports whether r is a bidirectional formatting character: the
// embeddings, overrides and isolates, the marks and the Arabic letter mark.
func IsBidi(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// StripBidi removes bidirectional formatting characters, for showing a
// name that was stored before they were refused.
func StripBidi(v string) string {
	return strings.Map(func(r rune) rune {
		if IsBidi(r) {
			return -1
		}
		return r
	}, v)
}

// hasControl reports whether v holds a control character (line breaks and
// tabs excepted when breaks) or a bidirectional formatting character.
func hasControl(v string, breaks bool) bool {
	for _, r := range v {
		if breaks && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || IsBidi(r) {
			return true
		}
	}
	return false
}

func length(label, v string, max int) string {
	if !utf8.ValidString(v) {
		return label + "含有無效的文字編碼，請重新輸入。"
	}
	if len(v) > max && utf8.RuneCountInString(v) > max {
		return fmt.Sprintf("%s最多 %d 個字。", label, max)
	}
	return ""
}
