package models

import (
	"errors"
	"net/mail"
	"regexp"
	"strconv"
	"strings"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/twaddr"
)

// fieldErrors collects messages per form field.
type fieldErrors map[string]string

func (f fieldErrors) err(summary string) error {
	if len(f) == 0 {
		return nil
	}
	return apperr.InvalidFields(summary, f)
}

// text checks a required free-text field of at most max characters (the
// maxima are in package input): no control characters but line breaks and
// tabs, no bidirectional formatting characters, no < >.
func (f fieldErrors) text(field, label, v string, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		f[field] = "請輸入" + label + "。"
	case input.Text(label, v, max) != "":
		f[field] = input.Text(label, v, max)
	case strings.ContainsAny(v, "<>"):
		f[field] = label + "不可包含 < > 等符號。"
	}
}

// name checks a required one-line name as text does, refusing line breaks
// and tabs too.
func (f fieldErrors) name(field, label, v string, max int) {
	f.text(field, label, v, max)
	if _, bad := f[field]; !bad {
		if msg := input.Name(label, v, max); msg != "" {
			f[field] = msg
		}
	}
}

// checkEmail checks an e-mail address: one plain address, no display name.
func (f fieldErrors) email(field, v string) {
	a, err := mail.ParseAddress(v)
	if v == "" {
		f[field] = "請輸入電子郵件信箱。"
	} else if err != nil || a.Address != v || len(v) > 254 || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
		f[field] = "電子郵件信箱格式不正確，例如 name@example.com.tw。"
	}
}

var rePhone = regexp.MustCompile(`^[0-9()#\- ]{7,24}$`)

// phone checks a Taiwanese phone number as people write it: digits,
// parentheses, hyphens, spaces and # before an extension.
func (f fieldErrors) phone(field, label, v string, required bool) {
	if v == "" {
		if required {
			f[field] = "請輸入" + label + "。"
		}
		return
	}
	digits := 0
	for _, r := range v {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if !rePhone.MatchString(v) || digits < 7 {
		f[field] = label + "格式不正確，例如 (02)2523-2388 或 0912-345-678。"
	}
}

// address checks an address: the county, township and village must exist
// together in the shipped data set; 鄰 is a number; 街路門號 is required.
func (f fieldErrors) address(prefix string, a Address) {
	if err := twaddr.Validate(a.County, a.Township, a.Village); err != nil {
		field := "_village"
		switch {
		case errors.Is(err, twaddr.ErrCounty):
			field = "_county"
		case errors.Is(err, twaddr.ErrTownship):
			field = "_township"
		}
		f[prefix+field] = err.Error()
	}
	if a.Neighborhood != "" {
		if n, err := strconv.Atoi(a.Neighborhood); err != nil || n < 1 || n > 999 {
			f[prefix+"_neighborhood"] = "鄰請輸入 1 到 999 的數字。"
		}
	}
	f.name(prefix+"_street", "街路門號", a.Street, input.MaxStreet)
}

// NormalizeAddress trims the parts, writes 臺 for 台 in county and
// township names, and spells a known village as the official data does
// (some official names keep 台, e.g. 霧台村).
func NormalizeAddress(a Address) Address {
	county, township := twaddr.Normalize(a.County), twaddr.Normalize(a.Township)
	village := strings.TrimSpace(a.Village)
	if v, ok := twaddr.LookupVillage(county, township, village); ok {
		village = v
	}
	return Address{
		County:       county,
		Township:     township,
		Village:      village,
		Neighborhood: strings.TrimSuffix(strings.TrimSpace(a.Neighborhood), "鄰"),
		Street:       strings.TrimSpace(a.Street),
	}
}
