// Package pdfform prints filed forms as PDF, drawn like the bureau's own
// paper forms for insured persons of categories 1 to 3:
//
//   - 「全民健康保險保險對象投保(轉入)申報表」 (Enrol): enrolments and
//     transfers in, of insured persons and their dependents;
//   - 「全民健康保險保險對象退保(轉出)申報表」 (Withdraw): withdrawals and
//     transfers out, of insured persons and their dependents;
//   - 「全民健康保險投保金額調整申報表」 (Adjust): insured amounts changed.
//
// A Document is one PDF of one kind of form for one unit. Its Forms are the
// insured persons, each with the dependents filed under them; every person
// is one row of the table, RowsPerPage (five) rows a page, and an insured
// with their dependents is kept on one page where they fit. An insured with
// more dependents than a page holds starts a page and continues on the next,
// marked 續. Dates are ROC dates, amounts have no thousands separators, as
// on the bureau's forms.
//
// A Renderer holds the parsed fonts. Create it once with NewRenderer, which
// reads and parses each font file a single time, and share it: Render is
// safe for concurrent use and never reads a font file again.
//
// Names may hold rare characters, so every character is looked up in the
// fonts before anything is drawn: it is printed with the first font that has
// a glyph for it (the primary font, then the fallbacks), and when none has,
// Render fails with an error wrapping ErrMissingGlyph that names the
// character and the field. A name is never printed with a character left
// out or replaced.
//
// The fonts are the 全字庫 TW-Sung fonts of the Debian package
// fonts-cns11643-sung by default; see README.md for their licence and how
// they are installed.
package pdfform

import (
	"errors"
	"fmt"
	"time"
)

// Kind is which of the bureau's forms a Document prints.
type Kind int

// The forms.
const (
	// Enrol is 全民健康保險保險對象投保(轉入)申報表: 加保 and 轉入.
	Enrol Kind = iota
	// Withdraw is 全民健康保險保險對象退保(轉出)申報表: 退保 and 轉出.
	Withdraw
	// Adjust is 全民健康保險投保金額調整申報表: 投保金額調整 of insured
	// persons (dependents have no amount).
	Adjust
)

// Title is the form's printed title.
func (k Kind) Title() string {
	if s, ok := specs[k]; ok {
		return s.title
	}
	return ""
}

// Person is one person on the form: the insured (被保險人) or a dependent
// (眷屬).
type Person struct {
	// Name is the person's name (姓名).
	Name string
	// IDNo is the national ID number or resident certificate number
	// (國民身分證統一編號(居留證號碼)).
	IDNo string
	// Birth is the date of birth, printed in the ROC calendar
	// ("068年01月01日", or 「民前 5 年 3 月 1 日」 before 1912). The zero
	// time prints as blank.
	Birth time.Time
	// Relation is a dependent's relation to the insured (稱謂), e.g. 配偶
	// or 子女. It is not printed for the insured.
	Relation string
	// Reason is why the person is filed for, printed in the row's 原因
	// cell: 合於投保條件原因 (到職起薪, 隨同被保險人加保 …) on the
	// Enrol form, 退保(轉出)原因 (離職 …) on the Withdraw form, 調整原因
	// on the Adjust form.
	Reason string
	// Date is the filed date under the reason: 生效日期 (Enrol),
	// 退保(轉出)日期 (Withdraw) or 調整生效日期 (Adjust). The zero time
	// prints as blank.
	Date time.Time
}

// Form is one insured person (被保險人) and the dependents filed under
// them: the insured's own row (unless DependentsOnly), then one row per
// dependent, each naming the insured. The rows stay on one page when they
// fit; more than RowsPerPage continue on the next page, marked 續.
type Form struct {
	// Insured is the insured person, with their own reason and date.
	Insured Person
	// Amount is the insured amount in NT$, printed without thousands
	// separators as on the bureau's forms ("45800"): 投保金額(元) on the
	// Enrol form, 調整後投保金額(元) on the Adjust form. The Withdraw form
	// has none. Zero prints as blank; a negative amount is an error.
	Amount int
	// PartTime marks an insured part-time employee (部分工時), whose amount
	// may be one of the grade table's part-time amounts: 「部分工時」 is
	// printed after the amount.
	PartTime bool
	// OldAmount is the Adjust form's 調整前投保金額(元); zero prints as
	// blank.
	OldAmount int
	// Dependents are the dependents filed under the insured, one row each
	// (not on the Adjust form).
	Dependents []Person
	// DependentsOnly marks dependents filed under an insured person whose
	// own filing is not on this form (already enrolled, say): the insured
	// has no row of their own and is named on each dependent's row.
	DependentsOnly bool
}

// Document is one PDF: the forms of one kind that one unit prints together.
type Document struct {
	// Kind is which form prints.
	Kind Kind
	// UnitName and UnitCode are the unit's name (投保單位名稱) and code
	// (投保單位代號), on every page.
	UnitName, UnitCode string
	// FilledOn is the form's date (填表日期) on every page. The zero time
	// prints as blank.
	FilledOn time.Time
	// FormNo is the form number ticked in the Enrol form's 表號 boxes: one
	// of "C", "D", "E", "F", "G" or "H" (承表C …; case and surrounding
	// spaces are ignored), or "" to tick none. Only the Enrol form has the
	// boxes; anything else is an error.
	FormNo string
	// Forms are printed in order.
	Forms []Form
}

// RowsPerPage is the number of persons (table rows) on one page.
const RowsPerPage = 5

// FormNumbers are the form numbers printed in the 表號 boxes, in order.
var FormNumbers = []string{"C", "D", "E", "F", "G", "H"}

// Errors. Render's errors wrap one of these, or an I/O error from the
// writer.
var (
	// ErrMissingGlyph reports a character that no font of the Renderer has
	// a glyph for. The error is a *GlyphError naming the character and the
	// field.
	ErrMissingGlyph = errors.New("no font has a glyph for the character")
	// ErrTooLong reports a value too long to fit its box even in the
	// smallest type size the form allows.
	ErrTooLong = errors.New("text does not fit its box")
	// ErrInvalidForm reports a document that cannot be printed as given:
	// an unknown Kind or FormNo, a negative amount, a form with no row, a
	// field the kind of form does not have, or no forms at all.
	ErrInvalidForm = errors.New("invalid form")
	// ErrNoFont reports that NewRenderer was given no font path and found
	// no font in the default places.
	ErrNoFont = errors.New("no font found")
)

// GlyphError is the error Render returns for a character that no font can
// print. It wraps ErrMissingGlyph.
type GlyphError struct {
	// Form is the index of the form in Document.Forms holding the
	// character, or -1 for the document's own fields (UnitName, UnitCode)
	// and labels.
	Form int
	// Field names the field holding the character, as a Go expression on
	// the Form ("Insured.Name", "Dependents[1].Name") or the Document
	// ("UnitName"), or "label" for the form's own printed text (only when
	// the primary font lacks one of the form's Chinese labels).
	Field string
	// Rune is the character.
	Rune rune
}

// Error names the form, the field and the character.
func (e *GlyphError) Error() string {
	if e.Form < 0 {
		return fmt.Sprintf("pdfform: %s: %v %q (U+%04X)", e.Field, ErrMissingGlyph, e.Rune, e.Rune)
	}
	return fmt.Sprintf("pdfform: forms[%d].%s: %v %q (U+%04X)", e.Form, e.Field, ErrMissingGlyph, e.Rune, e.Rune)
}

// Unwrap returns ErrMissingGlyph.
func (e *GlyphError) Unwrap() error { return ErrMissingGlyph }

// Pages is the number of pages Render prints for the document.
func (d Document) Pages() int { return len(paginate(d.Forms)) }
