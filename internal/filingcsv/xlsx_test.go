package filingcsv_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/filingcsv"
	"github.com/multicert/multicert/internal/rules"
)

func mustXLSX(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	b, err := filingcsv.WriteXLSX(rows)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustTemplate(tb testing.TB, id string) []byte {
	tb.Helper()
	b, err := filingcsv.TemplateXLSX(id)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func parseXLSX(data []byte, rows int) (*filingcsv.Result, error) {
	return filingcsv.ParseXLSX(bytes.NewReader(data), maxBytes, rows)
}

// TestParseXLSXLayouts reads the .xlsx template of every layout back: the
// CSV layout and the joint 勞健保 add, out and mod files, whose labour
// columns are reported as ignored.
func TestParseXLSXLayouts(t *testing.T) {
	with := func(f rules.Filing, change func(*rules.Filing)) rules.Filing { change(&f); return f }
	out := func(f *rules.Filing) {
		f.Kind, f.Amount, f.EffectiveDate = rules.KindWithdraw, 0, date(2026, 3, 31)
		f.Reason = map[string]string{rules.PersonInsured: "W1", rules.PersonDependent: "E1"}[f.Person]
	}
	tests := []struct {
		layout  string
		want    []rules.Filing
		ignored []string // some of them
		unit    string
	}{
		{filingcsv.LayoutOwn, []rules.Filing{wantAdd, wantDep}, nil, ""},
		{filingcsv.LayoutJointAdd, []rules.Filing{wantAdd, wantDep}, []string{"勞工保險證號", "月實際工資", "勞退提繳日期"}, "012345678"},
		{filingcsv.LayoutJointOut, []rules.Filing{with(wantAdd, out), with(wantDep, out)}, []string{"退保原因說明", "健保投保薪資"}, "012345678"},
		{filingcsv.LayoutJointMod, []rules.Filing{with(wantAdd, func(f *rules.Filing) {
			f.Kind, f.Reason, f.Amount, f.EffectiveDate = rules.KindAdjust, "M1", 48200, date(2026, 4, 1)
		})}, []string{"調後月實際工資", "健保調前投保薪資"}, "012345678"},
	}
	for _, tt := range tests {
		t.Run(tt.layout, func(t *testing.T) {
			res, err := parseXLSX(mustTemplate(t, tt.layout), maxRows)
			if err != nil {
				t.Fatalf("ParseXLSX: %v", err)
			}
			if res.Layout != tt.layout {
				t.Errorf("Layout = %q, want %q", res.Layout, tt.layout)
			}
			if len(res.Rows) != len(tt.want) {
				t.Fatalf("%d rows, want %d: %+v", len(res.Rows), len(tt.want), res.Rows)
			}
			for i, r := range res.Rows {
				if r.Err != "" || r.Filing != tt.want[i] || r.Line != i+2 || r.UnitCode != tt.unit {
					t.Errorf("row %d = %+v\nwant line %d, unit %q, %+v", i, r, i+2, tt.unit, tt.want[i])
				}
			}
			for _, c := range tt.ignored {
				if !slices.Contains(res.Ignored, c) {
					t.Errorf("Ignored = %v, want it to hold %q", res.Ignored, c)
				}
			}
			if tt.layout == filingcsv.LayoutOwn && len(res.Ignored) > 0 {
				t.Errorf("Ignored = %v, want none", res.Ignored)
			}
		})
	}
}

// TestParseXLSXRows: a joint file's errors name its own columns; 民前
// dates and Excel's dropped zeros are read as in CSV; columns may come in
// any order.
func TestParseXLSXRows(t *testing.T) {
	l, _ := filingcsv.LayoutByID(filingcsv.LayoutJointAdd)
	header := slices.Clone(l.Header)
	slices.Reverse(header)
	row := func(m map[string]string) []string {
		r := make([]string, len(header))
		for i, h := range header {
			r[i] = m[h]
		}
		return r
	}
	good := map[string]string{"投保者": "1", "身分證號/居留證/護照": "A123456789", "姓名": "王大明", "出生日期": "-50301", "性別": "男",
		"健保投保薪資": "45,800", "健保加保原因別": "到職起薪", "健保加保原因發生日期": "1150302"}
	bad := maps(good, "眷屬出生日期", "1131350")
	bad["投保者"], bad["眷屬姓名"], bad["眷屬身分證號"], bad["稱謂代碼"], bad["健保加保原因別"] = "2", "王小美", "A223456781", "3", "D1"
	res, err := parseXLSX(mustXLSX(t, [][]string{header, row(good), {}, row(bad)}), maxRows)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("%d rows, want 2", len(res.Rows))
	}
	want := wantAdd
	want.Birth = date(1907, 3, 1)
	if r := res.Rows[0]; r.Err != "" || r.Filing != want {
		t.Errorf("row 2 = %+v, want %+v", r, want)
	}
	if r := res.Rows[1]; r.Line != 4 || !strings.HasPrefix(r.Err, "第 4 行「眷屬出生日期」：日期不存在") {
		t.Errorf("row 4 = line %d, %q; want an error naming 眷屬出生日期", r.Line, r.Err)
	}
}

// TestParseXLSXPartTime: the joint add and mod files mark 部分工時 in
// their optional 部分工時 column (our own; the payroll software's files
// have none we know of), on the insured's rows only; a file without the
// column is read as before, as is our layout's header of 12 columns.
func TestParseXLSXPartTime(t *testing.T) {
	cells := func(header []string, m map[string]string) []string {
		r := make([]string, len(header))
		for i, h := range header {
			r[i] = m[h]
		}
		return r
	}
	ins := map[string]string{"投保者": "1", "身分證號/居留證/護照": "A123456789", "姓名": "王大明", "出生日期": "0790315", "性別": "1",
		"健保投保薪資": "12540", "健保加保原因別": "A1", "健保加保原因發生日期": "1150302", "部分工時": "Y",
		"健保調後投保薪資": "13500", "調整生效日期": "1150401"}
	dep := map[string]string{"投保者": "2", "身分證號/居留證/護照": "A123456789", "眷屬身分證號": "A223456781", "眷屬姓名": "王小美",
		"眷屬出生日期": "1130520", "稱謂代碼": "3", "性別": "2", "健保加保原因別": "D1", "健保加保原因發生日期": "1150302", "部分工時": "Y"}
	add, _ := filingcsv.LayoutByID(filingcsv.LayoutJointAdd)
	mod, _ := filingcsv.LayoutByID(filingcsv.LayoutJointMod)
	partTimeAdd := wantAdd
	partTimeAdd.Amount, partTimeAdd.PartTime = 12540, true
	partTimeMod := partTimeAdd
	partTimeMod.Kind, partTimeMod.Reason, partTimeMod.Amount, partTimeMod.EffectiveDate = rules.KindAdjust, "M1", 13500, date(2026, 4, 1)
	withoutColumn := slices.DeleteFunc(slices.Clone(add.Header), func(h string) bool { return h == "部分工時" })
	fullTimeAdd := partTimeAdd
	fullTimeAdd.PartTime = false
	tests := []struct {
		name string
		rows [][]string
		want []rules.Filing
	}{
		{"add", [][]string{add.Header, cells(add.Header, ins), cells(add.Header, dep)}, []rules.Filing{partTimeAdd, wantDep}},
		{"mod", [][]string{mod.Header, cells(mod.Header, ins)}, []rules.Filing{partTimeMod}},
		{"add without the column", [][]string{withoutColumn, cells(withoutColumn, ins)}, []rules.Filing{fullTimeAdd}},
		{"our layout, 12 columns", [][]string{filingcsv.Layouts[0].Header[:12], strings.Split(rowAdd, ",")}, []rules.Filing{wantAdd}},
		{"our layout, 部分工時", [][]string{filingcsv.Layouts[0].Header, append(strings.Split(strings.Replace(rowAdd, "45800", "12540", 1), ","), "是")},
			[]rules.Filing{partTimeAdd}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := parseXLSX(mustXLSX(t, tt.rows), maxRows)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(res.Ignored, "部分工時") {
				t.Errorf("Ignored = %v: 部分工時 is read", res.Ignored)
			}
			if len(res.Rows) != len(tt.want) {
				t.Fatalf("%d rows, want %d", len(res.Rows), len(tt.want))
			}
			for i, r := range res.Rows {
				if r.Err != "" || r.Filing != tt.want[i] {
					t.Errorf("row %d = %+v\nwant %+v", i, r, tt.want[i])
				}
			}
		})
	}
}

// TestParseXLSXPayrollShapes: joint files shaped as payroll software
// writes them (docs/uploads.md): the insured's columns named 被保險人…; a
// withdrawal file without 眷屬 columns or 性別; an adjustment file without
// 投保者 or 性別 (ours still needs 調整生效日期). A row without 性別 takes
// the sex its ID states; a 眷屬 withdrawal row without our 眷屬 columns
// is read without a dependent ID, for the rules to refuse, and the file
// is not refused.
func TestParseXLSXPayrollShapes(t *testing.T) {
	outHeader := []string{"異動別", "勞工保險證號", "勞工保險證號檢查碼", "健保投保單位代碼", "健保業務組別", "投保別", "投保者", "被保險人外籍",
		"被保險人姓名", "被保險人身分證號", "居留證號", "被保險人出生日期", "健保退保原因別", "退保原因說明別", "退保原因說明", "健保退保原因發生日期"}
	modHeader := []string{"異動別", "勞工保險證號", "勞工保險證號檢查碼", "健保投保單位代碼", "健保業務組別", "被保險人外籍",
		"被保險人姓名(外籍含全名)", "被保險人身份證號", "居留證號", "被保險人出生日期", "調後月實際工資", "健保調前投保薪資", "健保調後投保薪資", "特殊身分別",
		"調整生效日期"}
	row := func(header []string, m map[string]string) []string {
		r := make([]string, len(header))
		for i, h := range header {
			r[i] = m[h]
		}
		return r
	}
	insOut := map[string]string{"異動別": "2", "健保投保單位代碼": "012345678", "投保者": "1", "被保險人姓名": "王大明", "被保險人身分證號": "A123456789",
		"被保險人出生日期": "0790315", "健保退保原因別": "W1", "退保原因說明": "離職", "健保退保原因發生日期": "1150331"}
	depOut := maps(maps(maps(insOut, "投保者", "2"), "被保險人姓名", "王小華"), "被保險人身分證號", "A234567890")
	insMod := map[string]string{"異動別": "3", "被保險人姓名(外籍含全名)": "王大明", "被保險人身份證號": "A123456789", "被保險人出生日期": "0790315",
		"健保調前投保薪資": "45800", "健保調後投保薪資": "48200", "調整生效日期": "1150401"}
	wantOut := wantAdd
	wantOut.Kind, wantOut.Reason, wantOut.Amount, wantOut.EffectiveDate = rules.KindWithdraw, "W1", 0, date(2026, 3, 31)
	wantMod := wantAdd
	wantMod.Kind, wantMod.Reason, wantMod.Amount, wantMod.EffectiveDate = rules.KindAdjust, "M1", 48200, date(2026, 4, 1)

	res, err := parseXLSX(mustXLSX(t, [][]string{outHeader, row(outHeader, insOut), row(outHeader, depOut)}), maxRows)
	if err != nil {
		t.Fatalf("withdrawal file: %v", err)
	}
	if res.Layout != filingcsv.LayoutJointOut || len(res.Rows) != 2 {
		t.Fatalf("withdrawal file: layout %q, %d rows", res.Layout, len(res.Rows))
	}
	if r := res.Rows[0]; r.Err != "" || r.Filing != wantOut || r.UnitCode != "012345678" {
		t.Errorf("withdrawal row = %+v\nwant %+v", r, wantOut)
	}
	// The 眷屬 row names only the dependant: the insured and the 稱謂 come
	// from the unit's roster (handlers), FromRoster says so.
	if r := res.Rows[1]; r.Err != "" || r.Filing.Person != rules.PersonDependent || r.Filing.DependentID != "A234567890" ||
		r.Filing.Name != "王小華" || !r.FromRoster {
		t.Errorf("眷屬 withdrawal row without 眷屬 columns = %+v, want the dependant A234567890 王小華 read FromRoster", r)
	}
	if res.Rows[0].FromRoster {
		t.Error("the insured's own withdrawal row is marked FromRoster")
	}
	for _, c := range []string{"被保險人姓名", "被保險人身分證號", "被保險人出生日期", "健保退保原因發生日期"} {
		if slices.Contains(res.Ignored, c) {
			t.Errorf("Ignored = %v, but %s is read", res.Ignored, c)
		}
	}
	if !slices.Contains(res.Ignored, "居留證號") {
		t.Errorf("Ignored = %v, want 居留證號", res.Ignored)
	}

	res, err = parseXLSX(mustXLSX(t, [][]string{modHeader, row(modHeader, insMod)}), maxRows)
	if err != nil {
		t.Fatalf("adjustment file: %v", err)
	}
	if res.Layout != filingcsv.LayoutJointMod || len(res.Rows) != 1 {
		t.Fatalf("adjustment file: layout %q, %d rows", res.Layout, len(res.Rows))
	}
	if r := res.Rows[0]; r.Err != "" || r.Filing != wantMod {
		t.Errorf("adjustment row = %+v\nwant %+v", r, wantMod)
	}
	// Errors name the file's own column.
	bad := maps(insMod, "被保險人出生日期", "0791350")
	res, err = parseXLSX(mustXLSX(t, [][]string{modHeader, row(modHeader, bad)}), maxRows)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; !strings.HasPrefix(r.Err, "第 2 行「被保險人出生日期」") {
		t.Errorf("row with a bad birth date: %q, want the error to name 被保險人出生日期", r.Err)
	}
	// Without 調整生效日期 the file is refused, naming it.
	noDate := slices.DeleteFunc(slices.Clone(modHeader), func(h string) bool { return h == "調整生效日期" })
	if _, err := parseXLSX(mustXLSX(t, [][]string{noDate, row(noDate, insMod)}), maxRows); err == nil || !strings.Contains(message(err), "缺少「調整生效日期」") {
		t.Errorf("adjustment file without 調整生效日期: %v, want it refused naming the column", err)
	}
}

func maps(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		if a != k {
			out[a] = b
		}
	}
	return out
}

// TestParseXLSXRefused: a broken file, an unknown header, a joint header
// without a health column, too many rows, a zip bomb and an empty sheet are
// refused as a whole with a message in Traditional Chinese.
func TestParseXLSXRefused(t *testing.T) {
	own := mustTemplate(t, filingcsv.LayoutOwn)
	tooMany := [][]string{filingcsv.Layouts[0].Header}
	for range 4 {
		tooMany = append(tooMany, []string{"加保", "本人", "", "A123456789", "", "王大明", "男", "0790315", "", "A1", "45800", "1150302"})
	}
	l, _ := filingcsv.LayoutByID(filingcsv.LayoutJointOut)
	noReasonDate := slices.DeleteFunc(slices.Clone(l.Header), func(h string) bool { return h == "退保原因發生日期" })
	tests := []struct {
		name string
		data []byte
		rows int
		kind error
		msg  []string
	}{
		{"not a zip", []byte("PK\x03\x04 this is not a workbook"), maxRows, filingcsv.ErrXLSX, []string{"不是有效的 Excel 活頁簿"}},
		{"truncated", own[:len(own)/2], maxRows, filingcsv.ErrXLSX, []string{"Excel"}},
		{"zip without a workbook", zipOf(t, "hello.txt", 10), maxRows, filingcsv.ErrXLSX, []string{"無法開啟這個 Excel 檔"}},
		{"unknown header", mustXLSX(t, [][]string{{"員工編號", "姓名", "部門"}, {"1", "王大明", "業務"}}), maxRows, filingcsv.ErrHeader,
			[]string{"標題列", "「本系統範本」", "「勞健保聯合加保檔」", "「勞健保聯合退保檔」", "「勞健保聯合調整檔」", "員工身分證號", "健保加保原因發生日期"}},
		{"joint header without a health column", mustXLSX(t, [][]string{noReasonDate, make([]string, len(noReasonDate))}), maxRows, filingcsv.ErrHeader,
			[]string{"勞健保聯合退保檔", "缺少「退保原因發生日期」"}},
		{"too many rows", mustXLSX(t, tooMany), 3, filingcsv.ErrTooManyRows, []string{"超過 3 筆資料的上限", "第 5 列是第 4 筆"}},
		{"zip bomb", zipOf(t, "xl/worksheets/sheet1.xml", 80<<20), maxRows, filingcsv.ErrTooLarge, []string{"解壓縮後超過 64 MB"}},
		{"header only", mustXLSX(t, [][]string{filingcsv.Layouts[0].Header}), maxRows, filingcsv.ErrEmpty, []string{"只有標題列"}},
		{"empty sheet", mustXLSX(t, nil), maxRows, filingcsv.ErrEmpty, []string{"空的"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := parseXLSX(tt.data, tt.rows)
			if err == nil {
				t.Fatalf("ParseXLSX = %+v, want an error", res)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v, want %v", err, tt.kind)
			}
			for _, m := range tt.msg {
				if !strings.Contains(message(err), m) {
					t.Errorf("message %q lacks %q", message(err), m)
				}
			}
		})
	}
	if _, err := filingcsv.ParseXLSX(bytes.NewReader(own), int64(len(own)-1), maxRows); !errors.Is(err, filingcsv.ErrTooLarge) {
		t.Errorf("a file over maxBytes: %v, want ErrTooLarge", err)
	}
}

// zipOf is a zip with one entry of n zero bytes: n = 80 MB makes a zip
// bomb of some 80 KB.
func zipOf(tb testing.TB, name string, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zero))
		if _, err := w.Write(zero[:k]); err != nil {
			tb.Fatal(err)
		}
		n -= k
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// xlsx10000 is file10000 as an .xlsx workbook in the CSV layout.
func xlsx10000(tb testing.TB) []byte {
	tb.Helper()
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(file10000(tb), "\ufeff"), "\r\n"), "\r\n")
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = strings.Split(l, ",")
	}
	return mustXLSX(tb, rows)
}

func BenchmarkParseXLSX10000(b *testing.B) {
	data := xlsx10000(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := filingcsv.ParseXLSX(bytes.NewReader(data), 10<<20, 10000)
		if err != nil || len(res.Rows) != 10000 {
			b.Fatal(fmt.Sprint("ParseXLSX: ", err))
		}
	}
}
