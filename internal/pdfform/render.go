package pdfform

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signintech/gopdf"

	"github.com/multicert/multicert/internal/rocdate"
)

// Render writes one PDF holding every form: one A4 page per form, or more
// when a form has more than DependentsPerPage dependents. It checks every
// character of every field against the fonts before drawing anything: a
// character no font has fails the whole call with a *GlyphError (wrapping
// ErrMissingGlyph), a value too long for its box with ErrTooLong, and
// nothing is written to w in either case.
func (r *Renderer) Render(w io.Writer, forms ...Form) error {
	if len(forms) == 0 {
		return fmt.Errorf("pdfform: %w: no forms to render", ErrInvalidForm)
	}
	for i := range forms {
		if err := r.check(i, &forms[i]); err != nil {
			return err
		}
	}
	before := r.unexpected.Load()
	d := &doc{r: r, added: make([]bool, len(r.faces)), face: -1}
	d.gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	d.gp.SetInfo(gopdf.PdfInfo{Title: title, Creator: "multicert"})
	for i := range forms {
		d.form = i
		if err := d.drawForm(&forms[i]); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if _, err := d.gp.WriteTo(&buf); err != nil {
		return fmt.Errorf("pdfform: write pdf: %w", err)
	}
	if r.unexpected.Load() != before {
		return fmt.Errorf("pdfform: %w: gopdf reported a glyph missing after the check passed", ErrMissingGlyph)
	}
	out := buf.Bytes()
	if d.astral {
		var err error
		if out, err = fixToUnicode(out); err != nil {
			return err
		}
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("pdfform: write pdf: %w", err)
	}
	return nil
}

// check validates form i before anything is drawn.
func (r *Renderer) check(i int, f *Form) error {
	if _, ok := formNoIndex(f.FormNo); !ok {
		return fmt.Errorf("pdfform: forms[%d].FormNo: %w: %q is not one of %s", i, ErrInvalidForm, f.FormNo, strings.Join(FormNumbers, " "))
	}
	if f.Amount < 0 {
		return fmt.Errorf("pdfform: forms[%d].Amount: %w: negative amount %d", i, ErrInvalidForm, f.Amount)
	}
	type field struct{ name, value string }
	fields := []field{
		{"UnitName", f.UnitName},
		{"UnitCode", f.UnitCode},
		{"Insured.Name", f.Insured.Name},
		{"Insured.IDNo", f.Insured.IDNo},
		{"Reason", f.Reason},
	}
	for j, p := range f.Dependents {
		fields = append(fields,
			field{fmt.Sprintf("Dependents[%d].Name", j), p.Name},
			field{fmt.Sprintf("Dependents[%d].IDNo", j), p.IDNo},
			field{fmt.Sprintf("Dependents[%d].Relation", j), p.Relation})
	}
	for _, fl := range fields {
		if _, err := r.width(fl.value); err != nil {
			return glyphError(err, i, fl.name)
		}
	}
	return nil
}

// formNoIndex returns the index in FormNumbers of no, or -1 for "".
func formNoIndex(no string) (int, bool) {
	no = strings.ToUpper(strings.TrimSpace(no))
	if no == "" {
		return -1, true
	}
	for i, n := range FormNumbers {
		if n == no {
			return i, true
		}
	}
	return 0, false
}

// The form's own text, in Traditional Chinese.
const (
	title    = "全民健康保險保險對象投保(轉入)申報表"
	subtitle = "(本表專供第一至第三類被保險人的投保單位填用)"
)

// Page geometry in millimetres, from the top-left corner of an A4 page.
const (
	ptPerMM = 72 / 25.4
	pageW   = 210.0
	marginX = 12.0
	rightX  = pageW - marginX

	tableTop  = 40.0
	headerH   = 13.0
	rowH      = 28.0
	fieldH    = rowH / 4 // one of the four field lines of a person
	labelW    = 23.0     // the label column inside a person's block
	bottomGap = 4.0
	bottomH   = 48.0

	lineHeight    = 1.2 // line pitch as a multiple of the type size
	minSize       = 6.0 // smallest type size a value shrinks to, in points
	oneLineShrink = 2.0 // points a value may shrink to stay on one line
)

// Column edges of the table: 投保者(打Y), 被保險人, 相關眷屬, 原因,
// 核定生效日期.
var cols = [6]float64{marginX, 27, 85, 140, 176, rightX}

// Line widths in millimetres and colours.
const (
	outerLine = 0.45
	innerLine = 0.25
	fineLine  = 0.12
)

var (
	black     = [3]uint8{0, 0, 0}
	gridGray  = [3]uint8{150, 150, 150}
	labelGray = [3]uint8{60, 60, 60}
	shade     = [3]uint8{236, 236, 236}
)

// doc is one PDF being drawn.
type doc struct {
	r     *Renderer
	gp    gopdf.GoPdf
	added []bool // faces added to gp
	form  int    // index of the form being drawn, for errors
	face  int    // current gopdf font, -1 for none
	size  float64
	// astral records a character beyond the BMP: the PDF then needs
	// fixToUnicode.
	astral bool
}

func (d *doc) drawForm(f *Form) error {
	pages := (len(f.Dependents) + DependentsPerPage - 1) / DependentsPerPage
	if pages == 0 {
		pages = 1
	}
	for p := range pages {
		lo := p * DependentsPerPage
		hi := min(lo+DependentsPerPage, len(f.Dependents))
		if err := d.drawPage(f, p, pages, lo, f.Dependents[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

// drawPage draws page p (of pages) of form f, with the dependents deps
// numbered from first.
func (d *doc) drawPage(f *Form, p, pages, first int, deps []Person) error {
	d.gp.AddPage()
	d.face = -1
	// PDF paints text with the fill colour: set the text colour before
	// any shading, or gopdf leaves text in the shade's grey.
	d.textColor(black)
	if err := d.drawHead(f, p, pages); err != nil {
		return err
	}
	if err := d.drawTableHeader(); err != nil {
		return err
	}
	top := tableTop + headerH
	if err := d.drawInsuredRow(f, top); err != nil {
		return err
	}
	for i := range DependentsPerPage {
		var dep *Person
		if i < len(deps) {
			dep = &deps[i]
		}
		if err := d.drawDependentRow(f, top+float64(i+1)*rowH, dep, first+i); err != nil {
			return err
		}
	}
	tableBottom := top + float64(DependentsPerPage+1)*rowH
	d.stroke(black, outerLine)
	d.rect(marginX, tableTop, rightX-marginX, tableBottom-tableTop)
	return d.drawUnit(f, tableBottom+bottomGap)
}

// drawHead draws the 表號 boxes, the page number, the title and the
// subtitle.
func (d *doc) drawHead(f *Form, p, pages int) error {
	const size, boxY, boxH = 9.0, 12.0, 7.0
	base := boxY + boxH/2 + baselineOffset(size)
	x := marginX + 2
	w, err := d.text(x, base, size, "表號：承表", "label")
	if err != nil {
		return err
	}
	x += w + 1.5
	// The boxes and the tick are drawn, not set in type: TW-Sung's ☑ is
	// half the width of its □.
	const box = 3.2
	ticked, _ := formNoIndex(f.FormNo)
	for i, n := range FormNumbers {
		w, err := d.text(x, base, size, n, "label")
		if err != nil {
			return err
		}
		bx, by := x+w+0.6, boxY+(boxH-box)/2
		d.stroke(black, fineLine)
		d.rect(bx, by, box, box)
		if i == ticked {
			d.stroke(black, 0.35)
			d.line(bx+0.55, by+box*0.55, bx+box*0.42, by+box-0.55)
			d.line(bx+box*0.42, by+box-0.55, bx+box-0.45, by+0.45)
		}
		x = bx + box + 2.5
	}
	d.stroke(black, innerLine)
	d.rect(marginX, boxY, x-1-marginX, boxH)

	page := fmt.Sprintf("第 %d 頁／共 %d 頁", p+1, pages)
	if _, err := d.textRight(rightX, base, 8, page, "label"); err != nil {
		return err
	}
	if _, err := d.textCenter(pageW/2, 29, 16, title, "label"); err != nil {
		return err
	}
	_, err = d.textCenter(pageW/2, 35.5, 9, subtitle, "label")
	return err
}

func (d *doc) drawTableHeader() error {
	y := tableTop
	d.fill(shade)
	d.fillRect(marginX, y, rightX-marginX, headerH)
	d.stroke(black, innerLine)
	d.line(marginX, y+headerH, rightX, y+headerH)
	for _, x := range cols[1:5] {
		d.line(x, y, x, y+headerH+float64(DependentsPerPage+1)*rowH)
	}
	heads := []struct {
		lines []string
		size  float64
	}{
		{[]string{"投保者", "(打Y)"}, 8},
		{[]string{"被保險人"}, 10},
		{[]string{"相關眷屬"}, 10},
		{nil, 0}, // wrapped below
		{[]string{"核定生效日期", "(健保署填寫)"}, 7.5},
	}
	for i, h := range heads {
		if h.lines == nil {
			if err := d.fitBox(cols[i]+1, y, cols[i+1]-cols[i]-2, headerH, 8, 6, "投保單位填寫合於投保條件原因(詳見說明七、八)", "label", center); err != nil {
				return err
			}
			continue
		}
		if err := d.linesAt(cols[i], cols[i+1]-cols[i], y, headerH, h.size, h.lines, "label", center); err != nil {
			return err
		}
	}
	return nil
}

// person is what one block (被保險人 or 相關眷屬) of a row shows: name, ID
// number, birth date and 投保金額 or 稱謂, with the Form fields they come
// from. Empty values print blank.
type person struct {
	values [4]string
	fields [4]string
}

var insuredFields = [4]string{"Insured.Name", "Insured.IDNo", "Insured.Birth", "Amount"}

func (d *doc) drawInsuredRow(f *Form, top float64) error {
	ins := &person{
		values: [4]string{f.Insured.Name, f.Insured.IDNo, rocDate(f.Insured.Birth), ""},
		fields: insuredFields,
	}
	if f.Amount > 0 {
		ins.values[3] = strconv.Itoa(f.Amount)
		if f.PartTime {
			ins.values[3] += " 部分工時"
		}
	}
	if err := d.drawRow(top, !f.DependentsOnly, false, ins, nil); err != nil {
		return err
	}
	if f.DependentsOnly {
		return d.drawReason(top, nil)
	}
	return d.drawReason(top, f)
}

func (d *doc) drawDependentRow(f *Form, top float64, dep *Person, n int) error {
	if dep == nil {
		if err := d.drawRow(top, false, false, nil, nil); err != nil {
			return err
		}
		return d.drawReason(top, nil)
	}
	// The insured's name and ID number say whom the dependent is filed
	// under; their birth date and amount are on the first row.
	ins := &person{values: [4]string{f.Insured.Name, f.Insured.IDNo}, fields: insuredFields}
	dp := &person{values: [4]string{dep.Name, dep.IDNo, rocDate(dep.Birth), dep.Relation}}
	for i, name := range []string{"Name", "IDNo", "Birth", "Relation"} {
		dp.fields[i] = fmt.Sprintf("Dependents[%d].%s", n, name)
	}
	if err := d.drawRow(top, false, true, ins, dp); err != nil {
		return err
	}
	return d.drawReason(top, f)
}

// drawRow draws the 投保者 cell and the two person blocks of a row.
func (d *doc) drawRow(top float64, self, dependent bool, ins, dep *person) error {
	d.stroke(black, innerLine)
	d.line(marginX, top+rowH, rightX, top+rowH)

	// 投保者(打Y): 本人 and 眷屬, each with a box for the Y.
	half := rowH / 2
	d.stroke(gridGray, fineLine)
	d.line(cols[0], top+half, cols[1], top+half)
	for i, label := range []string{"本人", "眷屬"} {
		y := top + float64(i)*half
		base := y + half/2 + baselineOffset(8)
		if _, err := d.text(cols[0]+1.5, base, 8, label, "label"); err != nil {
			return err
		}
		const box = 4.6
		bx, by := cols[1]-1.5-box, y+(half-box)/2
		d.stroke(black, fineLine)
		d.rect(bx, by, box, box)
		if (i == 0 && self) || (i == 1 && dependent) {
			if _, err := d.textCenter(bx+box/2, by+box/2+baselineOffset(10), 10, "Y", "label"); err != nil {
				return err
			}
		}
	}
	if err := d.drawPerson(cols[1], cols[2], top, ins, "投保金額(元)"); err != nil {
		return err
	}
	return d.drawPerson(cols[2], cols[3], top, dep, "稱謂")
}

// drawPerson draws one person block between x0 and x1: four labelled field
// lines.
func (d *doc) drawPerson(x0, x1, top float64, p *person, lastLabel string) error {
	labels := [4][]string{{"姓名"}, {"國民身分證統一編號", "(居留證號碼)"}, {"出生年月日"}, {lastLabel}}
	d.stroke(gridGray, fineLine)
	d.line(x0+labelW, top, x0+labelW, top+rowH)
	for i := 1; i < 4; i++ {
		d.line(x0, top+float64(i)*fieldH, x1, top+float64(i)*fieldH)
	}
	d.textColor(labelGray)
	for i, l := range labels {
		if err := d.linesAt(x0+1, labelW-1, top+float64(i)*fieldH, fieldH, 6.5, l, "label", left); err != nil {
			return err
		}
	}
	d.textColor(black)
	if p == nil {
		return nil
	}
	for i, v := range p.values {
		if v == "" {
			continue
		}
		if err := d.fitBox(x0+labelW+1.5, top+float64(i)*fieldH, x1-x0-labelW-2.5, fieldH, 10.5, minSize, v, p.fields[i], left); err != nil {
			return err
		}
	}
	return nil
}

// drawReason draws the 原因 cell (the reason, its date) and the blank
// 核定生效日期 cell of a row; f nil leaves the reason blank.
func (d *doc) drawReason(top float64, f *Form) error {
	x0, x1 := cols[3], cols[4]
	const strip = 6.0
	d.stroke(gridGray, fineLine)
	d.line(x0+strip, top, x0+strip, top+rowH)
	dateTop := top + rowH - fieldH
	d.line(x0+strip, dateTop, x1, dateTop)
	for i, c := range []string{"原", "因"} {
		if _, err := d.textCenter(x0+strip/2, top+rowH*float64(2*i+1)/4+baselineOffset(9), 9, c, "label"); err != nil {
			return err
		}
	}
	d.textColor(labelGray)
	if _, err := d.text(x0+strip+1, top+2.6, 6.5, "詳見說明七", "label"); err != nil {
		return err
	}
	dateBase := dateTop + fieldH/2 + baselineOffset(6.5)
	w, err := d.text(x0+strip+1, dateBase, 6.5, "日期", "label")
	if err != nil {
		return err
	}
	d.textColor(black)
	if f != nil {
		if f.Reason != "" {
			if err := d.fitBox(x0+strip+1, top+3.5, x1-x0-strip-2, dateTop-top-3.5, 10, minSize, f.Reason, "Reason", left); err != nil {
				return err
			}
		}
		if s := rocDate(f.ReasonDate); s != "" {
			if err := d.fitBox(x0+strip+2+w, dateTop, x1-x0-strip-3-w, fieldH, 9.5, minSize, s, "ReasonDate", left); err != nil {
				return err
			}
		}
	}

	// 核定生效日期: left blank for the bureau, with 年 月 日 to write
	// between.
	x0, x1 = cols[4], cols[5]
	d.fill(shade)
	d.fillRect(x0+innerLine/2, top+innerLine/2, x1-x0-innerLine, rowH-innerLine)
	slot := (x1 - x0 - 1) / 3
	for i, c := range []string{"年", "月", "日"} {
		if _, err := d.textRight(x0+float64(i+1)*slot, top+rowH-fieldH/2+baselineOffset(8), 8, c, "label"); err != nil {
			return err
		}
	}
	return nil
}

// drawUnit draws the unit's name, code and filing date, and the two stamp
// boxes, in a box whose top is at y.
func (d *doc) drawUnit(f *Form, y float64) error {
	const split = 108.0  // unit details | stamps
	const stamps = 160.0 // 投保單位印章 | 負責人印章
	const capH = 7.0
	const uLabelW = 24.0
	d.stroke(black, outerLine)
	d.rect(marginX, y, rightX-marginX, bottomH)
	d.stroke(black, innerLine)
	d.line(split, y, split, y+bottomH)
	d.line(stamps, y, stamps, y+bottomH)
	d.fill(shade)
	d.fillRect(split+innerLine/2, y+outerLine/2, rightX-split-innerLine, capH-outerLine/2)
	d.line(split, y+capH, rightX, y+capH)
	if _, err := d.textCenter((split+stamps)/2, y+capH/2+baselineOffset(9), 9, "投保單位印章", "label"); err != nil {
		return err
	}
	if _, err := d.textCenter((stamps+rightX)/2, y+capH/2+baselineOffset(9), 9, "負責人印章", "label"); err != nil {
		return err
	}

	rows := []struct {
		label, value, field string
		h                   float64
	}{
		{"投保單位名稱", f.UnitName, "UnitName", 24},
		{"投保單位代號", f.UnitCode, "UnitCode", 12},
		{"單位申報日", rocDate(f.FiledOn), "FiledOn", 12},
	}
	top := y
	for i, r := range rows {
		if i > 0 {
			d.stroke(gridGray, fineLine)
			d.line(marginX, top, split, top)
		}
		if err := d.linesAt(marginX+1.5, uLabelW, top, r.h, 9, []string{r.label}, "label", left); err != nil {
			return err
		}
		if r.value != "" {
			if err := d.fitBox(marginX+uLabelW+2, top+1, split-marginX-uLabelW-3.5, r.h-2, 11, 7, r.value, r.field, left); err != nil {
				return err
			}
		}
		top += r.h
	}
	d.stroke(gridGray, fineLine)
	d.line(marginX+uLabelW, y, marginX+uLabelW, y+bottomH)
	return nil
}

// rocDate formats t as printed on the form ("068年01月01日"); the zero time
// is blank.
func rocDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return rocdate.FormatForm(t)
}

// baselineOffset is how far below the middle of a line box the baseline of
// text of the given size lies, in millimetres, so that CJK text sits in the
// middle of the box.
func baselineOffset(size float64) float64 { return 0.36 * size / ptPerMM }

type align int

const (
	left align = iota
	center
)

// fitBox prints s in the box (x, y, w, h) in the largest size it fits:
// on one line in a size from hi down to hi-oneLineShrink, else wrapped, in
// a size from hi down to lo (in steps of half a point) at which the lines
// fit the box's height. A value that fits in no size fails with ErrTooLong
// rather than run out of its box.
func (d *doc) fitBox(x, y, w, h, hi, lo float64, s, field string, a align) error {
	// One line in a slightly smaller size reads better than a wrapped
	// line with one character on the next.
	em, err := d.r.width(s)
	if err != nil {
		return glyphError(err, d.form, field)
	}
	for size := hi; size >= hi-oneLineShrink && size >= lo; size -= 0.5 {
		if em*size/1000/ptPerMM <= w && size/ptPerMM <= h {
			return d.linesAt(x, w, y, h, size, []string{s}, field, a)
		}
	}
	for size := hi; size >= lo; size -= 0.5 {
		limit := w * ptPerMM / size * 1000
		lines, err := d.r.wrap(s, limit)
		if err != nil {
			return glyphError(err, d.form, field)
		}
		if float64(len(lines))*size*lineHeight/ptPerMM <= h || (len(lines) == 1 && size/ptPerMM <= h) {
			return d.linesAt(x, w, y, h, size, lines, field, a)
		}
	}
	return fmt.Errorf("pdfform: forms[%d].%s: %w: %d characters in %.0f×%.0f mm", d.form, field, ErrTooLong, utf8.RuneCountInString(s), w, h)
}

// linesAt prints lines centred vertically in the box (x, y, w, h).
func (d *doc) linesAt(x, w, y, h, size float64, lines []string, field string, a align) error {
	pitch := size * lineHeight / ptPerMM
	first := y + h/2 - pitch*float64(len(lines)-1)/2 + baselineOffset(size)
	for i, l := range lines {
		base := first + float64(i)*pitch
		var err error
		if a == center {
			_, err = d.textCenter(x+w/2, base, size, l, field)
		} else {
			_, err = d.text(x, base, size, l, field)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// text prints s with its left end at x and its baseline at base, switching
// fonts wherever the primary font lacks a character, and returns its width.
func (d *doc) text(x, base, size float64, s, field string) (float64, error) {
	runs, err := d.r.split(s)
	if err != nil {
		return 0, glyphError(err, d.form, field)
	}
	start := x
	for _, rn := range runs {
		for _, c := range rn.text {
			d.astral = d.astral || c > 0xFFFF
		}
		if err := d.setFont(rn.face, size); err != nil {
			return 0, err
		}
		d.gp.SetXY(x*ptPerMM, base*ptPerMM)
		if err := d.gp.Text(rn.text); err != nil {
			return 0, fmt.Errorf("pdfform: forms[%d].%s: %w", d.form, field, err)
		}
		x += rn.width * size / 1000 / ptPerMM
	}
	return x - start, nil
}

func (d *doc) textCenter(cx, base, size float64, s, field string) (float64, error) {
	w, err := d.r.width(s)
	if err != nil {
		return 0, glyphError(err, d.form, field)
	}
	return d.text(cx-w*size/1000/ptPerMM/2, base, size, s, field)
}

func (d *doc) textRight(rx, base, size float64, s, field string) (float64, error) {
	w, err := d.r.width(s)
	if err != nil {
		return 0, glyphError(err, d.form, field)
	}
	return d.text(rx-w*size/1000/ptPerMM, base, size, s, field)
}

// setFont selects face i at size, adding the face to the document the
// first time it is used, so that a fallback font is embedded only in the
// documents that need it.
func (d *doc) setFont(i int, size float64) error {
	if d.face == i && d.size == size {
		return nil
	}
	f := d.r.faces[i]
	if !d.added[i] {
		if err := d.gp.AddTTFFontFromFontContainer(f.family, &d.r.container); err != nil {
			return fmt.Errorf("pdfform: add font %s: %w", f.path, err)
		}
		d.added[i] = true
	}
	if err := d.gp.SetFont(f.family, "", size); err != nil {
		return fmt.Errorf("pdfform: set font %s: %w", f.path, err)
	}
	d.face, d.size = i, size
	return nil
}

func (d *doc) stroke(c [3]uint8, width float64) {
	d.gp.SetStrokeColor(c[0], c[1], c[2])
	d.gp.SetLineWidth(width * ptPerMM)
}

func (d *doc) fill(c [3]uint8) { d.gp.SetFillColor(c[0], c[1], c[2]) }

func (d *doc) textColor(c [3]uint8) { d.gp.SetTextColor(c[0], c[1], c[2]) }

func (d *doc) line(x1, y1, x2, y2 float64) {
	d.gp.Line(x1*ptPerMM, y1*ptPerMM, x2*ptPerMM, y2*ptPerMM)
}

func (d *doc) rect(x, y, w, h float64) {
	d.gp.RectFromUpperLeftWithStyle(x*ptPerMM, y*ptPerMM, w*ptPerMM, h*ptPerMM, "D")
}

func (d *doc) fillRect(x, y, w, h float64) {
	d.gp.RectFromUpperLeftWithStyle(x*ptPerMM, y*ptPerMM, w*ptPerMM, h*ptPerMM, "F")
}
