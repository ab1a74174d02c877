package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GradeTable is an insured-amount table (投保金額分級表) and the date from
// which it is in force.
type GradeTable struct {
	Effective time.Time // first day in force, 00:00 UTC
	Grades    []int     // insured amounts in NT$, ascending and unique
	// PartTime are the lower amounts the table lists for part-time
	// employees (部分工時), ascending, unique and all below Grades[0]; nil
	// when the table has none. Only a filing marked 部分工時
	// (Filing.PartTime) may carry one of them.
	PartTime []int
	Source   string // where the figures come from
}

// IsGrade reports whether amount is one of the table's grades (the
// full-time ones; see IsPartTime).
func (g *GradeTable) IsGrade(amount int) bool {
	_, found := slices.BinarySearch(g.Grades, amount)
	return found
}

// IsPartTime reports whether amount is one of the table's part-time
// amounts.
func (g *GradeTable) IsPartTime(amount int) bool {
	_, found := slices.BinarySearch(g.PartTime, amount)
	return found
}

// Allows reports whether a filing may carry amount: a grade, or for a
// filing marked 部分工時 also a part-time amount.
func (g *GradeTable) Allows(amount int, partTime bool) bool {
	return g.IsGrade(amount) || partTime && g.IsPartTime(amount)
}

// Lowest returns the lowest amount a filing may carry: the lowest grade,
// or for a filing marked 部分工時 the lowest part-time amount when the
// table has any.
func (g *GradeTable) Lowest(partTime bool) int {
	if partTime && len(g.PartTime) > 0 {
		return g.PartTime[0]
	}
	return g.Min()
}

// Ladder returns the amounts a filing may carry, ascending: the grades,
// preceded by the part-time amounts for a filing marked 部分工時. The
// result may share memory with the table; do not change it.
func (g *GradeTable) Ladder(partTime bool) []int {
	if !partTime || len(g.PartTime) == 0 {
		return g.Grades
	}
	return slices.Concat(g.PartTime, g.Grades)
}

// Min returns the lowest grade, or 0 for an empty table. The lowest grade
// follows the monthly minimum wage (基本工資).
func (g *GradeTable) Min() int {
	if len(g.Grades) == 0 {
		return 0
	}
	return g.Grades[0]
}

// GradeFor returns the grade to file for a monthly salary: the lowest grade
// greater than or equal to salary, or the top grade when salary is above
// it. It returns 0 for an empty table.
func (g *GradeTable) GradeFor(salary int) int {
	return gradeFor(g.Grades, salary)
}

// gradeFor is GradeFor on a ladder.
func gradeFor(ladder []int, salary int) int {
	if len(ladder) == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(ladder, salary)
	if i == len(ladder) {
		return ladder[len(ladder)-1]
	}
	return ladder[i]
}

// TableOn returns the table in force on a date: the one with the latest
// Effective not after on. It returns nil when every table starts later. The
// result points into tables.
func TableOn(tables []GradeTable, on time.Time) *GradeTable {
	var best *GradeTable
	for i := range tables {
		t := &tables[i]
		if t.Effective.After(on) {
			continue
		}
		if best == nil || t.Effective.After(best.Effective) {
			best = t
		}
	}
	return best
}

// builtinSource is the Source of the shipped tables.
const builtinSource = "全民健康保險投保金額分級表（公開資料整理，正式上線前須與健保署公告核對）"

// ladderFrom30300 is the part of the ladder the 2025 and 2026 tables share.
var ladderFrom30300 = []int{
	30300, 31800, 33300, 34800, 36300, 38200, 40100, 42000, 43900, 45800,
	48200, 50600, 53000, 55400, 57800, 60800, 63800, 66800, 69800, 72800,
	76500, 80200, 83900, 87600, 92100, 96600, 101100, 105600, 110100, 115500,
	120900, 126300, 131700, 137100, 142500, 147900, 150000, 156400, 162800, 169200,
	175600, 182000, 189500, 197000, 204500, 212000, 219500, 228200, 236900, 245600,
	254300, 263000, 273000, 283000, 293000, 303000, 313000,
}

// Source2026 is the Source of the shipped 2026 table: the order that
// published it, and why it lists no part-time (部分工時) amounts.
//
// The table has none. Article 19 of the 全民健康保險法 sets its lower limit
// at the minimum wage (「前項投保金額分級表之下限與中央勞工主管機關公布之基本
// 工資相同」), and the bureau's premium table for employees
// (保險費負擔金額表(三)) starts at its first grade. The 17 amounts from
// 11,100 to 28,590 an earlier release shipped here, taken from an
// open-source payroll dataset, are the labour insurance table's: the
// 勞工保險投保薪資分級表 lists 11,100 and 12,540 for part-time workers paid
// below the minimum wage (its note 3) and 13,500 … 24,000 for vocational
// trainees (note 2). A table an admin loads may still list part-time
// amounts (GradeTable.PartTime); see the README.
const Source2026 = "全民健康保險投保金額分級表，衛生福利部 114 年 12 月 12 日衛部保字第1140153424號令發布，115 年 1 月 1 日起適用。" +
	"依全民健康保險法第 19 條，分級表的下限與基本工資相同，本表不列低於第一級的部分工時金額（11,100 元等金額是勞保投保薪資分級表的部分工時等級，健保不適用）。" +
	"正式上線前須與健保署公告核對。"

// Builtin returns the tables shipped with the program, oldest first: from
// 2025-01-01 (民國 114 年, 59 grades starting at 28,590) and from 2026-01-01
// (民國 115 年, 58 grades starting at 29,500). Neither lists part-time
// amounts (see Source2026). Each call returns fresh copies that the caller
// may change.
func Builtin() []GradeTable {
	return []GradeTable{
		{
			Effective: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			Grades:    append([]int{28590, 28800}, ladderFrom30300...),
			Source:    builtinSource,
		},
		{
			Effective: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Grades:    append([]int{29500}, ladderFrom30300...),
			Source:    Source2026,
		},
	}
}

// builtinTables backs the default Context.Grades; it is never changed.
var builtinTables = Builtin()

func builtinLookup(on time.Time) *GradeTable { return TableOn(builtinTables, on) }

// minParsedGrade is the smallest amount ParseTable accepts. No insured
// amount has ever been this low, so a smaller figure is almost always an
// amount written with a thousands comma ("29,500") and split in two.
const minParsedGrade = 1000

// ParseTable parses an insured-amount table typed or pasted by an
// administrator: one amount per line, or several on a line separated by
// commas (half- or full-width) or 、. Blank lines and empty items are
// ignored and full-width digits are accepted. The amounts must be whole
// numbers of at least 1,000, strictly ascending. Errors are in Traditional
// Chinese and name the line.
func ParseTable(text string) ([]int, error) {
	var grades []int
	for n, line := range strings.Split(text, "\n") {
		items := strings.FieldsFunc(line, func(r rune) bool {
			return r == ',' || r == '，' || r == '、'
		})
		for _, item := range items {
			item = strings.TrimSpace(fullWidthDigits(item))
			if item == "" {
				continue
			}
			if !allDigits(item) {
				return nil, fmt.Errorf("第 %d 行的「%s」不是正整數，請只填數字（不要加「元」或小數點）", n+1, item)
			}
			amount, err := strconv.Atoi(item)
			if err != nil {
				return nil, fmt.Errorf("第 %d 行的「%s」數字太大", n+1, item)
			}
			if amount == 0 {
				return nil, fmt.Errorf("第 %d 行的金額是 0，投保金額必須大於 0", n+1)
			}
			if amount < minParsedGrade {
				return nil, fmt.Errorf("第 %d 行的 %d 太小（投保金額至少 %d 元）；如果金額寫了千分位逗號（例如 29,500），請把逗號去掉", n+1, amount, minParsedGrade)
			}
			if k := len(grades); k > 0 {
				switch prev := grades[k-1]; {
				case amount == prev:
					return nil, fmt.Errorf("第 %d 行的 %d 重複了", n+1, amount)
				case amount < prev:
					return nil, fmt.Errorf("第 %d 行的 %d 比前一個金額 %d 小，金額須由小到大排列", n+1, amount, prev)
				}
			}
			grades = append(grades, amount)
		}
	}
	if len(grades) == 0 {
		return nil, fmt.Errorf("沒有任何投保金額，請每行填一個金額，或用逗號分隔")
	}
	return grades, nil
}

// ParsePartTime parses the part-time amounts of a table as ParseTable
// does, for a table whose lowest grade is firstGrade: empty text means the
// table has none (nil, no error); every amount must be below firstGrade.
// Errors are in Traditional Chinese.
func ParsePartTime(text string, firstGrade int) ([]int, error) {
	if strings.TrimSpace(strings.NewReplacer(",", "", "，", "", "、", "").Replace(text)) == "" {
		return nil, nil
	}
	amounts, err := ParseTable(text)
	if err != nil {
		return nil, err
	}
	if top := amounts[len(amounts)-1]; firstGrade > 0 && top >= firstGrade {
		return nil, fmt.Errorf("部分工時的金額 %d 不低於全時人員的最低一級 %d 元；部分工時的金額都必須低於最低一級，請確認沒有把全時的級距貼到這一欄", top, firstGrade)
	}
	return amounts, nil
}

// fullWidthDigits maps the full-width digits ０–９ to ASCII.
func fullWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
