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

// Render writes doc as one PDF: its forms' rows RowsPerPage to an A4 page,
// each form's rows kept on one page when they fit. It checks every
// character of every field against the fonts before drawing anything: a
// character no font has fails the whole call with a *GlyphError (wrapping
// ErrMissingGlyph), a value too long for its box with ErrTooLong, and
// nothing is written to w in either case.
func (r *Renderer) Render(w io.Writer, doc Document) error {
	sp, err := r.check(&doc)
	if err != nil {
		return err
	}
	before := r.unexpected.Load()
	d := &sheet{r: r, sp: sp, doc: &doc, added: make([]bool, len(r.faces)), face: -1}
	d.gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	d.gp.SetInfo(gopdf.PdfInfo{Title: sp.title, Creator: "multicert"})
	pages := paginate(doc.Forms)
	for i := range pages {
		if err := d.drawPage(pages, i); err != nil {
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
		if out, err = fixToUnicode(out); err != nil {
			return err
		}
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("pdfform: write pdf: %w", err)
	}
	return nil
}

// check validates doc before anything is drawn and returns its kind's
// layout.
func (r *Renderer) check(doc *Document) (*spec, error) {
	sp, ok := specs[doc.Kind]
	if !ok {
		return nil, fmt.Errorf("pdfform: Kind: %w: unknown kind %d", ErrInvalidForm, doc.Kind)
	}
	if len(doc.Forms) == 0 {
		return nil, fmt.Errorf("pdfform: %w: no forms to render", ErrInvalidForm)
	}
	if _, ok := formNoIndex(doc.FormNo); !ok || (doc.FormNo != "" && !sp.boxes) {
		return nil, fmt.Errorf("pdfform: FormNo: %w: %q is not one of the %s form's %s", ErrInvalidForm, doc.FormNo, sp.title, strings.Join(FormNumbers, " "))
	}
	type field struct{ name, value string }
	for _, fl := range []field{{"UnitName", doc.UnitName}, {"UnitCode", doc.UnitCode}} {
		if _, err := r.width(fl.value); err != nil {
			return nil, glyphError(err, -1, fl.name)
		}
	}
	for i := range doc.Forms {
		f := &doc.Forms[i]
		invalid := func(field, why string) error {
			return fmt.Errorf("pdfform: forms[%d].%s: %w: %s", i, field, ErrInvalidForm, why)
		}
		switch {
		case f.Amount < 0:
			return nil, invalid("Amount", fmt.Sprintf("negative amount %d", f.Amount))
		case f.OldAmount < 0:
			return nil, invalid("OldAmount", fmt.Sprintf("negative amount %d", f.OldAmount))
		case f.Amount > 0 && !sp.amount:
			return nil, invalid("Amount", "the "+sp.title+" has no insured amount")
		case f.OldAmount > 0 && doc.Kind != Adjust:
			return nil, invalid("OldAmount", "only the "+specs[Adjust].title+" has the amount before the change")
		case f.DependentsOnly && len(f.Dependents) == 0:
			return nil, invalid("Dependents", "dependents only, but none")
		case doc.Kind == Adjust && (f.DependentsOnly || len(f.Dependents) > 0):
			return nil, invalid("Dependents", "the "+sp.title+" is for insured persons only")
		}
		fields := []field{
			{"Insured.Name", f.Insured.Name},
			{"Insured.IDNo", f.Insured.IDNo},
			{"Insured.Reason", f.Insured.Reason},
		}
		for j, p := range f.Dependents {
			fields = append(fields,
				field{fmt.Sprintf("Dependents[%d].Name", j), p.Name},
				field{fmt.Sprintf("Dependents[%d].IDNo", j), p.IDNo},
				field{fmt.Sprintf("Dependents[%d].Relation", j), p.Relation},
				field{fmt.Sprintf("Dependents[%d].Reason", j), p.Reason})
		}
		for _, fl := range fields {
			if _, err := r.width(fl.value); err != nil {
				return nil, glyphError(err, i, fl.name)
			}
		}
	}
	return sp, nil
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

// slot is one row of a page: the insured's own row of form (dep -1) or
// the row of its dependent dep.
type slot struct{ form, dep int }

// page is the rows of one printed page, and whether its first form
// continues from the page before (續上頁) or its last form on the next
// (下頁續).
type page struct {
	rows               []slot
	contFrom, contNext bool
}

// paginate lays the forms' rows out RowsPerPage to a page, in order. A
// form whose rows do not fit in what is left of a page starts a new one;
// a form with more rows than a page holds fills pages of its own, the
// later ones marked as continued.
func paginate(forms []Form) []page {
	var pages []page
	var cur page
	flush := func() {
		if len(cur.rows) > 0 {
			pages = append(pages, cur)
			cur = page{}
		}
	}
	for i, f := range forms {
		rows := make([]slot, 0, 1+len(f.Dependents))
		if !f.DependentsOnly {
			rows = append(rows, slot{i, -1})
		}
		for j := range f.Dependents {
			rows = append(rows, slot{i, j})
		}
		if len(rows) > RowsPerPage-len(cur.rows) {
			flush()
		}
		for _, s := range rows {
			if len(cur.rows) == RowsPerPage {
				cur.contNext = true
				flush()
				cur.contFrom = true
			}
			cur.rows = append(cur.rows, s)
		}
	}
	flush()
	return pages
}

// header is a column's heading: fixed lines, or text wrapped to fit.
type header struct {
	lines []string
	wrap  string
	size  float64
}

// spec is the layout of one kind of form.
type spec struct {
	title    string
	subtitle string
	boxes    bool // 表號 boxes (承表 C … H)
	amount   bool // Form.Amount is printed
	// cols are the edges of the table's five columns: the mark (打Y) or
	// number cell, the insured, the dependent or the new amount, the
	// reason, and the bureau's date.
	cols  [6]float64
	heads [5]header
	// mark gives the first column 本人 and 眷屬 boxes for the Y; false
	// numbers the rows instead.
	mark bool
	// insured and dependent are the field labels of the person blocks;
	// dependent nil makes the third column the new amount.
	insured, dependent [][]string
	// reasonNote is printed small at the top of the reason cell; dateLabel
	// above the date under the reason.
	reasonNote, dateLabel string
}

var (
	nameLabel     = []string{"姓名"}
	idLabel       = []string{"國民身分證統一編號", "(居留證號碼)"}
	birthLabel    = []string{"出生年月日"}
	dependentHead = [][]string{nameLabel, idLabel, birthLabel, {"稱謂"}}
)

// specs are the forms' layouts.
var specs = map[Kind]*spec{
	Enrol: {
		title: "全民健康保險保險對象投保(轉入)申報表", subtitle: "(本表專供第一至第三類被保險人的投保單位填用)",
		boxes: true, amount: true,
		cols: [6]float64{marginX, 27, 85, 140, 176, rightX},
		heads: [5]header{{lines: []string{"投保者", "(打Y)"}, size: 8}, {lines: []string{"被保險人"}, size: 10}, {lines: []string{"相關眷屬"}, size: 10},
			{wrap: "投保單位填寫合於投保條件原因(詳見說明七、八)", size: 8}, {lines: []string{"核定生效日期", "(健保署填寫)"}, size: 7.5}},
		mark:    true,
		insured: [][]string{nameLabel, idLabel, birthLabel, {"投保金額(元)"}}, dependent: dependentHead,
		reasonNote: "詳見說明七", dateLabel: "生效日期",
	},
	Withdraw: {
		title: "全民健康保險保險對象退保(轉出)申報表", subtitle: "(本表專供第一至第三類被保險人的投保單位填用)",
		cols: [6]float64{marginX, 27, 85, 140, 176, rightX},
		heads: [5]header{{lines: []string{"退保者", "(打Y)"}, size: 8}, {lines: []string{"被保險人"}, size: 10}, {lines: []string{"相關眷屬"}, size: 10},
			{wrap: "投保單位填寫退保(轉出)原因", size: 8}, {lines: []string{"核定退保日期", "(健保署填寫)"}, size: 7.5}},
		mark:    true,
		insured: [][]string{nameLabel, idLabel, birthLabel}, dependent: dependentHead,
		dateLabel: "退保(轉出)日期",
	},
	Adjust: {
		title: "全民健康保險投保金額調整申報表", subtitle: "(本表專供第一至第三類被保險人的投保單位填用)",
		amount: true,
		cols:   [6]float64{marginX, 22, 100, 136, 176, rightX},
		heads: [5]header{{lines: []string{"序號"}, size: 8}, {lines: []string{"被保險人"}, size: 10}, {lines: []string{"調整後", "投保金額(元)"}, size: 9},
			{wrap: "投保單位填寫調整原因", size: 8}, {lines: []string{"核定生效日期", "(健保署填寫)"}, size: 7.5}},
		insured:   [][]string{nameLabel, idLabel, birthLabel, {"調整前", "投保金額(元)"}},
		dateLabel: "調整生效日期",
	},
}

// Page geometry in millimetres, from the top-left corner of an A4 page.
const (
	ptPerMM = 72 / 25.4
	pageW   = 210.0
	marginX = 12.0
	rightX  = pageW - marginX

	tableTop  = 40.0
	headerH   = 13.0
	rowH      = 28.0
	fieldH    = rowH / 4 // one of the four field lines of a dependent
	labelW    = 23.0     // the label column inside a person's block
	bottomGap = 6.0
	bottomH   = 48.0

	lineHeight    = 1.2 // line pitch as a multiple of the type size
	minSize       = 6.0 // smallest type size a value shrinks to, in points
	oneLineShrink = 2.0 // points a value may shrink to stay on one line
)

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

// sheet is one PDF being drawn.
type sheet struct {
	r     *Renderer
	sp    *spec
	doc   *Document
	gp    gopdf.GoPdf
	added []bool // faces added to gp
	form  int    // index of the form being drawn, -1 for the document's fields, for errors
	face  int    // current gopdf font, -1 for none
	size  float64
	// astral records a character beyond the BMP: the PDF then needs
	// fixToUnicode.
	astral bool
	// number counts the rows printed, for the Adjust form's 序號.
	number int
}

// drawPage draws page p of pages.
func (d *sheet) drawPage(pages []page, p int) error {
	pg := pages[p]
	d.gp.AddPage()
	d.face = -1
	d.form = -1
	// PDF paints text with the fill colour: set the text colour before
	// any shading, or gopdf leaves text in the shade's grey.
	d.textColor(black)
	if err := d.drawHead(p, len(pages)); err != nil {
		return err
	}
	if pg.contFrom {
		if _, err := d.textRight(rightX, tableTop-1.8, 8, "（續上頁）", "label"); err != nil {
			return err
		}
	}
	if err := d.drawTableHeader(); err != nil {
		return err
	}
	top := tableTop + headerH
	for i := range RowsPerPage {
		y := top + float64(i)*rowH
		var err error
		if i < len(pg.rows) {
			d.number++
			err = d.drawRow(y, pg.rows[i])
		} else {
			err = d.drawRow(y, slot{form: -1})
		}
		if err != nil {
			return err
		}
	}
	// A heavier line between one insured's rows and the next's.
	d.stroke(black, outerLine)
	for i := 1; i < len(pg.rows); i++ {
		if pg.rows[i].form != pg.rows[i-1].form {
			d.line(marginX, top+float64(i)*rowH, rightX, top+float64(i)*rowH)
		}
	}
	tableBottom := top + RowsPerPage*rowH
	d.rect(marginX, tableTop, rightX-marginX, tableBottom-tableTop)
	d.form = -1
	if pg.contNext {
		if _, err := d.textRight(rightX, tableBottom+3.6, 8, "（下頁續）", "label"); err != nil {
			return err
		}
	}
	return d.drawUnit(tableBottom + bottomGap)
}

// drawHead draws the 表號 boxes (Enrol), the page number, the title and
// the subtitle.
func (d *sheet) drawHead(p, pages int) error {
	const size, boxY, boxH = 9.0, 12.0, 7.0
	base := boxY + boxH/2 + baselineOffset(size)
	if d.sp.boxes {
		if err := d.drawBoxes(base, boxY, boxH, size); err != nil {
			return err
		}
	}
	page := fmt.Sprintf("第 %d 頁／共 %d 頁", p+1, pages)
	if _, err := d.textRight(rightX, base, 8, page, "label"); err != nil {
		return err
	}
	if _, err := d.textCenter(pageW/2, 29, 16, d.sp.title, "label"); err != nil {
		return err
	}
	_, err := d.textCenter(pageW/2, 35.5, 9, d.sp.subtitle, "label")
	return err
}

// drawBoxes draws 表號：承表 and a box for each of FormNumbers, the
// document's FormNo ticked.
func (d *sheet) drawBoxes(base, boxY, boxH, size float64) error {
	x := marginX + 2
	w, err := d.text(x, base, size, "表號：承表", "label")
	if err != nil {
		return err
	}
	x += w + 1.5
	// The boxes and the tick are drawn, not set in type: TW-Sung's ☑ is
	// half the width of its □.
	const box = 3.2
	ticked, _ := formNoIndex(d.doc.FormNo)
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
	return nil
}

func (d *sheet) drawTableHeader() error {
	y, cols := tableTop, d.sp.cols
	d.fill(shade)
	d.fillRect(marginX, y, rightX-marginX, headerH)
	d.stroke(black, innerLine)
	d.line(marginX, y+headerH, rightX, y+headerH)
	for _, x := range cols[1:5] {
		d.line(x, y, x, y+headerH+RowsPerPage*rowH)
	}
	for i, h := range d.sp.heads {
		if h.lines == nil {
			if err := d.fitBox(cols[i]+1, y, cols[i+1]-cols[i]-2, headerH, h.size, 6, h.wrap, "label", center); err != nil {
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

// person is what one block of a row shows, one value per label of the
// block, with the fields they come from. Empty values print blank.
type person struct {
	values []string
	fields []string
}

// drawRow draws the row at top: s, or a blank row when s.form < 0.
func (d *sheet) drawRow(top float64, s slot) error {
	sp := d.sp
	d.stroke(black, innerLine)
	d.line(marginX, top+rowH, rightX, top+rowH)
	var f *Form
	var who *Person // the person the row files for
	var whoField string
	if s.form >= 0 {
		d.form = s.form
		f = &d.doc.Forms[s.form]
		who, whoField = &f.Insured, "Insured"
		if s.dep >= 0 {
			who, whoField = &f.Dependents[s.dep], fmt.Sprintf("Dependents[%d]", s.dep)
		}
	}
	if sp.mark {
		if err := d.drawMark(top, f != nil && s.dep < 0, f != nil && s.dep >= 0); err != nil {
			return err
		}
	} else if f != nil {
		if _, err := d.textCenter((sp.cols[0]+sp.cols[1])/2, top+rowH/2+baselineOffset(10), 10, strconv.Itoa(d.number), "label"); err != nil {
			return err
		}
	}

	var ins, dep *person
	if f != nil {
		ins = &person{fields: []string{"Insured.Name", "Insured.IDNo", "Insured.Birth", "Amount"}}
		if s.dep < 0 {
			ins.values = []string{f.Insured.Name, f.Insured.IDNo, rocDate(f.Insured.Birth), insuredAmount(f)}
			if d.doc.Kind == Adjust {
				ins.values[3], ins.fields[3] = amount(f.OldAmount), "OldAmount"
			}
		} else {
			// The insured's name and ID number say whom the dependent is
			// filed under.
			ins.values = []string{f.Insured.Name, f.Insured.IDNo}
			p := &f.Dependents[s.dep]
			dep = &person{values: []string{p.Name, p.IDNo, rocDate(p.Birth), p.Relation}}
			for _, name := range []string{"Name", "IDNo", "Birth", "Relation"} {
				dep.fields = append(dep.fields, whoField+"."+name)
			}
		}
	}
	if err := d.drawPerson(sp.cols[1], sp.cols[2], top, ins, sp.insured); err != nil {
		return err
	}
	if sp.dependent != nil {
		if err := d.drawPerson(sp.cols[2], sp.cols[3], top, dep, sp.dependent); err != nil {
			return err
		}
	} else if f != nil && f.Amount > 0 {
		x0, x1 := sp.cols[2], sp.cols[3]
		if err := d.fitBox(x0+2, top, x1-x0-4, rowH, 12, minSize, insuredAmount(f), "Amount", center); err != nil {
			return err
		}
	}
	return d.drawReason(top, who, whoField)
}

// insuredAmount is the form's amount, followed by 「部分工時」 for a
// part-time employee's.
func insuredAmount(f *Form) string {
	if f.PartTime && f.Amount > 0 {
		return amount(f.Amount) + " 部分工時"
	}
	return amount(f.Amount)
}

// amount prints an amount as the bureau does, without separators; zero is
// blank.
func amount(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// drawMark draws the first column's 本人 and 眷屬, each with a box for the
// Y.
func (d *sheet) drawMark(top float64, self, dependent bool) error {
	cols := d.sp.cols
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
	return nil
}

// drawPerson draws one person block between x0 and x1: a labelled field
// line per label; p nil leaves the values blank.
func (d *sheet) drawPerson(x0, x1, top float64, p *person, labels [][]string) error {
	h := rowH / float64(len(labels))
	d.stroke(gridGray, fineLine)
	d.line(x0+labelW, top, x0+labelW, top+rowH)
	for i := 1; i < len(labels); i++ {
		d.line(x0, top+float64(i)*h, x1, top+float64(i)*h)
	}
	d.textColor(labelGray)
	for i, l := range labels {
		if err := d.linesAt(x0+1, labelW-1, top+float64(i)*h, h, 6.5, l, "label", left); err != nil {
			return err
		}
	}
	d.textColor(black)
	if p == nil {
		return nil
	}
	for i, v := range p.values {
		if v == "" || i >= len(labels) {
			continue
		}
		if err := d.fitBox(x0+labelW+1.5, top+float64(i)*h, x1-x0-labelW-2.5, h, 10.5, minSize, v, p.fields[i], left); err != nil {
			return err
		}
	}
	return nil
}

// drawReason draws the 原因 cell (the reason, the date under it) and the
// bureau's blank date cell of a row; p nil leaves the reason blank.
func (d *sheet) drawReason(top float64, p *Person, field string) error {
	sp := d.sp
	x0, x1 := sp.cols[3], sp.cols[4]
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
	if sp.reasonNote != "" {
		if _, err := d.text(x0+strip+1, top+2.6, 6.5, sp.reasonNote, "label"); err != nil {
			return err
		}
	}
	if _, err := d.text(x0+strip+1, dateTop-1, 6.5, sp.dateLabel, "label"); err != nil {
		return err
	}
	d.textColor(black)
	if p != nil {
		if p.Reason != "" {
			if err := d.fitBox(x0+strip+1, top+3.5, x1-x0-strip-2, dateTop-top-7, 10, minSize, p.Reason, field+".Reason", left); err != nil {
				return err
			}
		}
		if s := rocDate(p.Date); s != "" {
			if err := d.fitBox(x0+strip+1.5, dateTop, x1-x0-strip-2.5, fieldH, 9.5, minSize, s, field+".Date", left); err != nil {
				return err
			}
		}
	}

	// The bureau's date: left blank, with 年 月 日 to write between.
	x0, x1 = sp.cols[4], sp.cols[5]
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

// drawUnit draws the unit's name, code and the form's date, and the two
// stamp boxes, in a box whose top is at y.
func (d *sheet) drawUnit(y float64) error {
	const split = 108.0  // unit details | stamps
	const stamps = 160.0 // 投保單位印章 | 負責人印章
	const capH = 7.0
	const uLabelW = 24.0
	d.form = -1
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
		{"投保單位名稱", d.doc.UnitName, "UnitName", 24},
		{"投保單位代號", d.doc.UnitCode, "UnitCode", 12},
		{"填表日期", rocDate(d.doc.FilledOn), "FilledOn", 12},
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

// where names a field of the form being drawn, or of the document, for
// errors.
func (d *sheet) where(field string) string {
	if d.form < 0 {
		return field
	}
	return fmt.Sprintf("forms[%d].%s", d.form, field)
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
func (d *sheet) fitBox(x, y, w, h, hi, lo float64, s, field string, a align) error {
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
	return fmt.Errorf("pdfform: %s: %w: %d characters in %.0f×%.0f mm", d.where(field), ErrTooLong, utf8.RuneCountInString(s), w, h)
}

// linesAt prints lines centred vertically in the box (x, y, w, h).
func (d *sheet) linesAt(x, w, y, h, size float64, lines []string, field string, a align) error {
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
func (d *sheet) text(x, base, size float64, s, field string) (float64, error) {
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
			return 0, fmt.Errorf("pdfform: %s: %w", d.where(field), err)
		}
		x += rn.width * size / 1000 / ptPerMM
	}
	return x - start, nil
}

func (d *sheet) textCenter(cx, base, size float64, s, field string) (float64, error) {
	w, err := d.r.width(s)
	if err != nil {
		return 0, glyphError(err, d.form, field)
	}
	return d.text(cx-w*size/1000/ptPerMM/2, base, size, s, field)
}

func (d *sheet) textRight(rx, base, size float64, s, field string) (float64, error) {
	w, err := d.r.width(s)
	if err != nil {
		return 0, glyphError(err, d.form, field)
	}
	return d.text(rx-w*size/1000/ptPerMM, base, size, s, field)
}

// setFont selects face i at size, adding the face to the document the
// first time it is used, so that a fallback font is embedded only in the
// documents that need it.
func (d *sheet) setFont(i int, size float64) error {
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

func (d *sheet) stroke(c [3]uint8, width float64) {
	d.gp.SetStrokeColor(c[0], c[1], c[2])
	d.gp.SetLineWidth(width * ptPerMM)
}

func (d *sheet) fill(c [3]uint8) { d.gp.SetFillColor(c[0], c[1], c[2]) }

func (d *sheet) textColor(c [3]uint8) { d.gp.SetTextColor(c[0], c[1], c[2]) }

func (d *sheet) line(x1, y1, x2, y2 float64) {
	d.gp.Line(x1*ptPerMM, y1*ptPerMM, x2*ptPerMM, y2*ptPerMM)
}

func (d *sheet) rect(x, y, w, h float64) {
	d.gp.RectFromUpperLeftWithStyle(x*ptPerMM, y*ptPerMM, w*ptPerMM, h*ptPerMM, "D")
}

func (d *sheet) fillRect(x, y, w, h float64) {
	d.gp.RectFromUpperLeftWithStyle(x*ptPerMM, y*ptPerMM, w*ptPerMM, h*ptPerMM, "F")
}
