package rules_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/rules"
)

func TestBuiltin(t *testing.T) {
	tables := rules.Builtin()
	tests := []struct {
		name      string
		table     rules.GradeTable
		effective time.Time
		count     int
		min, max  int
	}{
		{"114 年", tables[0], date(2025, 1, 1), 59, 28590, 313000},
		{"115 年", tables[1], date(2026, 1, 1), 58, 29500, 313000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.table
			if !g.Effective.Equal(tc.effective) {
				t.Errorf("Effective = %v, want %v", g.Effective, tc.effective)
			}
			if got := len(g.Grades); got != tc.count {
				t.Errorf("len(Grades) = %d, want %d", got, tc.count)
			}
			if got := g.Min(); got != tc.min {
				t.Errorf("Min() = %d, want %d", got, tc.min)
			}
			if got := g.Grades[len(g.Grades)-1]; got != tc.max {
				t.Errorf("top grade = %d, want %d", got, tc.max)
			}
			for i := 1; i < len(g.Grades); i++ {
				if g.Grades[i] <= g.Grades[i-1] {
					t.Errorf("grades not ascending at %d: %d after %d", i, g.Grades[i], g.Grades[i-1])
				}
			}
			if !strings.Contains(g.Source, "健保署公告核對") {
				t.Errorf("Source = %q, want the note to check against the bureau's notice", g.Source)
			}
		})
	}
	// The two tables share the ladder from 30,300.
	if a, b := tables[0].Grades[2:], tables[1].Grades[1:]; !slices.Equal(a, b) {
		t.Errorf("ladders from 30300 differ:\n114: %v\n115: %v", a, b)
	}
	// Neither table lists part-time amounts: the lowest grade of the NHI
	// table is the minimum wage (全民健康保險法第 19 條); the 2026 source
	// says so and names the order.
	for i, g := range tables {
		if g.PartTime != nil {
			t.Errorf("table %d PartTime = %v, want none", i, g.PartTime)
		}
	}
	for _, w := range []string{"衛部保字第1140153424號令", "第 19 條", "部分工時", "勞保投保薪資分級表"} {
		if !strings.Contains(tables[1].Source, w) {
			t.Errorf("115 年 Source = %q, want it to mention %q", tables[1].Source, w)
		}
	}
	// Each call returns fresh copies.
	tables[1].Grades[0] = 1
	if got := rules.Builtin()[1].Grades[0]; got != 29500 {
		t.Errorf("after changing a copy, Builtin()[1].Grades[0] = %d, want 29500", got)
	}
}

func TestIsGrade(t *testing.T) {
	tables := rules.Builtin()
	g114, g115 := &tables[0], &tables[1]
	tests := []struct {
		table  *rules.GradeTable
		amount int
		want   bool
	}{
		{g115, 30300, true},
		{g115, 30000, false},
		{g115, 29500, true},
		{g115, 28800, false},
		{g114, 28800, true},
		{g114, 29500, false},
		{g115, 150000, true},
		{g115, 313000, true},
		{g115, 313001, false},
		{g115, 0, false},
	}
	for _, tc := range tests {
		if got := tc.table.IsGrade(tc.amount); got != tc.want {
			t.Errorf("table %s IsGrade(%d) = %v, want %v", tc.table.Effective.Format(time.DateOnly), tc.amount, got, tc.want)
		}
	}
}

func TestLadder(t *testing.T) {
	g := partTimeTables()[1]
	if got := g.Ladder(false); !slices.Equal(got, g.Grades) {
		t.Errorf("Ladder(false) = %v, want the grades", got)
	}
	full := g.Ladder(true)
	if len(full) != 17+58 || full[0] != 11100 || full[16] != 28590 || full[17] != 29500 || full[len(full)-1] != 313000 {
		t.Errorf("Ladder(true) = %v, want the part-time amounts then the grades", full)
	}
	if !g.IsPartTime(19047) || g.IsPartTime(29500) || g.IsGrade(19047) {
		t.Error("19047 is a part-time amount and no grade; 29500 is a grade and no part-time amount")
	}
	if g.Lowest(false) != 29500 || g.Lowest(true) != 11100 {
		t.Errorf("Lowest = %d, %d; want 29500, 11100", g.Lowest(false), g.Lowest(true))
	}
	if g.Allows(19047, false) || !g.Allows(19047, true) || !g.Allows(29500, true) || g.Allows(30000, true) {
		t.Error("Allows: 19047 only marked 部分工時, 29500 always, 30000 never")
	}
	g114 := rules.Builtin()[0]
	if got := g114.Ladder(true); !slices.Equal(got, g114.Grades) {
		t.Errorf("a table without part-time amounts: Ladder(true) = %v, want the grades", got)
	}
	if g114.Lowest(true) != 28590 {
		t.Errorf("a table without part-time amounts: Lowest(true) = %d, want its first grade", g114.Lowest(true))
	}
}

func TestParsePartTime(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		first   int
		want    []int
		wantErr string
	}{
		{"empty", "", 29500, nil, ""},
		{"blank lines and commas", " \n，\n", 29500, nil, ""},
		{"the 2026 amounts", "11100, 12540\n13500", 29500, []int{11100, 12540, 13500}, ""},
		{"not ascending", "12540\n11100", 29500, nil, "第 2 行的 11100 比前一個金額 12540 小"},
		{"reaches the first grade", "11100\n29500", 29500, nil, "部分工時的金額 29500 不低於全時人員的最低一級 29500 元"},
		{"above the first grade", "11100, 30300", 29500, nil, "不低於全時人員的最低一級"},
		{"not a number", "一萬", 29500, nil, "不是正整數"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rules.ParsePartTime(tc.text, tc.first)
			if tc.wantErr == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("ParsePartTime() = %v, %v, want %v", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParsePartTime() error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestGradeFor(t *testing.T) {
	g := rules.Builtin()[1]
	tests := []struct{ salary, want int }{
		{0, 29500},
		{29500, 29500},
		{29501, 30300},
		{30000, 30300},
		{30300, 30300},
		{148000, 150000},
		{313000, 313000},
		{500000, 313000},
	}
	for _, tc := range tests {
		if got := g.GradeFor(tc.salary); got != tc.want {
			t.Errorf("GradeFor(%d) = %d, want %d", tc.salary, got, tc.want)
		}
	}
	var empty rules.GradeTable
	if got := empty.GradeFor(30000); got != 0 {
		t.Errorf("empty table GradeFor(30000) = %d, want 0", got)
	}
	if got := empty.Min(); got != 0 {
		t.Errorf("empty table Min() = %d, want 0", got)
	}
}

func TestTableOn(t *testing.T) {
	// Out of order on purpose: TableOn must not rely on the order.
	tables := rules.Builtin()
	tables[0], tables[1] = tables[1], tables[0]
	tests := []struct {
		on   time.Time
		want int // Min of the table in force, 0 for none
	}{
		{date(2024, 12, 31), 0},
		{date(2025, 1, 1), 28590},
		{date(2025, 12, 31), 28590},
		{date(2026, 1, 1), 29500},
		{date(2030, 6, 1), 29500},
	}
	for _, tc := range tests {
		got := rules.TableOn(tables, tc.on)
		gotMin := 0
		if got != nil {
			gotMin = got.Min()
		}
		if gotMin != tc.want {
			t.Errorf("TableOn(%s) has Min %d, want %d", tc.on.Format(time.DateOnly), gotMin, tc.want)
		}
	}
	if got := rules.TableOn(nil, today); got != nil {
		t.Errorf("TableOn(nil) = %v, want nil", got)
	}
}

func TestParseTable(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []int
		wantErr string // substring of the error; "" for none
	}{
		{"one per line", "29500\n30300\n31800", []int{29500, 30300, 31800}, ""},
		{"comma separated", "29500, 30300，31800、33300", []int{29500, 30300, 31800, 33300}, ""},
		{"blank lines, CRLF and trailing comma", "\r\n29500\r\n\r\n30300,\r\n", []int{29500, 30300}, ""},
		{"full-width digits", "２９５００\n３０３００", []int{29500, 30300}, ""},
		{"empty", " \n \n", nil, "沒有任何投保金額"},
		{"not a number", "29500\nabc", nil, "第 2 行的「abc」不是正整數"},
		{"negative", "-5", nil, "第 1 行的「-5」不是正整數"},
		{"decimal", "29500.5", nil, "不是正整數"},
		{"with 元", "29500元", nil, "不是正整數"},
		{"zero", "0\n29500", nil, "第 1 行的金額是 0"},
		{"thousands comma", "29,500\n30,300", nil, "千分位"},
		{"duplicate", "29500\n30300\n30300", nil, "第 3 行的 30300 重複了"},
		{"descending", "30300\n29500", nil, "第 2 行的 29500 比前一個金額 30300 小"},
		{"descending on one line", "30300, 29500", nil, "第 1 行的 29500 比前一個金額 30300 小"},
		{"too large", "99999999999999999999", nil, "太大"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rules.ParseTable(tc.text)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseTable() error %q, want none", err)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("ParseTable() = %v, want %v", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseTable() = %v, want an error containing %q", got, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTable() error %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseTableBuiltinRoundTrip(t *testing.T) {
	for _, g := range rules.Builtin() {
		var lines []string
		for _, a := range g.Grades {
			lines = append(lines, strconv.Itoa(a))
		}
		got, err := rules.ParseTable(strings.Join(lines, "\n"))
		if err != nil || !slices.Equal(got, g.Grades) {
			t.Errorf("ParseTable(table of %s) = %v, %v, want the table back", g.Effective.Format(time.DateOnly), got, err)
		}
	}
}
