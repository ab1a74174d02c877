// Package filingcsv reads the CSV files that insured units upload in
// 列印及媒體上傳 → 媒體上傳 to file many enrollments (加保), withdrawals
// (退保) and insured-amount changes (投保金額調整) at once, and writes the
// template (範本) they download.
//
// # Layout
//
// The first non-blank row is the header and must carry the names of Columns,
// in that order; every later row is one filing. Header cells may have extra
// spaces, full-width characters, a byte order mark and a parenthesised note
// ("出生日期（民國）"), and 身份 and 身分 are read alike, but the order is
// fixed. The last column, 部分工時, may be left out of the header (files
// made from the template of before it existed); a row then has no cell for
// it. Data rows may leave trailing empty cells out.
//
// The layout is our own, simpler than the joint 勞健保 batch spreadsheets
// that payroll software produces (add / out / mod), but it uses their words
// so that clerks recognise them: 異動別, 出生日期 in 民國 YYYMMDD, 稱謂 codes
// 1–9 (rules.Relations), and 1 本人 / 2 眷屬 as their 投保者 column. A joint
// batch file is not read as CSV; its header gets a message saying so. As an
// .xlsx workbook it is (ParseXLSX, xlsx.go): its health columns are taken.
//
// # What Parse checks
//
// Parse reads the text of every cell the way the entry form reads what is
// typed: 異動別, 身份 and 作業別 here, every other field with
// rules.Filing.Set. A row whose text cannot be read (an unknown 異動別, a
// malformed date or amount) gets Row.Err, a Traditional Chinese message
// naming the line and the column. Whether a readable filing is acceptable is
// not decided here: the caller runs rules.Check on every Row.Filing without
// Err, exactly as for a filing typed into the form, and reports each row
// with its line number and codes.
//
// # Encodings
//
// A file is UTF-8 when it starts with a UTF-8 byte order mark or is valid
// UTF-8 as a whole; otherwise it is read as Big5 (Windows code page 950, what
// Excel on a Traditional Chinese Windows writes for "CSV（逗號分隔）"), and a
// byte sequence that is not Big5 either makes the whole file ErrEncoding.
// Excel workbooks (.xlsx, .xls) and UTF-16 text ("Unicode 文字") given to
// Parse are recognised and refused with a message telling how to save as
// CSV; an .xlsx workbook goes to ParseXLSX instead.
//
// Big5 cannot carry every name. Characters outside Big5, such as 峯 and 堃
// in 林峯堃, exist only as user-defined characters (造字) of each office's
// own computers, in the areas 8140–A0FE, C6A1–C8FE and FA40–FEFE; the same
// codes mean other characters elsewhere (golang.org/x/text decodes them as
// Hong Kong HKSCS characters). Parse therefore never guesses: it maps those
// codes to the Private Use Area, as code page 950 does, and a cell holding a
// private-use character, from a Big5 or a UTF-8 file, makes the row's Err
// ask for the standard Unicode character in a UTF-8 file.
//
// # Excel
//
// Excel drops the leading zeros of numbers, so a birth date 0790315 typed or
// kept in a cell comes back as 790315. A date cell of 5 or 6 digits is
// therefore read as a 7-digit 民國 date whose leading zeros were dropped.
package filingcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rules"
)

// Column describes one column of the layout, for the header check, the
// template and the help page.
type Column struct {
	Name    string // header text, e.g. 出生日期
	Field   string // "kind", "person", "operation" or a rules field name (rules.FieldBirth …)
	Help    string // what to fill in, for the help page and the README
	Example string // a value as in the template
}

// Names of the fields that are not rules.Filing.Set fields; they match the
// entry form's field names.
const (
	FieldKind      = "kind"      // 異動別 → rules.Filing.Kind
	FieldPerson    = "person"    // 身份 → rules.Filing.Person
	FieldOperation = "operation" // 作業別 → rules.Filing.Operation
)

// OperationHealth is the only 作業別 accepted: 健保專用.
const OperationHealth = "health"

// Encodings reported in Result.Encoding.
const (
	EncodingUTF8 = "UTF-8"
	EncodingBig5 = "Big5"
)

// Default limits, used by Parse when it is given a limit of 0 or less.
const (
	DefaultMaxBytes = 5 << 20 // 5 MiB: room for several times DefaultMaxRows rows
	DefaultMaxRows  = 10000
)

// Positions of the columns in a row.
const (
	colKind = iota
	colPerson
	colOperation
	colInsuredID
	colDependentID
	colName
	colSex
	colBirth
	colRelation
	colReason
	colAmount
	colEffectiveDate
	colPartTime // optional: a header may end before it
	numColumns
)

// numRequired is how many columns a header must have: all but 部分工時.
const numRequired = colPartTime

// layout is the layout Parse reads; Columns is a copy for callers.
var layout = [numColumns]Column{
	{Name: "異動別", Field: FieldKind, Help: "加保、退保 或 調整（投保金額調整；也可填「投保金額調整」、「薪調」或「調薪」）", Example: "加保"},
	{Name: "身份", Field: FieldPerson, Help: "本人 或 眷屬（也可填 1 本人、2 眷屬）", Example: "本人"},
	{Name: "作業別", Field: FieldOperation, Help: "健保專用；空白視為健保專用", Example: "健保專用"},
	{Name: "員工身分證號", Field: rules.FieldInsuredID, Help: "員工（被保險人）的身分證號或居留證號；眷屬的資料也要填所依附員工的證號", Example: "A123456789"},
	{Name: "眷屬身分證號", Field: rules.FieldDependentID, Help: "眷屬的身分證號或居留證號；本人的資料留空", Example: "A223456781"},
	{Name: "姓名", Field: rules.FieldName, Help: "申報對象（本人或眷屬）的姓名", Example: "王大明"},
	{Name: "性別", Field: rules.FieldSex, Help: "男 或 女（也可填 M、F）", Example: "男"},
	{Name: "出生日期", Field: rules.FieldBirth, Help: "申報對象的出生日期，民國年月日 7 碼（例如 0790315）或 79/03/15；民國前出生請加 -（例如民前 5 年 3 月 1 日填 -0050301 或 -005/03/01）；Excel 去掉的前導 0 不必補回", Example: "0790315"},
	{Name: "稱謂", Field: rules.FieldRelation, Help: "眷屬與員工的關係，填代碼或稱謂：" + relationHelp() + "；本人留空", Example: "3"},
	{Name: "原因", Field: rules.FieldReason, Help: "原因代碼或名稱，例如 A1 到職起薪、D1 隨同被保險人加保、W1 離職、E1 隨同被保險人轉出、M1 調整投保金額（見原因代碼表）", Example: "A1"},
	{Name: "投保金額", Field: rules.FieldAmount, Help: "本人加保及投保金額調整時填投保金額分級表中的金額（元）；眷屬及退保留空", Example: "45800"},
	{Name: "生效日期", Field: rules.FieldEffectiveDate, Help: "到職、離職或調薪等異動的生效日，民國年月日，格式同出生日期", Example: "1150302"},
	{Name: "部分工時", Field: rules.FieldPartTime, Help: "員工是部分工時人員時填「是」（也可填 Y、1），本人加保及投保金額調整的投保金額就可以填分級表中部分工時的金額；其他人留空。舊範本沒有這一欄也可上傳", Example: "是"},
}

// Columns are the columns of the layout, in order; the header row must carry
// their names.
var Columns = slices.Clone(layout[:])

func relationHelp() string {
	parts := make([]string, len(rules.Relations))
	for i, r := range rules.Relations {
		parts[i] = r.Code + " " + r.Name
	}
	return strings.Join(parts, "、")
}

// Row is one data row of the file.
type Row struct {
	Line int // line of the file where the row starts, counting from 1 and counting blank lines
	// Filing is the filing read from the row. When Err is set it holds only
	// the cells read before the one in error and must not be submitted.
	Filing rules.Filing
	// Err is why the row could not be read, in Traditional Chinese, naming
	// the line and, when there is one, the column: 「第 12 行「出生日期」：
	// 日期格式錯誤…」. It is "" for a readable row, which still has to pass
	// rules.Check.
	Err string
	// UnitCode is the 健保投保單位代碼 of a row of a joint 勞健保 file, for
	// the caller to compare with the unit's; "" otherwise.
	UnitCode string
	// FromRoster marks a 眷屬 row of a joint 退保 file without 眷屬
	// columns, as payroll software writes them: the row names only the
	// dependant (ID, name, birth), and the caller must take the insured's
	// ID and the 稱謂 from the unit's roster (Filing.InsuredID holds the
	// dependant's ID until then).
	FromRoster bool
}

// Result is a parsed file.
type Result struct {
	Encoding string // EncodingUTF8 or EncodingBig5, or "Excel (.xlsx)"
	Rows     []Row  // data rows in file order; blank rows are left out
	// Layout is the layout of an .xlsx file (LayoutOwn …); "" for CSV.
	Layout string
	// Ignored are the columns of a joint 勞健保 file that are not read
	// (labour insurance and pension), in the file's order.
	Ignored []string
}

// Errors of the whole file. Parse returns one of these or an error that
// wraps it (test with errors.Is) and carries a more specific message; both
// are *apperr.Error inside (apperr.As gives the specific one), so the
// message can be shown to the unit as is.
var (
	ErrTooLarge    = apperr.New(apperr.TooLarge, "檔案太大，請分成幾個檔案上傳。")
	ErrTooManyRows = apperr.New(apperr.TooLarge, "檔案的資料筆數超過上限，請分成幾個檔案上傳。")
	ErrEmpty       = apperr.New(apperr.Invalid, "檔案是空的，沒有任何申報資料。")
	ErrHeader      = apperr.New(apperr.Invalid, "檔案的第一行不是範本的標題列。標題列應依序為："+expectedHeader()+"。")
	ErrEncoding    = apperr.New(apperr.Invalid, "無法辨識檔案的文字編碼，請以 Excel「另存新檔」選擇「CSV UTF-8（逗號分隔）」後再上傳。")
)

// fileError is a whole-file error: a specific message and the sentinel it
// belongs to.
type fileError struct {
	detail *apperr.Error
	kind   *apperr.Error
}

func (e *fileError) Error() string   { return e.detail.Error() }
func (e *fileError) Unwrap() []error { return []error{e.detail, e.kind} }

func fileErr(kind *apperr.Error, format string, args ...any) error {
	return &fileError{detail: apperr.Newf(kind.Code, format, args...), kind: kind}
}

func expectedHeader() string {
	names := make([]string, numColumns)
	for i, c := range layout {
		names[i] = c.Name
	}
	return strings.Join(names, ",")
}

// Parse reads an uploaded CSV file of filings. It reads at most maxBytes
// bytes and returns ErrTooLarge when r holds more, and ErrTooManyRows when
// the file has more than maxRows data rows; a limit of 0 or less means
// DefaultMaxBytes or DefaultMaxRows. It returns ErrEncoding when the file is
// neither UTF-8 nor Big5, ErrEmpty when it holds no data row, and ErrHeader
// when its first non-blank row is not the header of Columns; the message of
// a header error lists the expected header. Fields are separated by commas
// and may be quoted ("王,大明", with "" for a quote); lines end in CRLF or
// LF; blank rows, including rows of empty cells, are skipped but counted in
// the line numbers. A row that cannot be read gets Row.Err; the other rows
// are still read. An error from r is returned as it is, wrapped.
func Parse(r io.Reader, maxBytes int64, maxRows int) (*Result, error) {
	data, maxRows, err := readBounded(r, maxBytes, maxRows)
	if err != nil {
		return nil, err
	}
	text, enc, err := decode(data)
	if err != nil {
		return nil, err
	}

	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	width, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	// One row a line is the usual file; a few blank lines waste little.
	res := &Result{Encoding: enc, Rows: make([]Row, 0, min(bytes.Count(text, []byte{'\n'})+1, maxRows))}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var row Row
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			row = Row{Line: pe.StartLine, Err: quoteMessage(pe)}
		} else if err != nil {
			return nil, fmt.Errorf("filingcsv: %w", err)
		} else if blank(rec) {
			continue
		} else {
			line, _ := cr.FieldPos(0)
			row = parseRow(line, rec, &ownNames, width)
		}
		if len(res.Rows) == maxRows {
			return nil, fileErr(ErrTooManyRows, "檔案超過 %d 筆資料的上限（第 %d 行是第 %d 筆），請分成幾個檔案上傳。", maxRows, row.Line, maxRows+1)
		}
		res.Rows = append(res.Rows, row)
	}
	if len(res.Rows) == 0 {
		return nil, fileErr(ErrEmpty, "檔案只有標題列，沒有申報資料。請在標題列下方每一行填一筆申報資料。")
	}
	return res, nil
}

// readHeader reads the first non-blank row and checks it against layout;
// it returns how many columns the header has (see checkHeader).
func readHeader(cr *csv.Reader) (int, error) {
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return 0, fileErr(ErrEmpty, "檔案是空的，沒有標題列也沒有申報資料。請下載範本，依範本的欄位填寫。")
		}
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			return 0, fileErr(ErrHeader, "第 %d 行的標題列無法讀取：%s。標題列應依序為：%s。", pe.StartLine, quoteProblem(pe), expectedHeader())
		}
		if err != nil {
			return 0, fmt.Errorf("filingcsv: %w", err)
		}
		if blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		return checkHeader(line, rec)
	}
}

// checkHeader checks a header row against layout and returns how many of
// its columns it has: numColumns, or numRequired when it ends before the
// optional 部分工時.
func checkHeader(line int, rec []string) (int, error) {
	cells := rec
	for len(cells) > 0 && strings.TrimSpace(strings.ReplaceAll(cells[len(cells)-1], "\ufeff", "")) == "" {
		cells = cells[:len(cells)-1]
	}
	keys := make([]string, len(cells))
	for i, c := range cells {
		keys[i] = headerKey(c)
	}
	want := fmt.Sprintf("標題列應依序為：%s（共 %d 欄，最後的「%s」可省略）。可下載範本，把資料貼到標題列下方。", expectedHeader(), numColumns, layout[colPartTime].Name)

	if len(cells) == 0 {
		return 0, fileErr(ErrHeader, "第 %d 行應為標題列，但沒有任何欄位名稱。%s", line, want)
	}
	if slices.Contains(keys, "勞工保險證號") || slices.Contains(keys, "健保投保單位代碼") || slices.Contains(keys, "投保者") {
		return 0, fileErr(ErrHeader, "第 %d 行是勞健保聯合申報批次檔的標題列，本系統目前不能直接讀取這種檔案。請改用本系統的範本：%s", line, want)
	}
	if _, msg := parseKind(cells[0]); msg == "" {
		return 0, fileErr(ErrHeader, "檔案缺少標題列：第 %d 行已經是申報資料。請在資料上方加上一行標題列。%s", line, want)
	}
	for i := range min(len(keys), numColumns) {
		if keys[i] != headerKey(layout[i].Name) {
			return 0, fileErr(ErrHeader, "第 %d 行的標題列不符合範本：第 %d 欄應為「%s」，檔案中是「%s」。%s", line, i+1, layout[i].Name, clip(strings.TrimSpace(cells[i])), want)
		}
	}
	if len(keys) < numRequired {
		missing := make([]string, 0, numRequired-len(keys))
		for _, c := range layout[len(keys):numRequired] {
			missing = append(missing, "「"+c.Name+"」")
		}
		return 0, fileErr(ErrHeader, "第 %d 行的標題列只有 %d 欄，缺少%s。%s", line, len(keys), strings.Join(missing, "、"), want)
	}
	if len(keys) > numColumns {
		return 0, fileErr(ErrHeader, "第 %d 行的標題列有 %d 欄，第 %d 欄「%s」以後不在範本中，請刪除多出的欄位。%s", line, len(keys), numColumns+1, clip(strings.TrimSpace(cells[numColumns])), want)
	}
	return len(keys), nil
}

// headerKey normalises a header cell for comparison: byte order marks and
// white space removed, full-width letters and brackets made narrow, a
// parenthesised note at the end dropped, and 身份 read as 身分.
func headerKey(s string) string {
	s = width.Fold.String(s)
	s = strings.Map(func(r rune) rune {
		if r == '\ufeff' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if i := strings.IndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	return strings.ReplaceAll(s, "身份", "身分")
}

// blank reports whether every cell of a record is empty or white space.
func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func quoteProblem(pe *csv.ParseError) string {
	if errors.Is(pe.Err, csv.ErrBareQuote) {
		return "沒有用雙引號括住的欄位中出現了雙引號（\"）"
	}
	return "雙引號（\"）的位置不正確或沒有成對"
}

func quoteMessage(pe *csv.ParseError) string {
	return fmt.Sprintf("第 %d 行：%s。含有逗號或雙引號的欄位請整欄用雙引號括住，欄內的雙引號寫成兩個（\"\"）。", pe.StartLine, quoteProblem(pe))
}

// ownNames are the column names of the layout, for messages.
var ownNames = func() (n [numColumns]string) {
	for i, c := range layout {
		n[i] = c.Name
	}
	return n
}()

// parseRow reads one data row in the order of layout; names are the
// columns' names in the file, for messages, and width is how many columns
// the file's header has (numRequired or numColumns).
func parseRow(line int, rec []string, names *[numColumns]string, width int) Row {
	row := Row{Line: line}
	if len(rec) > width && !blank(rec[width:]) {
		row.Err = fmt.Sprintf("第 %d 行有 %d 欄，標題列只有 %d 欄。若欄位內容含有逗號（例如金額 30,300），請整欄用雙引號括住，或去掉逗號。", line, lastNonBlank(rec)+1, width)
		return row
	}
	cell := func(i int) string {
		if i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for i := range min(len(rec), numColumns) {
		if r, ok := privateUse(rec[i]); ok {
			row.Err = fmt.Sprintf("第 %d 行「%s」：含有造字（U+%04X，電腦自造的字），系統無法辨識。請改用標準字；Big5 沒有的罕用字（例如「峯」、「堃」）請以 Excel「CSV UTF-8（逗號分隔）」儲存後上傳。", line, names[i], r)
			return row
		}
	}

	f := &row.Filing
	var msg string
	if f.Kind, msg = parseKind(cell(colKind)); msg != "" {
		row.Err = cellErr(line, names[colKind], msg)
		return row
	}
	if f.Person, msg = parsePerson(cell(colPerson)); msg != "" {
		row.Err = cellErr(line, names[colPerson], msg)
		return row
	}
	if f.Operation, msg = parseOperation(cell(colOperation)); msg != "" {
		row.Err = cellErr(line, names[colOperation], msg)
		return row
	}
	for i := colInsuredID; i < numColumns; i++ {
		v := cell(i)
		switch i {
		case colBirth, colEffectiveDate:
			v = padDate(v)
		case colRelation:
			v = relationCode(v)
		case colReason:
			v = reasonCode(v, f.Kind, f.Person)
		}
		if err := f.Set(layout[i].Field, v); err != nil {
			msg := err.Error()
			if c := cell(i); c != "" {
				msg += "（檔案中是「" + clip(c) + "」）"
			}
			row.Err = cellErr(line, names[i], msg)
			return row
		}
	}
	return row
}

func cellErr(line int, name, msg string) string {
	return fmt.Sprintf("第 %d 行「%s」：%s", line, name, msg)
}

func lastNonBlank(rec []string) int {
	for i := len(rec) - 1; i >= 0; i-- {
		if strings.TrimSpace(rec[i]) != "" {
			return i
		}
	}
	return -1
}

// privateUse returns the first private-use character of s: a user-defined
// character (造字) of a Big5 file, or one typed on a computer with its own
// user-defined characters.
func privateUse(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		// Private-use characters are U+E000–U+F8FF (EE 80 80–EF A3 BF) and
		// planes 15 and 16 (F3 B0 80 80 and up).
		if c := s[i]; c == 0xEE || c == 0xEF || c == 0xF3 || c == 0xF4 {
			r, _ := utf8.DecodeRuneInString(s[i:])
			if unicode.Is(unicode.Co, r) {
				return r, true
			}
		}
	}
	return 0, false
}

// Words accepted for 異動別, 身份 and 作業別, keyed by their lower-cased
// form with white space removed.
var (
	kindWords = map[string]string{
		"加保": rules.KindAdd, "退保": rules.KindWithdraw,
		"調整": rules.KindAdjust, "投保金額調整": rules.KindAdjust, "薪調": rules.KindAdjust, "調薪": rules.KindAdjust,
		rules.KindAdd: rules.KindAdd, rules.KindWithdraw: rules.KindWithdraw, rules.KindAdjust: rules.KindAdjust,
	}
	personWords = map[string]string{
		"本人": rules.PersonInsured, "被保險人": rules.PersonInsured, "1": rules.PersonInsured,
		"眷屬": rules.PersonDependent, "2": rules.PersonDependent,
		rules.PersonInsured: rules.PersonInsured, rules.PersonDependent: rules.PersonDependent,
	}
	operationWords = map[string]string{
		"": OperationHealth, "健保專用": OperationHealth, "健保": OperationHealth, OperationHealth: OperationHealth,
	}
)

// lookup finds a cell holding one of the words above: as it is, or
// lower-cased, with full-width letters made narrow and white space removed.
func lookup(words map[string]string, s string) (string, bool) {
	if v, ok := words[strings.TrimSpace(s)]; ok {
		return v, true
	}
	v, ok := words[word(s)]
	return v, ok
}

// word normalises a cell holding one of the words above.
func word(s string) string {
	s = width.Fold.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return s
}

// parseKind returns the kind for a 異動別 cell, or a message.
func parseKind(s string) (string, string) {
	if k, ok := lookup(kindWords, s); ok {
		return k, ""
	}
	if strings.TrimSpace(s) == "" {
		return "", "沒有填寫，請填加保、退保或調整（投保金額調整）"
	}
	return "", "「" + clip(strings.TrimSpace(s)) + "」無法辨識，請填加保、退保或調整（投保金額調整）"
}

func parsePerson(s string) (string, string) {
	if p, ok := lookup(personWords, s); ok {
		return p, ""
	}
	if strings.TrimSpace(s) == "" {
		return "", "沒有填寫，請填本人或眷屬"
	}
	return "", "「" + clip(strings.TrimSpace(s)) + "」無法辨識，請填本人或眷屬"
}

func parseOperation(s string) (string, string) {
	if o, ok := lookup(operationWords, s); ok {
		return o, ""
	}
	return "", "「" + clip(strings.TrimSpace(s)) + "」無法辨識，目前只受理健保專用，請填「健保專用」或留空"
}

// padDate restores the leading zeros Excel drops from a 7-digit 民國 date:
// 790315 and 90101 become 0790315 and 0090101, and a 民前 date kept as a
// negative number, -50301, becomes -0050301.
func padDate(s string) string {
	sign, digits := "", s
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, digits = "-", rest
	}
	if len(digits) < 5 || len(digits) > 6 {
		return s
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return s
		}
	}
	return sign + strings.Repeat("0", 7-len(digits)) + digits
}

// relationCode turns a 稱謂 name (子女) into its code (3); codes and
// unknown text are returned unchanged for Set and rules.Check.
func relationCode(s string) string {
	for _, r := range rules.Relations {
		if s == r.Name {
			return r.Code
		}
	}
	return s
}

// reasonCode turns a reason name into its code among the reasons of the
// kind and person (the same name can belong to several: 死亡 is W7 for the
// insured and E4 for a dependent). A name is matched without spaces, with
// full-width letters made narrow, and also without its note in brackets
// (轉入 for 轉入（由其他投保單位轉入）). Codes and unknown text are returned
// unchanged.
func reasonCode(s, kind, person string) string {
	if s == "" || len(s) <= 2 && isASCII(s) {
		return s
	}
	key := nameKey(s)
	for _, r := range rules.ReasonsFor(kind, person) {
		name := nameKey(r.Name)
		if short, _, ok := strings.Cut(name, "("); ok && key == short || key == name {
			return r.Code
		}
	}
	return s
}

func nameKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, width.Fold.String(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// clip shortens text quoted in a message to 20 characters.
func clip(s string) string {
	const limit = 20
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit]) + "…"
}

// formatSize writes a byte count for a message: "5 MB", "512 KB".
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " 位元組"
}

// readBounded reads an upload of at most maxBytes (DefaultMaxBytes when
// not positive) and returns it with the row limit (DefaultMaxRows when
// maxRows is not positive); a larger file is ErrTooLarge.
func readBounded(r io.Reader, maxBytes int64, maxRows int) ([]byte, int, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	limit := maxBytes
	if limit < math.MaxInt64 {
		limit++
	}
	data, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, 0, fmt.Errorf("filingcsv: 讀取上傳的檔案失敗：%w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, 0, fileErr(ErrTooLarge, "檔案超過 %s 的上限，請分成幾個檔案上傳。", formatSize(maxBytes))
	}
	return data, maxRows, nil
}
