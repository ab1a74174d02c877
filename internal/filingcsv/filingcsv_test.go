package filingcsv_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/rules"
)

const (
	// header is the header of the template before 部分工時 (issue 13.7),
	// which files still have; header13 the template's.
	header   = "異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期"
	header13 = header + ",部分工時"
	rowAdd   = "加保,本人,健保專用,A123456789,,王大明,男,0790315,,A1,45800,1150302"
	rowDep   = "加保,眷屬,健保專用,A123456789,A223456781,王小美,女,1130520,3,D1,,1150302"
	bom      = "\ufeff"
	maxBytes = 1 << 20
	maxRows  = 1000
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// The filings of rowAdd and rowDep, which are also the template's rows.
var (
	wantAdd = rules.Filing{
		Kind: rules.KindAdd, Person: rules.PersonInsured, Operation: filingcsv.OperationHealth,
		InsuredID: "A123456789", Name: "王大明", Sex: "M", Birth: date(1990, 3, 15),
		Reason: "A1", Amount: 45800, EffectiveDate: date(2026, 3, 2),
	}
	wantDep = rules.Filing{
		Kind: rules.KindAdd, Person: rules.PersonDependent, Operation: filingcsv.OperationHealth,
		InsuredID: "A123456789", DependentID: "A223456781", Name: "王小美", Sex: "F", Birth: date(2024, 5, 20),
		Relation: "3", Reason: "D1", EffectiveDate: date(2026, 3, 2),
	}
)

func lines(eol string, ls ...string) string { return strings.Join(ls, eol) + eol }

// big5 encodes s as Windows code page 950 (Excel on a Traditional Chinese
// Windows) does.
func big5(t testing.TB, s string) []byte {
	t.Helper()
	b, err := filingcsv.EncodeBig5(s)
	if err != nil {
		t.Fatalf("EncodeBig5: %v", err)
	}
	return b
}

func parse(t testing.TB, data []byte) *filingcsv.Result {
	t.Helper()
	res, err := filingcsv.Parse(bytes.NewReader(data), maxBytes, maxRows)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

// message returns the user-facing message of a Parse error.
func message(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return err.Error()
}

func TestParseEncodings(t *testing.T) {
	text := lines("\r\n", header, rowAdd, rowDep)
	tests := []struct {
		name string
		data []byte
		enc  string
	}{
		{"UTF-8 with BOM", []byte(bom + text), filingcsv.EncodingUTF8},
		{"UTF-8 without BOM", []byte(text), filingcsv.EncodingUTF8},
		{"Big5", big5(t, text), filingcsv.EncodingBig5},
		{"Big5 with LF", big5(t, lines("\n", header, rowAdd, rowDep)), filingcsv.EncodingBig5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.data)
			if res.Encoding != tt.enc {
				t.Errorf("Encoding = %q, want %q", res.Encoding, tt.enc)
			}
			want := []filingcsv.Row{{Line: 2, Filing: wantAdd}, {Line: 3, Filing: wantDep}}
			if len(res.Rows) != len(want) {
				t.Fatalf("got %d rows, want %d: %+v", len(res.Rows), len(want), res.Rows)
			}
			for i := range want {
				if res.Rows[i] != want[i] {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, res.Rows[i], want[i])
				}
			}
		})
	}
}

func TestParseEncodingErrors(t *testing.T) {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewChaCha8([32]byte{1, 2, 3}))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range header {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	tests := []struct {
		name string
		data []byte
		msg  string // part of the message
	}{
		{"random bytes", random, "不是 UTF-8 也不是 Big5"},
		{"xlsx", append([]byte("PK\x03\x04"), random[:100]...), ".xlsx"},
		{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, random[:100]...), ".xls"},
		{"UTF-16", utf16, "UTF-16"},
		{"BOM but not UTF-8", append([]byte(bom+header+"\n"), big5(t, rowAdd)...), "第 2 行有不是 UTF-8 的文字"},
		{"Big5 with a broken pair on line 3", append(big5(t, lines("\n", header, rowAdd)), 0xA4, '\n'), "第 3 行有無法辨識的位元組"},
		{"Big5 pair without a character", append(big5(t, header+"\n"), 0xA3, 0xFE), "第 2 行有無法辨識的文字"},
		{"NUL", []byte(header + "\n\x00\n"), "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := filingcsv.Parse(bytes.NewReader(tt.data), maxBytes, maxRows)
			if !errors.Is(err, filingcsv.ErrEncoding) {
				t.Fatalf("Parse = %+v, %v; want ErrEncoding", res, err)
			}
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("code = %s, want %s", apperr.CodeOf(err), apperr.Invalid)
			}
			if !strings.Contains(message(err), tt.msg) {
				t.Errorf("message %q does not contain %q", message(err), tt.msg)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name   string
		header string
		msg    []string // parts of the message; nil means the header is accepted
	}{
		{"exact", header, nil},
		{"spaces, full width and a BOM", bom + " 異動別 , 身 份,作業別　,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期", nil},
		{"身分 for 身份 and 身份 for 身分", "異動別,身分,作業別,員工身份證號,眷屬身份證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期", nil},
		{"notes in brackets", "異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期（民國年月日）,稱謂(代碼),原因,投保金額,生效日期", nil},
		{"trailing empty cells", header + ",,,", nil},
		{"quoted names", `"異動別","身份","作業別","員工身分證號","眷屬身分證號","姓名","性別","出生日期","稱謂","原因","投保金額","生效日期"`, nil},
		{"missing: data first", rowAdd, []string{"缺少標題列", "第 1 行已經是申報資料", header}},
		{"wrong third column", "異動別,身份,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期,作業別",
			[]string{"第 1 行", "第 3 欄應為「作業別」", "檔案中是「員工身分證號」", header}},
		{"too few columns", "異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因", []string{"只有 10 欄", "缺少「投保金額」、「生效日期」", header}},
		{"with 部分工時", header13, nil},
		{"another 13th column", header + ",備註", []string{"第 13 欄應為「部分工時」", "「備註」", header13, "可省略"}},
		{"extra column", header13 + ",備註", []string{"有 14 欄", "「備註」", header13}},
		{"English", "kind,person,operation,insured_id,dependent_id,name,sex,birth,relation,reason,amount,effective_date", []string{"第 1 欄應為「異動別」", header}},
		{"joint 勞健保 batch file", "異動別,勞工保險證號,檢查碼,健保投保單位代碼,投保別,投保者,被保險人外籍,身分證號,姓名,出生日期", []string{"勞健保聯合申報", header}},
		{"a title line above", "加退保名冊", []string{"第 1 欄應為「異動別」", "檔案中是「加退保名冊」"}},
		{"bad quotes", `"異動別,身份`, []string{"無法讀取", "雙引號"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := filingcsv.Parse(strings.NewReader(lines("\r\n", tt.header, rowAdd)), maxBytes, maxRows)
			if tt.msg == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(res.Rows) != 1 || res.Rows[0].Filing != wantAdd || res.Rows[0].Err != "" {
					t.Errorf("rows = %+v", res.Rows)
				}
				return
			}
			if !errors.Is(err, filingcsv.ErrHeader) {
				t.Fatalf("Parse = %+v, %v; want ErrHeader", res, err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(message(err), m) {
					t.Errorf("message %q does not contain %q", message(err), m)
				}
			}
		})
	}
}

func TestParseSyntaxAndLines(t *testing.T) {
	// Line numbers as an editor shows them: blank lines, rows of empty
	// cells and a quoted line break all count.
	text := strings.Join([]string{
		bom + header,  // 1
		"",            // 2
		rowAdd,        // 3
		",,,,,,,,,,,", // 4: a row of empty cells, as Excel writes below the data
		"   ",         // 5
		`加保,本人,健保專用,A123456789,,"王,大明",男,0790315,,A1,"45,800",1150302`,           // 6
		`加保,本人,健保專用,A123456789,,"王""大明""",男,0790315,,A1,45800,1150302`,           // 7
		`加保,本人,健保專用,A123456789,,"王` + "\r\n" + `大明",男,0790315,,A1,45800,1150302`, // 8–9: a line break is no name
		`加保,本人,健保專用,A123456789,,王"大明,男,0790315,,A1,45800,1150302`,                // 10: bare quote
		"加保,本人,健保專用,A123456789,,王大明,男,0790315,,A1,45800",                         // 11: trailing cell left out
		rowDep + ",,", // 12: trailing empty cells
		"", "",        // 13, 14
		`加保, 眷屬 , "健保專用",A123456789,A223456781,王小美,女,1130520,3,D1,,1150302`, // 15: spaces before a quote
	}, "\r\n") + "\r\n"
	res := parse(t, []byte(text))
	name := func(n string) rules.Filing { f := wantAdd; f.Name = n; return f }
	noDate := wantAdd
	noDate.EffectiveDate = time.Time{}
	want := []filingcsv.Row{
		{Line: 3, Filing: wantAdd},
		{Line: 6, Filing: name("王,大明")},
		{Line: 7, Filing: name(`王"大明"`)},
		{Line: 8, Err: "第 8 行「姓名」：姓名含有控制字元或文字方向控制字元，請刪除後再輸入。（檔案中是「王\n大明」）"},
		{Line: 10, Err: "第 10 行：沒有用雙引號括住的欄位中出現了雙引號（\"）。含有逗號或雙引號的欄位請整欄用雙引號括住，欄內的雙引號寫成兩個（\"\"）。"},
		{Line: 11, Filing: noDate},
		{Line: 12, Filing: wantDep},
		{Line: 15, Filing: wantDep},
	}
	if len(res.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(res.Rows), len(want), res.Rows)
	}
	for i := range want {
		got := res.Rows[i]
		if want[i].Err != "" {
			got.Filing = rules.Filing{} // what was read before the error does not matter
		}
		if got != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, res.Rows[i], want[i])
		}
	}
}

func TestParseBadDateOnLine7(t *testing.T) {
	data := lines("\n", header, rowAdd, rowDep, rowAdd, "", rowDep,
		"加保,本人,健保專用,A123456789,,王大明,男,1081311,,A1,45800,1150302", rowAdd)
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"UTF-8 LF", []byte(data)},
		{"UTF-8 BOM CRLF", []byte(bom + strings.ReplaceAll(data, "\n", "\r\n"))},
		{"Big5 CRLF", big5(t, strings.ReplaceAll(data, "\n", "\r\n"))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.data)
			var bad []filingcsv.Row
			for _, r := range res.Rows {
				if r.Err != "" {
					bad = append(bad, r)
				}
			}
			if len(res.Rows) != 6 || len(bad) != 1 {
				t.Fatalf("rows = %+v", res.Rows)
			}
			want := "第 7 行「出生日期」：日期不存在：月份應為 1 到 12（檔案中是「1081311」）"
			if bad[0].Line != 7 || bad[0].Err != want {
				t.Errorf("got line %d %q\nwant line 7 %q", bad[0].Line, bad[0].Err, want)
			}
			if got := res.Rows[len(res.Rows)-1].Line; got != 8 {
				t.Errorf("last row on line %d, want 8", got)
			}
		})
	}
}

// row replaces cells of rowAdd (or rowDep for a dependent) by column name.
func row(base string, set map[string]string) string {
	cells := strings.Split(base, ",")
	for i, c := range filingcsv.Columns {
		if v, ok := set[c.Name]; ok {
			cells[i] = v
		}
	}
	return strings.Join(cells, ",")
}

func TestParseRow(t *testing.T) {
	with := func(f rules.Filing, change func(*rules.Filing)) rules.Filing { change(&f); return f }
	tests := []struct {
		name string
		row  string
		want rules.Filing // checked when err is ""
		err  string       // the whole Row.Err, or its start when it ends in "…"
	}{
		{"insured add", rowAdd, wantAdd, ""},
		{"薪調", row(rowAdd, map[string]string{"異動別": "薪調", "原因": "M1"}),
			with(wantAdd, func(f *rules.Filing) { f.Kind, f.Reason = rules.KindAdjust, "M1" }), ""},
		{"投保金額調整", row(rowAdd, map[string]string{"異動別": "投保金額調整"}),
			with(wantAdd, func(f *rules.Filing) { f.Kind = rules.KindAdjust }), ""},
		{"調薪", row(rowAdd, map[string]string{"異動別": " 調薪 "}),
			with(wantAdd, func(f *rules.Filing) { f.Kind = rules.KindAdjust }), ""},
		{"調整 with 1 for 本人", row(rowAdd, map[string]string{"異動別": "調整", "身份": "1"}),
			with(wantAdd, func(f *rules.Filing) { f.Kind = rules.KindAdjust }), ""},
		{"退保 with an empty 作業別", row(rowAdd, map[string]string{"異動別": "退保", "作業別": "", "原因": "W1", "投保金額": ""}),
			with(wantAdd, func(f *rules.Filing) { f.Kind, f.Reason, f.Amount = rules.KindWithdraw, "W1", 0 }), ""},
		{"Excel dropped the leading zero", row(rowAdd, map[string]string{"出生日期": "790315"}), wantAdd, ""},
		{"民前 with a minus", row(rowAdd, map[string]string{"出生日期": "-005/03/01"}),
			with(wantAdd, func(f *rules.Filing) { f.Birth = date(1907, 3, 1) }), ""},
		{"民前 as Excel keeps a negative number", row(rowAdd, map[string]string{"出生日期": "-50301"}),
			with(wantAdd, func(f *rules.Filing) { f.Birth = date(1907, 3, 1) }), ""},
		{"民前 in words", row(rowAdd, map[string]string{"出生日期": "民前 1 年 12 月 31 日"}),
			with(wantAdd, func(f *rules.Filing) { f.Birth = date(1911, 12, 31) }), ""},
		{"民前 year 0", row(rowAdd, map[string]string{"出生日期": "-000/03/01"}), rules.Filing{},
			"第 2 行「出生日期」：日期不存在：民前年應從 1 年開始…"},
		{"two leading zeros dropped", row(rowAdd, map[string]string{"出生日期": "90101"}),
			with(wantAdd, func(f *rules.Filing) { f.Birth = date(1920, 1, 1) }), ""},
		{"slashes and full width", row(rowAdd, map[string]string{"出生日期": "79/3/15", "員工身分證號": "ａ１２３４５６７８９", "性別": "m"}), wantAdd, ""},
		{"relation by name", row(rowDep, map[string]string{"稱謂": "子女"}), wantDep, ""},
		{"reason by name", row(rowDep, map[string]string{"原因": "隨同被保險人加保"}), wantDep, ""},
		{"死亡 of a dependent is E4", row(rowDep, map[string]string{"異動別": "退保", "原因": "死亡"}),
			with(wantDep, func(f *rules.Filing) { f.Kind, f.Reason = rules.KindWithdraw, "E4" }), ""},
		{"死亡 of the insured is W7", row(rowAdd, map[string]string{"異動別": "退保", "原因": "死亡"}),
			with(wantAdd, func(f *rules.Filing) { f.Kind, f.Reason = rules.KindWithdraw, "W7" }), ""},
		{"reason name without its note", row(rowAdd, map[string]string{"原因": "轉入"}),
			with(wantAdd, func(f *rules.Filing) { f.Reason = "A2" }), ""},
		{"unknown codes are for rules.Check", row(rowDep, map[string]string{"稱謂": "表哥", "原因": "Z9"}),
			with(wantDep, func(f *rules.Filing) { f.Relation, f.Reason = "表哥", "Z9" }), ""},

		{"unknown kind", row(rowAdd, map[string]string{"異動別": "新增"}), rules.Filing{},
			"第 2 行「異動別」：「新增」無法辨識，請填加保、退保或調整（投保金額調整）"},
		{"no kind", row(rowAdd, map[string]string{"異動別": ""}), rules.Filing{},
			"第 2 行「異動別」：沒有填寫，請填加保、退保或調整（投保金額調整）"},
		{"no person", row(rowAdd, map[string]string{"身份": ""}), rules.Filing{},
			"第 2 行「身份」：沒有填寫，請填本人或眷屬"},
		{"labour insurance", row(rowAdd, map[string]string{"作業別": "勞保"}), rules.Filing{},
			"第 2 行「作業別」：「勞保」無法辨識，目前只受理健保專用，請填「健保專用」或留空"},
		{"Gregorian birth date", row(rowAdd, map[string]string{"出生日期": "1990/03/15"}), rules.Filing{},
			"第 2 行「出生日期」：日期格式錯誤：請輸入民國年而非西元年…"},
		{"bad effective date", row(rowAdd, map[string]string{"生效日期": "下個月"}), rules.Filing{},
			"第 2 行「生效日期」：日期格式錯誤，請輸入民國年月日，例如 108/12/11（檔案中是「下個月」）"},
		{"bad amount", row(rowAdd, map[string]string{"投保金額": "四萬五"}), rules.Filing{},
			"第 2 行「投保金額」：投保金額請填整數，例如 30300（檔案中是「四萬五」）"},
		{"an unquoted comma", strings.Replace(rowAdd, "45800", "45,800", 1), rules.Filing{},
			"第 2 行有 13 欄，標題列只有 12 欄。…"},
		{"a user-defined character", row(rowAdd, map[string]string{"姓名": "王\ue000明"}), rules.Filing{},
			"第 2 行「姓名」：含有造字（U+E000，電腦自造的字），系統無法辨識。…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, []byte(lines("\n", header, tt.row)))
			if len(res.Rows) != 1 {
				t.Fatalf("rows = %+v", res.Rows)
			}
			got := res.Rows[0]
			if got.Line != 2 {
				t.Errorf("Line = %d, want 2", got.Line)
			}
			if prefix, ok := strings.CutSuffix(tt.err, "…"); ok {
				if !strings.HasPrefix(got.Err, prefix) {
					t.Errorf("Err = %q, want it to start with %q", got.Err, prefix)
				}
				return
			}
			if got.Err != tt.err {
				t.Errorf("Err = %q, want %q", got.Err, tt.err)
			}
			if tt.err == "" && got.Filing != tt.want {
				t.Errorf("Filing:\n got %+v\nwant %+v", got.Filing, tt.want)
			}
		})
	}
}

// 林峯堃: 峯 and 堃 are not in Big5 as Taiwanese software (code page 950)
// has it, so a Big5 file cannot carry the name: EncodeBig5 refuses it, and
// the codes golang.org/x/text writes for them, the Hong Kong (HKSCS) codes
// FBDF and FB69, lie in the user-defined area (造字區), where each office's
// computers have characters of their own, so Parse refuses the row. A UTF-8
// file carries the name.
func TestRareNameCharacters(t *testing.T) {
	text := lines("\r\n", header, row(rowAdd, map[string]string{"姓名": "林峯堃"}))

	res := parse(t, []byte(text))
	if got := res.Rows[0]; got.Err != "" || got.Filing.Name != "林峯堃" {
		t.Errorf("UTF-8: row = %+v, want 林峯堃 without error", got)
	}

	if b, err := filingcsv.EncodeBig5(text); err == nil || !strings.Contains(err.Error(), "「峯」（U+5CEF）無法以 Big5 表示") {
		t.Errorf("EncodeBig5 = % X, %v; want an error naming 峯", b, err)
	}

	hkscs, err := traditionalchinese.Big5.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hkscs, "\xFB\xDF\xFB\x69") {
		t.Fatalf("golang.org/x/text no longer writes 峯堃 as FBDF FB69: % X", hkscs)
	}
	res = parse(t, []byte(hkscs))
	want := "第 2 行「姓名」：含有造字（U+E"
	if res.Encoding != filingcsv.EncodingBig5 || !strings.HasPrefix(res.Rows[0].Err, want) || !strings.Contains(res.Rows[0].Err, "UTF-8") {
		t.Errorf("Big5: Encoding %s, Err %q; want Big5 and an Err starting with %q that asks for UTF-8", res.Encoding, res.Rows[0].Err, want)
	}
}

func TestEncodeBig5(t *testing.T) {
	tests := []struct {
		in   string
		want string // hex; "" when s cannot be encoded
	}{
		{"Ann 林", "41 6E 6E 20 AA 4C"},
		{"張雅婷", "B1 69 B6 AE B4 40"}, // golang.org/x/text writes 婷 as FB B8
		{"瑜包港晴", "B7 EC A5 5D B4 E4 B4 B8"},
		{"碁恒", "F9 D6 F9 DA"}, // code page 950's additions
		{"€", "A3 E1"},
		{"十卅", "A4 51 A4 CA"}, // also A2CC and A2CE, which code page 950 does not write
		{"═", "F9 F9"},
		{"林峯堃", ""},
		{"王\ue000明", ""},
		{"😀", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			b, err := filingcsv.EncodeBig5(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("EncodeBig5 = % X, want an error", b)
				}
				return
			}
			if got := fmt.Sprintf("% X", b); err != nil || got != tt.want {
				t.Errorf("EncodeBig5 = %s, %v; want %s", got, err, tt.want)
			}
			// What EncodeBig5 writes, Parse reads back.
			res := parse(t, big5(t, lines("\n", header, row(rowAdd, map[string]string{"姓名": tt.in}))))
			if got := res.Rows[0]; got.Err != "" || got.Filing.Name != strings.TrimSpace(tt.in) {
				t.Errorf("read back as %+v", got)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	file := []byte(lines("\r\n", header, rowAdd, rowDep, rowAdd))
	rows := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(header + "\n")
		for range n {
			b.WriteString(rowAdd + "\n")
		}
		return b.Bytes()
	}
	tests := []struct {
		name     string
		data     []byte
		maxBytes int64
		maxRows  int
		want     error // nil: accepted
		code     apperr.Code
		msg      string
	}{
		{"exactly maxBytes", file, int64(len(file)), 10, nil, "", ""},
		{"one byte over", file, int64(len(file) - 1), 10, filingcsv.ErrTooLarge, apperr.TooLarge, "超過"},
		{"1 MB limit", bytes.Repeat([]byte("x"), 1<<20+1), 1 << 20, 10, filingcsv.ErrTooLarge, apperr.TooLarge, "超過 1 MB 的上限"},
		{"exactly maxRows", rows(5), maxBytes, 5, nil, "", ""},
		{"one row over", rows(6), maxBytes, 5, filingcsv.ErrTooManyRows, apperr.TooLarge, "超過 5 筆資料的上限（第 7 行是第 6 筆）"},
		{"default row limit", rows(filingcsv.DefaultMaxRows + 1), 0, 0, filingcsv.ErrTooManyRows, apperr.TooLarge, "10000 筆"},
		{"empty", nil, maxBytes, 10, filingcsv.ErrEmpty, apperr.Invalid, "檔案是空的"},
		{"only a BOM and blank lines", []byte(bom + "\r\n\r\n ,, \r\n"), maxBytes, 10, filingcsv.ErrEmpty, apperr.Invalid, "檔案是空的"},
		{"header only", []byte(header + "\r\n\r\n"), maxBytes, 10, filingcsv.ErrEmpty, apperr.Invalid, "只有標題列"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := filingcsv.Parse(bytes.NewReader(tt.data), tt.maxBytes, tt.maxRows)
			if tt.want == nil {
				if err != nil || len(res.Rows) == 0 {
					t.Fatalf("Parse = %+v, %v", res, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || res != nil {
				t.Fatalf("Parse = %+v, %v; want %v", res, err, tt.want)
			}
			if apperr.CodeOf(err) != tt.code || !strings.Contains(message(err), tt.msg) {
				t.Errorf("error %s %q, want code %s and a message with %q", apperr.CodeOf(err), message(err), tt.code, tt.msg)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseReadError(t *testing.T) {
	_, err := filingcsv.Parse(failingReader{}, maxBytes, maxRows)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Parse = %v, want it to wrap io.ErrUnexpectedEOF", err)
	}
}

func TestTemplate(t *testing.T) {
	utf8Template := filingcsv.Template()
	if !bytes.HasPrefix(utf8Template, []byte(bom)) {
		t.Error("Template does not start with a UTF-8 byte order mark")
	}
	for _, tt := range []struct {
		name string
		data []byte
		enc  string
	}{
		{"UTF-8", utf8Template, filingcsv.EncodingUTF8},
		{"Big5", filingcsv.TemplateBig5(), filingcsv.EncodingBig5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n, crlf := bytes.Count(tt.data, []byte("\n")), bytes.Count(tt.data, []byte("\r\n")); n != 3 || crlf != 3 || !bytes.HasSuffix(tt.data, []byte("\r\n")) {
				t.Errorf("want 3 lines ending in CRLF, got %d LF and %d CRLF", n, crlf)
			}
			res := parse(t, tt.data)
			if res.Encoding != tt.enc {
				t.Errorf("Encoding = %s, want %s", res.Encoding, tt.enc)
			}
			want := []filingcsv.Row{{Line: 2, Filing: wantAdd}, {Line: 3, Filing: wantDep}}
			if len(res.Rows) != 2 || res.Rows[0] != want[0] || res.Rows[1] != want[1] {
				t.Fatalf("rows:\n got %+v\nwant %+v", res.Rows, want)
			}
			// The examples are filings a unit could submit on the day
			// they were written.
			ctx := rules.Context{Today: date(2026, 3, 5)}
			for _, r := range res.Rows {
				if got := rules.Check(r.Filing, ctx); !got.OK() {
					t.Errorf("line %d fails rules.Check: %v", r.Line, got.Codes)
				}
			}
		})
	}
	if got, want := string(bytes.TrimPrefix(utf8Template, []byte(bom))), lines("\r\n", header13, rowAdd+",", rowDep+","); got != want {
		t.Errorf("Template =\n%s\nwant\n%s", got, want)
	}
}

func TestColumns(t *testing.T) {
	names := make([]string, len(filingcsv.Columns))
	for i, c := range filingcsv.Columns {
		names[i] = c.Name
		if c.Help == "" || c.Field == "" {
			t.Errorf("column %s has no Help or Field", c.Name)
		}
		switch c.Field {
		case filingcsv.FieldKind, filingcsv.FieldPerson, filingcsv.FieldOperation:
		default:
			var f rules.Filing
			if err := f.Set(c.Field, ""); err != nil {
				t.Errorf("column %s: rules.Filing.Set does not know field %q: %v", c.Name, c.Field, err)
			}
		}
	}
	if got := strings.Join(names, ","); got != header13 {
		t.Errorf("Columns = %s\nwant %s", got, header13)
	}
	for _, r := range rules.Relations {
		if !strings.Contains(filingcsv.Columns[8].Help, r.Code+" "+r.Name) {
			t.Errorf("the help of 稱謂 does not list %s %s", r.Code, r.Name)
		}
	}
}

// TestParsePartTime: the 部分工時 column, and files without it.
func TestParsePartTime(t *testing.T) {
	partTimeAdd := wantAdd
	partTimeAdd.Amount, partTimeAdd.PartTime = 12540, true
	cheap := strings.Replace(rowAdd, "45800", "12540", 1)
	tests := []struct {
		name   string
		header string
		row    string
		want   rules.Filing
		err    string
	}{
		{"是", header13, cheap + ",是", partTimeAdd, ""},
		{"Y", header13, cheap + ",Y", partTimeAdd, ""},
		{"1", header13, cheap + ",1", partTimeAdd, ""},
		{"empty", header13, rowAdd + ",", wantAdd, ""},
		{"left out of the row", header13, rowAdd, wantAdd, ""},
		{"否", header13, rowAdd + ",否", wantAdd, ""},
		{"unreadable", header13, rowAdd + ",兼職", rules.Filing{}, "第 2 行「部分工時」：部分工時請填「是」，不是部分工時請留空或填「否」（檔案中是「兼職」）"},
		{"old header", header, rowAdd, wantAdd, ""},
		{"old header, a 13th cell", header, cheap + ",是", rules.Filing{}, "第 2 行有 13 欄，標題列只有 12 欄。若欄位內容含有逗號（例如金額 30,300），請整欄用雙引號括住，或去掉逗號。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, []byte(lines("\r\n", tt.header, tt.row)))
			if len(res.Rows) != 1 {
				t.Fatalf("rows = %+v", res.Rows)
			}
			got := res.Rows[0]
			if got.Err != tt.err {
				t.Fatalf("Err = %q, want %q", got.Err, tt.err)
			}
			if tt.err == "" && got.Filing != tt.want {
				t.Errorf("Filing =\n %+v\nwant %+v", got.Filing, tt.want)
			}
		})
	}
}

func ExampleParse() {
	file := "異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期\r\n" +
		"加保,本人,健保專用,A123456789,,王大明,男,790315,,A1,45800,1150302\r\n" +
		"\r\n" +
		"加保,眷屬,,A123456789,A223456781,王小美,女,113/5/20,子女,D1,,115/13/02\r\n"
	res, err := filingcsv.Parse(strings.NewReader(file), 1<<20, 1000)
	if err != nil {
		fmt.Println(message(err))
		return
	}
	fmt.Println(res.Encoding)
	for _, r := range res.Rows {
		if r.Err != "" {
			fmt.Println(r.Line, r.Err)
			continue
		}
		fmt.Println(r.Line, r.Filing.Kind, r.Filing.Person, r.Filing.Name, r.Filing.Birth.Format(time.DateOnly))
	}
	// Output:
	// UTF-8
	// 2 add insured 王大明 1990-03-15
	// 4 第 4 行「生效日期」：日期不存在：月份應為 1 到 12（檔案中是「115/13/02」）
}
