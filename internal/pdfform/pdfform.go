// Package pdfform prints filed enrolment forms as PDF: the bureau's
// 「全民健康保險保險對象投保(轉入)申報表」 (the form for insured persons of
// categories 1 to 3), one A4 portrait page per form, with the insured
// person, the dependents, the reason, ROC dates and amounts laid out in a
// fixed grid that prints on an ordinary printer.
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

// Person is one person on the form: the insured (被保險人) or a dependent
// (眷屬).
type Person struct {
	// Name is the person's name (姓名).
	Name string
	// IDNo is the national ID number or resident certificate number
	// (國民身分證統一編號(居留證號碼)).
	IDNo string
	// Birth is the date of birth, printed in the ROC calendar
	// ("068年01月01日"). The zero time prints as blank.
	Birth time.Time
	// Relation is a dependent's relation to the insured (稱謂), e.g. 配偶
	// or 子女. It is not printed for the insured.
	Relation string
}

// Form is one filed enrolment (投保(轉入)申報) as printed.
type Form struct {
	// UnitName and UnitCode are the enrolling unit's name (投保單位名稱)
	// and code (投保單位代號).
	UnitName, UnitCode string
	// Insured is the insured person (被保險人). Their row comes first on
	// every page of the form.
	Insured Person
	// Amount is the insured amount in NT$ (投保金額(元)), printed without
	// thousands separators as on the bureau's forms ("45800"). Zero prints
	// as blank; a negative amount is an error.
	Amount int
	// PartTime marks an insured part-time employee (部分工時), whose amount
	// may be one of the grade table's part-time amounts: 「部分工時」 is
	// printed after the amount.
	PartTime bool
	// Dependents are the dependents filed with the insured, one row each.
	// A page holds DependentsPerPage of them; more continue on further
	// pages, each repeating the insured's row.
	Dependents []Person
	// DependentsOnly marks a filing for dependents of an insured person who
	// is already enrolled: the insured's row is printed for reference, with
	// no Y in 本人 and no reason.
	DependentsOnly bool
	// Reason is the reason the person qualifies (合於投保條件原因), e.g.
	// 到職起薪 or 隨同被保險人加保, and ReasonDate the date it took effect.
	// They are printed on every filed row. A zero ReasonDate prints as
	// blank.
	Reason     string
	ReasonDate time.Time
	// FiledOn is the date the unit filed the form (單位申報日). The zero
	// time prints as blank.
	FiledOn time.Time
	// FormNo is the form number ticked in the 表號 boxes: one of "C", "D",
	// "E", "F", "G" or "H" (承表C …; case and surrounding spaces are
	// ignored), or "" to tick none. Anything else is an error.
	FormNo string
}

// DependentsPerPage is the number of dependent rows on one page.
const DependentsPerPage = 4

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
	// ErrInvalidForm reports a form that cannot be printed as given: an
	// unknown FormNo, a negative Amount, or no forms at all.
	ErrInvalidForm = errors.New("invalid form")
	// ErrNoFont reports that NewRenderer was given no font path and found
	// no font in the default places.
	ErrNoFont = errors.New("no font found")
)

// GlyphError is the error Render returns for a character that no font can
// print. It wraps ErrMissingGlyph.
type GlyphError struct {
	// Form is the index of the form among those passed to Render.
	Form int
	// Field names the field holding the character, as a Go expression on
	// Form ("Insured.Name", "Dependents[1].Name", "UnitName"), or "label"
	// for the form's own printed text (only when the primary font lacks
	// one of the form's Chinese labels).
	Field string
	// Rune is the character.
	Rune rune
}

// Error names the form, the field and the character.
func (e *GlyphError) Error() string {
	return fmt.Sprintf("pdfform: forms[%d].%s: %v %q (U+%04X)", e.Form, e.Field, ErrMissingGlyph, e.Rune, e.Rune)
}

// Unwrap returns ErrMissingGlyph.
func (e *GlyphError) Unwrap() error { return ErrMissingGlyph }
