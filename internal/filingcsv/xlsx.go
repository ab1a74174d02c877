package filingcsv

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rules"
)

// Layouts of an Excel workbook, told apart by the header row. LayoutOwn is
// the CSV layout (Columns) in a workbook; the joint layouts are the 勞健保
// batch spreadsheets that payroll software writes, one per kind of filing,
// of which only the health-insurance columns are read.
const (
	LayoutOwn      = "own"
	LayoutJointAdd = "joint-add" // 勞健保加保
	LayoutJointOut = "joint-out" // 勞健保退保
	LayoutJointMod = "joint-mod" // 勞健保調整（調薪）
)

// Layout describes one layout an .xlsx upload can have.
type Layout struct {
	ID     string   // LayoutOwn, LayoutJointAdd …
	Name   string   // 本系統範本, 勞健保聯合加保檔 …
	Kind   string   // the kind of every row of a joint layout; "" for LayoutOwn (its 異動別 column says)
	Header []string // the header of the template, in order
	// Used are the columns read, in the order of the CSV layout's fields
	// (see joint); the other columns of a joint file are ignored.
	Used []string
	// Optional are the columns of Used a file of the layout may lack.
	Optional []string
}

// Health columns of the joint files (DOMAIN.md; see docs/uploads.md for
// what is known and what was chosen).
const (
	jPerson      = "投保者"
	jID          = "身分證號/居留證/護照"
	jName        = "姓名"
	jBirth       = "出生日期"
	jDepID       = "眷屬身分證號"
	jDepName     = "眷屬姓名"
	jDepBirth    = "眷屬出生日期"
	jRelation    = "稱謂代碼"
	jSex         = "性別"
	jUnit        = "健保投保單位代碼"
	jAmount      = "健保投保薪資"
	jAddReason   = "健保加保原因別"
	jAddDate     = "健保加保原因發生日期"
	jOutReason   = "健保退保原因別"
	jOutDate     = "退保原因發生日期"
	jModAmount   = "健保調後投保薪資"
	jModDate     = "調整生效日期"
	jKind        = "異動別"
	jLaborNo     = "勞工保險證號"
	jCheckDigit  = "檢查碼"
	jInsuredType = "投保別"
	// jPartTime is our column, not the payroll software's: the joint files
	// have no column known to mark 部分工時 for health insurance (see
	// docs/uploads.md). It is optional; the templates carry it.
	jPartTime = "部分工時"
)

// jointAliases are other names a joint file may give a column we read.
// The 勞保局's batch templates name the insured's columns 被保險人…: its
// 二合一 (勞保、勞退) templates have 被保險人姓名, 被保險人身分證號,
// 被保險人出生日期 and 被保險人性別 (see docs/uploads.md), so the 三合一 ones
// may too; payroll software calls the withdrawal date
// 健保退保原因發生日期.
var jointAliases = map[string][]string{
	jID:      {"被保險人身分證號", "身分證號"},
	jName:    {"被保險人姓名"},
	jBirth:   {"被保險人出生日期"},
	jSex:     {"被保險人性別"},
	jOutDate: {"健保退保原因發生日期"},
}

// jointBase are the columns every joint layout starts with.
var jointBase = []string{jKind, jLaborNo, jCheckDigit, jUnit, jInsuredType, jPerson, "被保險人外籍", jID, jName, jBirth,
	"月實際工資", jAmount, "特殊身分別", "勞基法特殊身分別", jDepID, jDepName, jDepBirth, jRelation, "健保業務組別"}

// jointTail are the columns every joint layout ends with.
var jointTail = []string{jSex, "提繳身分別", "雇主提繳率", "個人自願提繳率", "勞退提繳日期"}

func joined(parts ...[]string) []string { return slices.Concat(parts...) }

// Layouts are the layouts of .xlsx uploads, LayoutOwn first.
var Layouts = []Layout{
	{ID: LayoutOwn, Name: "本系統範本", Header: ownNames[:], Used: ownNames[:]},
	{ID: LayoutJointAdd, Name: "勞健保聯合加保檔", Kind: rules.KindAdd,
		Header:   joined(jointBase, []string{jAddReason, jAddDate}, jointTail, []string{jPartTime}),
		Used:     []string{jPerson, jID, jDepID, jName, jDepName, jSex, jBirth, jDepBirth, jRelation, jAddReason, jAmount, jAddDate, jUnit, jPartTime},
		Optional: []string{jUnit, jPartTime}},
	// Payroll software writes its withdrawal and adjustment files without
	// 眷屬 columns and without 性別 (docs/uploads.md): a row without 性別
	// takes the sex its ID says; a 眷屬 row needs our 眷屬 columns.
	{ID: LayoutJointOut, Name: "勞健保聯合退保檔", Kind: rules.KindWithdraw,
		Header:   joined(jointBase, jointTail, []string{jOutReason, "退保原因說明別", "退保原因說明", jOutDate}),
		Used:     []string{jPerson, jID, jDepID, jName, jDepName, jSex, jBirth, jDepBirth, jRelation, jOutReason, jOutDate, jUnit},
		Optional: []string{jUnit, jDepID, jDepName, jDepBirth, jRelation, jSex}},
	// An adjustment file without 投保者 is the insured's: only their
	// amount changes.
	{ID: LayoutJointMod, Name: "勞健保聯合調整檔", Kind: rules.KindAdjust,
		Header:   joined(jointBase, jointTail, []string{"調後月實際工資", "健保調前投保薪資", jModAmount, jModDate, jPartTime}),
		Used:     []string{jPerson, jID, jName, jSex, jBirth, jModAmount, jModDate, jUnit, jPartTime},
		Optional: []string{jUnit, jPartTime, jPerson, jSex}},
}

// LayoutByID returns the layout with the given ID.
func LayoutByID(id string) (Layout, bool) {
	for _, l := range Layouts {
		if l.ID == id {
			return l, true
		}
	}
	return Layout{}, false
}

// Limits of a workbook once unzipped. A 5 MB .xlsx of 10,000 rows unzips
// to some 20 MB; a zip bomb of the same size to gigabytes.
const (
	maxUnzipped    = 64 << 20 // all parts together
	maxUnzippedXML = 16 << 20 // a sheet or the shared strings kept in memory
)

// IsXLSX reports whether data starts like a zip file, as .xlsx files do.
func IsXLSX(data []byte) bool { return bytes.HasPrefix(data, []byte("PK\x03\x04")) }

// ParseXLSX reads an uploaded Excel workbook (.xlsx) of filings: the first
// sheet, whose first non-blank row is the header of one of Layouts. The
// limits are Parse's; a workbook that unzips to more than 64 MB, or whose
// sheet has more than maxRows data rows, is refused before the rest is read.
// Result.Layout names the layout, and Result.Ignored the columns of a joint
// file that are not read (labour insurance and pension). Row numbers are the
// sheet's.
func ParseXLSX(r io.Reader, maxBytes int64, maxRows int) (*Result, error) {
	data, maxRows, err := readBounded(r, maxBytes, maxRows)
	if err != nil {
		return nil, err
	}
	if err := checkZip(data); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzippedXML})
	if err != nil {
		return nil, fileErr(ErrXLSX, "無法開啟這個 Excel 檔（%s）。請確認檔案沒有損壞、沒有設定密碼，並以 Excel 活頁簿（.xlsx）格式儲存後再上傳。", clip(err.Error()))
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fileErr(ErrEmpty, "Excel 檔沒有任何工作表。")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fileErr(ErrXLSX, "無法讀取 Excel 檔的第一個工作表「%s」（%s）。", clip(sheets[0]), clip(err.Error()))
	}
	defer rows.Close()

	res := &Result{Encoding: "Excel (.xlsx)"}
	var read func(line int, rec []string) Row
	line := 0
	for rows.Next() {
		line++
		rec, err := rows.Columns()
		if err != nil {
			return nil, fileErr(ErrXLSX, "無法讀取 Excel 檔第 %d 列（%s）。", line, clip(err.Error()))
		}
		if blank(rec) {
			continue
		}
		if read == nil {
			if read, err = xlsxHeader(line, rec, res); err != nil {
				return nil, err
			}
			continue
		}
		if len(res.Rows) == maxRows {
			return nil, fileErr(ErrTooManyRows, "檔案超過 %d 筆資料的上限（第 %d 列是第 %d 筆），請分成幾個檔案上傳。", maxRows, line, maxRows+1)
		}
		res.Rows = append(res.Rows, read(line, rec))
	}
	if err := rows.Error(); err != nil {
		return nil, fileErr(ErrXLSX, "無法讀取 Excel 檔（%s）。", clip(err.Error()))
	}
	if read == nil {
		return nil, fileErr(ErrEmpty, "Excel 檔的第一個工作表是空的，沒有標題列也沒有申報資料。請下載範本，依範本的欄位填寫。")
	}
	if len(res.Rows) == 0 {
		return nil, fileErr(ErrEmpty, "Excel 檔只有標題列，沒有申報資料。請在標題列下方每一列填一筆申報資料。")
	}
	return res, nil
}

// ErrXLSX is a workbook that cannot be opened or read.
var ErrXLSX = apperr.New(apperr.Invalid, "無法讀取這個 Excel 檔，請以 Excel 活頁簿（.xlsx）格式儲存後再上傳。")

// checkZip refuses a workbook that would unzip to more than maxUnzipped
// bytes, by the sizes its zip directory declares (the zip reader and
// excelize stop at the declared size, so a part cannot lie its way past).
func checkZip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fileErr(ErrXLSX, "這不是有效的 Excel 活頁簿（.xlsx）檔，可能已損壞。請以 Excel「另存新檔」選擇「Excel 活頁簿（*.xlsx）」後再上傳。")
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > maxUnzipped || f.UncompressedSize64 > maxUnzipped {
			return fileErr(ErrTooLarge, "Excel 檔解壓縮後超過 %s，系統不接受（可能是壓縮炸彈或含有大量圖片）。請只保留申報資料的工作表，或分成幾個檔案上傳。", formatSize(maxUnzipped))
		}
	}
	return nil
}

// xlsxHeader recognises the header row and returns the reader of the data
// rows of its layout.
func xlsxHeader(line int, rec []string, res *Result) (func(int, []string) Row, error) {
	keys := make(map[string]int, len(rec))
	for i, c := range rec {
		if k := headerKey(c); k != "" {
			if _, dup := keys[k]; !dup {
				keys[k] = i
			}
		}
	}
	var l Layout
	joint := has(keys, jPerson) || has(keys, jLaborNo) || has(keys, jUnit)
	aliased := map[string]bool{} // the keys of the aliases used
	if joint {
		for name, alts := range jointAliases {
			if has(keys, name) {
				continue
			}
			for _, a := range alts {
				if i, ok := keys[headerKey(a)]; ok {
					keys[headerKey(name)], aliased[headerKey(a)] = i, true
					break
				}
			}
		}
	}
	switch {
	case !joint:
		width, err := checkHeader(line, rec)
		if err != nil {
			return nil, fileErr(ErrHeader, "%s%s", strings.TrimSuffix(err.Error(), "可下載範本，把資料貼到標題列下方。"), expectedXLSX())
		}
		res.Layout = LayoutOwn
		return func(line int, rec []string) Row { return parseRow(line, rec, &ownNames, width) }, nil
	case has(keys, jOutReason):
		l, _ = LayoutByID(LayoutJointOut)
	case has(keys, jModAmount):
		l, _ = LayoutByID(LayoutJointMod)
	default:
		l, _ = LayoutByID(LayoutJointAdd)
	}
	var missing []string
	for _, c := range l.Used {
		if !has(keys, c) && !slices.Contains(l.Optional, c) {
			missing = append(missing, "「"+c+"」")
		}
	}
	if len(missing) > 0 {
		return nil, fileErr(ErrHeader, "第 %d 列看起來是%s，但缺少%s。%s", line, l.Name, strings.Join(missing, "、"), expectedXLSX())
	}
	res.Layout = l.ID
	for _, c := range rec {
		if k := headerKey(c); k != "" && !aliased[k] && !slices.ContainsFunc(l.Used, func(u string) bool { return headerKey(u) == k }) {
			res.Ignored = append(res.Ignored, strings.TrimSpace(c))
		}
	}
	header := slices.Clone(rec)
	cols := jointCols{
		value: func(rec []string, name string) string {
			if i, ok := keys[headerKey(name)]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		},
		label: func(name string) string {
			if i, ok := keys[headerKey(name)]; ok {
				return strings.TrimSpace(header[i])
			}
			return name
		},
		has: func(name string) bool { return has(keys, name) },
	}
	return func(line int, rec []string) Row { return jointRow(line, rec, l, cols) }, nil
}

// jointCols finds the columns of a joint file by our names for them.
type jointCols struct {
	value func(rec []string, name string) string // the cell; "" when the file has no such column
	label func(name string) string               // the file's own name for the column, for messages
	has   func(name string) bool                 // whether the file has the column
}

func has(keys map[string]int, name string) bool { _, ok := keys[headerKey(name)]; return ok }

// jointRow reads one row of a joint file: it puts the health columns in
// the order of the CSV layout and reads them as a CSV row, so both are
// checked alike, with the joint file's column names in the messages.
func jointRow(line int, rec []string, l Layout, c jointCols) Row {
	dependent := false
	if p, ok := lookup(personWords, c.value(rec, jPerson)); ok && p == rules.PersonDependent {
		dependent = true
	}
	var out [numColumns]string
	names := ownNames
	set := func(i int, name string) { out[i], names[i] = c.value(rec, name), c.label(name) }
	out[colKind], names[colKind] = kindWord(l.Kind), jKind
	set(colPerson, jPerson)
	if !c.has(jPerson) {
		out[colPerson] = rules.PersonInsured // only an adjustment file may lack it
	}
	out[colOperation] = OperationHealth
	set(colInsuredID, jID)
	set(colDependentID, jDepID)
	set(colName, jName)
	set(colBirth, jBirth)
	// A 退保 file from payroll software has no 眷屬 columns: its 眷屬 row
	// carries the dependant's own ID, name and birth, and the insured and
	// the 稱謂 come from the unit's roster (Row.FromRoster).
	fromRoster := dependent && l.ID == LayoutJointOut && !c.has(jDepID)
	switch {
	case fromRoster:
		set(colDependentID, jID)
	case dependent:
		set(colName, jDepName)
		set(colBirth, jDepBirth)
	}
	set(colSex, jSex)
	switch out[colSex] {
	case "1":
		out[colSex] = "男"
	case "2":
		out[colSex] = "女"
	}
	if !c.has(jSex) {
		id := out[colInsuredID]
		if dependent {
			id = out[colDependentID]
		}
		out[colSex] = rules.SexOfID(id) // "" when the ID says none: the rules then ask for it
	}
	set(colRelation, jRelation)
	switch l.ID {
	case LayoutJointAdd:
		set(colReason, jAddReason)
		set(colEffectiveDate, jAddDate)
		if !dependent {
			set(colAmount, jAmount)
			set(colPartTime, jPartTime)
		}
	case LayoutJointOut:
		set(colReason, jOutReason)
		set(colEffectiveDate, jOutDate)
	case LayoutJointMod:
		out[colReason] = "M1"
		set(colAmount, jModAmount)
		set(colEffectiveDate, jModDate)
		set(colPartTime, jPartTime)
	}
	if fromRoster && out[colRelation] == "" {
		out[colRelation] = "1" // a stand-in until the roster's 稱謂 replaces it
	}
	row := parseRow(line, out[:], &names, numColumns)
	row.UnitCode = c.value(rec, jUnit)
	row.FromRoster = fromRoster && row.Err == ""
	return row
}

func kindWord(kind string) string {
	switch kind {
	case rules.KindAdd:
		return "加保"
	case rules.KindWithdraw:
		return "退保"
	}
	return "調整"
}

// expectedXLSX lists the headers of every layout, for a refused header.
func expectedXLSX() string {
	var b strings.Builder
	b.WriteString("Excel 檔的第一列應為下列其中一種標題列（可在媒體上傳頁下載各種範本）：")
	for i, l := range Layouts {
		if i > 0 {
			b.WriteString("；")
		}
		fmt.Fprintf(&b, "%d.「%s」：%s", i+1, l.Name, strings.Join(l.Header, "、"))
	}
	b.WriteString("。")
	return b.String()
}

// TemplateXLSX returns the .xlsx template of a layout: its header row and
// example rows, cells as text so that Excel keeps the leading zeros.
func TemplateXLSX(id string) ([]byte, error) {
	l, ok := LayoutByID(id)
	if !ok {
		return nil, fmt.Errorf("filingcsv: no layout %q", id)
	}
	rows := [][]string{l.Header}
	rows = append(rows, layoutExamples(l)...)
	return WriteXLSX(rows)
}

// WriteXLSX writes rows to the first sheet of a new workbook, every cell as
// text. Tests and benchmarks build their files with it too.
func WriteXLSX(rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("filingcsv: xlsx: %w", err)
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = excelize.Cell{Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return nil, fmt.Errorf("filingcsv: xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("filingcsv: xlsx: %w", err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("filingcsv: xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// layoutExamples are the template rows of a layout: the CSV template's
// rows, an employee and the employee's child, put in the layout's columns.
func layoutExamples(l Layout) [][]string {
	if l.ID == LayoutOwn {
		out := make([][]string, len(examples))
		for i, ex := range examples {
			out[i] = slices.Clone(ex[:])
		}
		return out
	}
	ins := map[string]string{jKind: kindCode(l.ID), jUnit: "012345678", jPerson: "1", jID: "A123456789", jName: "王大明", jBirth: "0790315",
		jSex: "1", jAmount: "45800", jAddReason: "A1", jAddDate: "1150302", jOutReason: "W1", jOutDate: "1150331",
		"健保調前投保薪資": "45800", jModAmount: "48200", jModDate: "1150401", "健保業務組別": "1"}
	dep := map[string]string{jKind: kindCode(l.ID), jUnit: "012345678", jPerson: "2", jID: "A123456789", jName: "王大明", jBirth: "0790315",
		jDepID: "A223456781", jDepName: "王小美", jDepBirth: "1130520", jRelation: "3", jSex: "2", jAddReason: "D1", jAddDate: "1150302",
		jOutReason: "E1", jOutDate: "1150331", "健保業務組別": "1"}
	var out [][]string
	for _, m := range []map[string]string{ins, dep} {
		if l.ID == LayoutJointMod && m[jPerson] == "2" {
			continue // only the insured's amount changes
		}
		r := make([]string, len(l.Header))
		for i, h := range l.Header {
			r[i] = m[h]
		}
		out = append(out, r)
	}
	return out
}

// kindCode is what the 異動別 column of a joint template holds; the
// layout, not this cell, decides the kind.
func kindCode(id string) string {
	switch id {
	case LayoutJointOut:
		return "退保"
	case LayoutJointMod:
		return "調整"
	}
	return "加保"
}
