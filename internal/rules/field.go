package rules

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/twid"
)

// Names of the entry form's fields, for Filing.Set and CheckField.
const (
	FieldInsuredID     = "insured_id"
	FieldDependentID   = "dependent_id"
	FieldName          = "name"
	FieldSex           = "sex"
	FieldBirth         = "birth"
	FieldRelation      = "relation"
	FieldReason        = "reason"
	FieldAmount        = "amount"
	FieldEffectiveDate = "effective_date"
	FieldPartTime      = "part_time"
)

// fieldPersonID marks rules about the person filed for: CheckField runs
// them for insured_id on insured filings and for dependent_id on dependent
// filings.
const fieldPersonID = "@person_id"

// Set parses value, the text typed into the entry form's field name, and
// stores it in f, so that the form, uploads and CheckField all read input
// the same way:
//
//	insured_id, dependent_id  normalised with twid.Normalize (full-width, lower case, spaces)
//	name                      trimmed; at most input.MaxFilingName characters, no control or bidi characters
//	sex                       M or F in either case, or 男／女
//	birth, effective_date     an ROC date (rocdate.Parse); empty clears the date
//	relation, reason          trimmed, full-width letters and digits converted, upper-cased
//	amount                    a whole number; thousands commas and a trailing 元 are ignored; empty is 0
//	part_time                 是, Y, V, 1, 部分工時 (a ticked box sends 1) for 部分工時; empty, 否, N, 0 for not
//
// Set reports only input it cannot read (a malformed date or amount, a name
// too long for the bureau's forms or with control characters, an unknown field), with a Traditional Chinese message, and then leaves f
// unchanged; whether the value is acceptable is for Check and CheckField.
func (f *Filing) Set(name, value string) error {
	switch name {
	case FieldInsuredID:
		f.InsuredID = twid.Normalize(value)
	case FieldDependentID:
		f.DependentID = twid.Normalize(value)
	case FieldName:
		v := strings.TrimSpace(value)
		if msg := input.Name("姓名", v, input.MaxFilingName); msg != "" {
			return errors.New(msg)
		}
		f.Name = v
	case FieldSex:
		f.Sex = parseSex(value)
	case FieldBirth, FieldEffectiveDate:
		t, err := parseDate(value)
		if err != nil {
			return err
		}
		if name == FieldBirth {
			f.Birth = t
		} else {
			f.EffectiveDate = t
		}
	case FieldRelation:
		f.Relation = twid.Normalize(value)
	case FieldReason:
		f.Reason = twid.Normalize(value)
	case FieldAmount:
		n, err := parseAmount(value)
		if err != nil {
			return err
		}
		f.Amount = n
	case FieldPartTime:
		v, err := parsePartTime(value)
		if err != nil {
			return err
		}
		f.PartTime = v
	default:
		return fmt.Errorf("未知的欄位「%s」", name)
	}
	return nil
}

func parseSex(value string) string {
	switch v := strings.ToUpper(strings.TrimSpace(value)); v {
	case "男":
		return "M"
	case "女":
		return "F"
	default:
		return v
	}
}

func parseDate(value string) (time.Time, error) {
	if strings.TrimSpace(value) == "" {
		return time.Time{}, nil
	}
	return rocdate.Parse(value)
}

func parseAmount(value string) (int, error) {
	v := strings.TrimSpace(fullWidthDigits(value))
	v = strings.TrimSpace(strings.TrimSuffix(v, "元"))
	v = amountNoise.Replace(v)
	if v == "" {
		return 0, nil
	}
	if !allDigits(v) {
		return 0, fmt.Errorf("投保金額請填整數，例如 30300")
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("投保金額太大，請確認是否多打了數字")
	}
	return n, nil
}

// CheckField checks one field of the entry form as the clerk types it,
// with the default Context: today's date in Taipei, the built-in grade
// tables and no roster look-ups. See Context.CheckField.
func CheckField(name, value string, f Filing) string {
	return Context{}.CheckField(name, value, f)
}

// CheckField checks one field of the entry form: value is the field's text
// as typed and f holds the rest of the form as Set stores it, for the rules
// that compare fields (a birth date against the effective date, an amount
// against the table in force). It stores value with Set and runs the rules
// of the code table that concern the field, in table order, returning the
// first failed refusal's detailed Traditional Chinese message, else the
// first warning's, or "" when the field is fine. It returns Set's message
// when the value cannot be read.
//
// These are the same rule functions Check runs: with the same Context,
// every code Check reports, except 0 (receiving branch) and a (kind and
// person), which concern no form field, belongs to a field for which
// CheckField returns a message.
func (c Context) CheckField(name, value string, f Filing) string {
	_, msg := c.CheckFieldCode(name, value, f)
	return msg
}

// CheckFieldCode is CheckField that also returns the code of the rule
// whose message it is ("" for Set's message or none), so that the form can
// tell a warning (see Warning) from a refusal.
func (c Context) CheckFieldCode(name, value string, f Filing) (Code, string) {
	if err := f.Set(name, value); err != nil {
		return "", err.Error()
	}
	e := c.env()
	var warnCode Code
	var warn string
	for i := range table {
		r := &table[i]
		if !slices.Contains(r.fields, name) && !(slices.Contains(r.fields, fieldPersonID) && name == personIDField(&f)) {
			continue
		}
		msg := r.check(&f, &e)
		switch {
		case msg == "":
		case !Warning(r.Code):
			return r.Code, msg
		case warn == "":
			warnCode, warn = r.Code, msg
		}
	}
	return warnCode, warn
}

// personIDField is the field holding the ID of the person f is about.
func personIDField(f *Filing) string {
	if f.Person == PersonDependent {
		return FieldDependentID
	}
	return FieldInsuredID
}

// partTimeWords are the answers Set reads for part_time, keyed by their
// upper-cased form without spaces.
var partTimeWords = map[string]bool{
	"": false, "否": false, "N": false, "NO": false, "0": false, "FALSE": false, "全時": false,
	"是": true, "Y": true, "YES": true, "1": true, "TRUE": true, "ON": true, "V": true, "✓": true, "✔": true,
	"部分工時": true, "部份工時": true,
}

func parsePartTime(value string) (bool, error) {
	v := strings.Join(strings.Fields(twid.Normalize(value)), "")
	if b, ok := partTimeWords[v]; ok {
		return b, nil
	}
	return false, fmt.Errorf("部分工時請填「是」，不是部分工時請留空或填「否」")
}

// amountNoise are the separators people type inside amounts.
var amountNoise = strings.NewReplacer(",", "", "，", "", " ", "")
