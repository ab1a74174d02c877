package rules_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Fixed people and dates shared by the tests.
var (
	today        = date(2026, 3, 10)
	insuredID    = twid.MakeNationalID('A', 1, 1234567) // male
	insuredBirth = date(1990, 5, 1)
	childID      = twid.MakeNationalID('A', 1, 2345678) // male
	daughterID   = twid.MakeNationalID('B', 2, 3456789) // female
	strangerID   = twid.MakeNationalID('F', 2, 4567890) // female, not on the roster
	residentID   = twid.MakeResidentIDNew('C', 2, 5678901)
)

// roster is the unit's insured people in the default context: the insured
// employee and their son.
var roster = map[string]bool{insuredID: true, childID: true}

func ctx() rules.Context {
	return rules.Context{
		Today:             today,
		Insured:           func(id string) bool { return roster[id] },
		InsuredHasInsured: func(id string) bool { return roster[id] },
	}
}

// testPartTime are part-time amounts for the tests of a table that lists
// some, as an admin may load one; the shipped tables list none (全民健康保險法
// 第 19 條). They are the labour insurance table's low amounts, the list an
// earlier release shipped for 2026 by mistake.
var testPartTime = []int{11100, 12540, 13500, 15840, 16500, 17280, 17880, 19047, 20008, 21009,
	22000, 23100, 24000, 25250, 26400, 27600, 28590}

// partTimeTables are the shipped tables with testPartTime added to the
// 2026 one.
func partTimeTables() []rules.GradeTable {
	tables := rules.Builtin()
	tables[1].PartTime = slices.Clone(testPartTime)
	return tables
}

// ptCtx is ctx with partTimeTables.
func ptCtx() rules.Context {
	c := ctx()
	tables := partTimeTables()
	c.Grades = func(on time.Time) *rules.GradeTable { return rules.TableOn(tables, on) }
	return c
}

// insuredAdd returns a valid enrollment of an employee not yet insured,
// changed by mods.
func insuredAdd(mods ...func(*rules.Filing)) rules.Filing {
	f := rules.Filing{
		Kind: rules.KindAdd, Person: rules.PersonInsured, Operation: "health",
		InsuredID: strangerID, Name: "林美華", Sex: "F", Birth: date(1995, 8, 20),
		Reason: "A1", Amount: 30300, EffectiveDate: date(2026, 3, 2), UnitBranch: "1",
	}
	for _, m := range mods {
		m(&f)
	}
	return f
}

// dependentAdd returns a valid enrollment of the insured employee's
// daughter, changed by mods.
func dependentAdd(mods ...func(*rules.Filing)) rules.Filing {
	f := rules.Filing{
		Kind: rules.KindAdd, Person: rules.PersonDependent, Operation: "health",
		InsuredID: insuredID, InsuredBirth: insuredBirth, DependentID: daughterID,
		Name: "王小華", Sex: "F", Birth: date(2020, 6, 1), Relation: "3", Reason: "D1",
		EffectiveDate: date(2026, 3, 2), UnitBranch: "1",
	}
	for _, m := range mods {
		m(&f)
	}
	return f
}

// insuredWithdraw returns a valid withdrawal of the insured employee.
func insuredWithdraw(mods ...func(*rules.Filing)) rules.Filing {
	return insuredAdd(append([]func(*rules.Filing){func(f *rules.Filing) {
		f.Kind, f.InsuredID, f.Name, f.Sex, f.Birth = rules.KindWithdraw, insuredID, "王大明", "M", insuredBirth
		f.Reason, f.Amount = "W1", 0
	}}, mods...)...)
}

// insuredAdjust returns a valid insured-amount change of the employee.
func insuredAdjust(mods ...func(*rules.Filing)) rules.Filing {
	return insuredWithdraw(append([]func(*rules.Filing){func(f *rules.Filing) {
		f.Kind, f.Reason, f.Amount = rules.KindAdjust, "M1", 45800
	}}, mods...)...)
}

// dependentWithdraw returns a valid withdrawal of the employee's son.
func dependentWithdraw(mods ...func(*rules.Filing)) rules.Filing {
	return dependentAdd(append([]func(*rules.Filing){func(f *rules.Filing) {
		f.Kind, f.DependentID, f.Name, f.Sex, f.Reason = rules.KindWithdraw, childID, "王小明", "M", "E1"
	}}, mods...)...)
}

// ruleCase is one case of a rule's table test.
type ruleCase struct {
	name string
	f    rules.Filing
	ctx  rules.Context // zero: ctx()
	want bool          // whether the rule's code is reported
}

// codeFields are the form fields on which each code can be seen while
// typing; CheckField must reject at least one of them whenever Check
// reports the code.
var codeFields = map[rules.Code][]string{
	"2": {rules.FieldBirth, rules.FieldRelation},
	"3": {rules.FieldBirth, rules.FieldEffectiveDate},
	"5": {rules.FieldAmount},
	"b": {rules.FieldInsuredID},
	"c": {rules.FieldDependentID},
	"d": {rules.FieldName},
	"e": {rules.FieldSex},
	"f": {rules.FieldBirth},
	"g": {rules.FieldBirth, rules.FieldEffectiveDate},
	"h": {rules.FieldRelation},
	"j": {rules.FieldReason},
	"k": {rules.FieldAmount},
	"m": {rules.FieldAmount},
	"n": {rules.FieldAmount},
	"p": {rules.FieldEffectiveDate},
	"q": {rules.FieldEffectiveDate},
	"r": {rules.FieldEffectiveDate},
	"s": {rules.FieldInsuredID, rules.FieldDependentID},
	"t": {rules.FieldInsuredID, rules.FieldDependentID},
	"u": {rules.FieldInsuredID},
}

// fieldValue returns f's field as a clerk would type it.
func fieldValue(f rules.Filing, name string) string {
	dateText := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return rocdate.FormatSlash(t)
	}
	switch name {
	case rules.FieldInsuredID:
		return f.InsuredID
	case rules.FieldDependentID:
		return f.DependentID
	case rules.FieldName:
		return f.Name
	case rules.FieldSex:
		return f.Sex
	case rules.FieldBirth:
		return dateText(f.Birth)
	case rules.FieldRelation:
		return f.Relation
	case rules.FieldReason:
		return f.Reason
	case rules.FieldAmount:
		if f.Amount == 0 {
			return ""
		}
		return strconv.Itoa(f.Amount)
	case rules.FieldEffectiveDate:
		return dateText(f.EffectiveDate)
	case rules.FieldPartTime:
		if f.PartTime {
			return "1"
		}
	}
	return ""
}

// checkCode runs Check on every case and compares whether code is
// reported; for reported codes it also checks that CheckField rejects one
// of the code's fields.
func checkCode(t *testing.T, code rules.Code, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.ctx
			if c.Today.IsZero() {
				c = ctx()
			}
			res := rules.Check(tc.f, c)
			if got := res.Has(code); got != tc.want {
				t.Fatalf("Check().Has(%q) = %v, want %v (codes %q)", code, got, tc.want, res.Codes)
			}
			if !tc.want || len(codeFields[code]) == 0 {
				return
			}
			for _, name := range codeFields[code] {
				if msg := c.CheckField(name, fieldValue(tc.f, name), tc.f); msg != "" {
					return
				}
			}
			t.Errorf("Check reports %q but CheckField accepts every one of %q", code, codeFields[code])
		})
	}
}

func TestCheckValidFilings(t *testing.T) {
	tests := []struct {
		name string
		f    rules.Filing
	}{
		{"insured add", insuredAdd()},
		{"insured add resident", insuredAdd(func(f *rules.Filing) { f.InsuredID = residentID })},
		{"insured add category 6-2 without amount", insuredAdd(func(f *rules.Filing) { f.Category, f.Amount = "6-2", 0 })},
		{"insured add at counter of own branch", insuredAdd(func(f *rules.Filing) { f.ReceivingBranch = "1" })},
		{"insured withdraw", insuredWithdraw()},
		{"insured adjust", insuredAdjust()},
		{"dependent add", dependentAdd()},
		{"newborn added on birth day", dependentAdd(func(f *rules.Filing) { f.Birth, f.Reason = date(2026, 3, 2), "D5" })},
		{"dependent withdraw", dependentWithdraw()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.Check(tc.f, ctx())
			if !got.OK() {
				t.Errorf("Check() = %q, want 審核正確 (no codes)", got.Codes)
			}
		})
	}
}

func TestCheckCodesInTableOrder(t *testing.T) {
	tests := []struct {
		name string
		f    rules.Filing
		want []rules.Code
	}{
		{"empty filing", rules.Filing{}, []rules.Code{"a", "b", "d", "e", "f", "p"}},
		{"branch, amount and name", insuredAdd(func(f *rules.Filing) {
			f.Name, f.Amount, f.ReceivingBranch = "", 30000, "2"
		}), []rules.Code{"0", "5", "d"}},
		{"descendant too old and no reason", dependentAdd(func(f *rules.Filing) {
			f.Reason, f.Birth = "", date(2000, 5, 1)
		}), []rules.Code{"2", "j"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.Check(tc.f, ctx()).Codes
			if !slices.Equal(got, tc.want) {
				t.Errorf("Check().Codes = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckDefaultsToday(t *testing.T) {
	// With a zero Today the rules use the current date in Taipei; a filing
	// effective 30 days ago is fine, one effective a year ago is too old.
	now := time.Now().UTC()
	recent := insuredAdd(func(f *rules.Filing) { f.EffectiveDate = now.AddDate(0, 0, -30) })
	if got := rules.Check(recent, rules.Context{}); got.Has("q") || got.Has("r") {
		t.Errorf("Check(30 days ago) = %q, want neither q nor r", got.Codes)
	}
	old := insuredAdd(func(f *rules.Filing) { f.EffectiveDate = now.AddDate(-1, 0, 0) })
	if got := rules.Check(old, rules.Context{}); !got.Has("q") {
		t.Errorf("Check(a year ago) = %q, want q", got.Codes)
	}
}

func TestRule0ReceivingBranch(t *testing.T) {
	checkCode(t, "0", []ruleCase{
		{"internet filing", insuredAdd(), rules.Context{}, false},
		{"received by the unit's branch", insuredAdd(func(f *rules.Filing) { f.ReceivingBranch = "1" }), rules.Context{}, false},
		{"received by branch 2, unit in branch 1", insuredAdd(func(f *rules.Filing) { f.ReceivingBranch = "2" }), rules.Context{}, true},
		{"unit branch unknown", insuredAdd(func(f *rules.Filing) { f.ReceivingBranch, f.UnitBranch = "3", "" }), rules.Context{}, true},
	})
}

func TestRule2DescendantAge(t *testing.T) {
	birth := func(b time.Time, rel string) func(*rules.Filing) {
		return func(f *rules.Filing) { f.Birth, f.Relation = b, rel }
	}
	checkCode(t, "2", []ruleCase{
		{"child born 20 years after", dependentAdd(birth(date(2010, 5, 1), "3")), rules.Context{}, false},
		{"child born 10 years after", dependentAdd(birth(date(2000, 5, 1), "3")), rules.Context{}, true},
		{"child born exactly 14 years after", dependentAdd(birth(date(2004, 5, 1), "3")), rules.Context{}, false},
		{"child born a day short of 14 years", dependentAdd(birth(date(2004, 4, 30), "3")), rules.Context{}, true},
		{"grandchild", dependentAdd(birth(date(2000, 5, 1), "5")), rules.Context{}, true},
		{"daughter's child", dependentAdd(birth(date(2000, 5, 1), "7")), rules.Context{}, true},
		{"spouse 10 years younger", dependentAdd(birth(date(2000, 5, 1), "1")), rules.Context{}, false},
		{"parent", dependentAdd(birth(date(1960, 5, 1), "2")), rules.Context{}, false},
		{"民前: child born 10 years after", dependentAdd(birth(date(1911, 12, 31), "3"), func(f *rules.Filing) { f.InsuredBirth = date(1901, 6, 1) }), rules.Context{}, true},
		{"民前: child born 20 years after", dependentAdd(birth(date(1911, 12, 31), "3"), func(f *rules.Filing) { f.InsuredBirth = date(1891, 6, 1) }), rules.Context{}, false},
		{"insured's birth unknown", dependentAdd(birth(date(2000, 5, 1), "3"), func(f *rules.Filing) { f.InsuredBirth = time.Time{} }), rules.Context{}, false},
	})
}

func TestRule3MinorRepresentative(t *testing.T) {
	sixTwo := func(birth time.Time, rep bool) func(*rules.Filing) {
		return func(f *rules.Filing) { f.Category, f.Amount, f.Birth, f.LegalRepresentative = "6-2", 0, birth, rep }
	}
	// Effective 2026-03-02.
	checkCode(t, "3", []ruleCase{
		{"19 without representative", insuredAdd(sixTwo(date(2007, 1, 1), false)), rules.Context{}, true},
		{"19 with representative", insuredAdd(sixTwo(date(2007, 1, 1), true)), rules.Context{}, false},
		{"turns 20 on the effective date", insuredAdd(sixTwo(date(2006, 3, 2), false)), rules.Context{}, false},
		{"turns 20 the day after", insuredAdd(sixTwo(date(2006, 3, 3), false)), rules.Context{}, true},
		{"category 1 aged 19", insuredAdd(func(f *rules.Filing) { f.Birth = date(2007, 1, 1) }), rules.Context{}, false},
		{"withdrawal", insuredWithdraw(sixTwo(date(2007, 1, 1), false)), rules.Context{}, false},
	})
}

func TestRule5Grade(t *testing.T) {
	amount := func(a int, eff time.Time) func(*rules.Filing) {
		return func(f *rules.Filing) { f.Amount, f.EffectiveDate = a, eff }
	}
	noTables := rules.Context{Today: today, Grades: func(time.Time) *rules.GradeTable { return nil }}
	checkCode(t, "5", []ruleCase{
		{"30300 in 2026", insuredAdd(amount(30300, date(2026, 3, 2))), rules.Context{}, false},
		{"30000 in 2026", insuredAdd(amount(30000, date(2026, 3, 2))), rules.Context{}, true},
		{"top grade", insuredAdd(amount(313000, date(2026, 3, 2))), rules.Context{}, false},
		{"above the top grade", insuredAdd(amount(320000, date(2026, 3, 2))), rules.Context{}, true},
		{"28800 in 2025", insuredAdd(amount(28800, date(2025, 12, 31))), rules.Context{}, false},
		{"28800 in 2026 is below the minimum, code n", insuredAdd(amount(28800, date(2026, 3, 2))), rules.Context{}, false},
		{"adjust 30000", insuredAdjust(amount(30000, date(2026, 3, 2))), rules.Context{}, true},
		{"no table before 2025", insuredAdd(amount(30300, date(2024, 12, 31))), rules.Context{}, true},
		{"no table loaded", insuredAdd(), noTables, true},
		{"dependent with amount, code m", dependentAdd(amount(30000, date(2026, 3, 2))), rules.Context{}, false},
	})
}

func TestRuleAKind(t *testing.T) {
	checkCode(t, "a", []ruleCase{
		{"insured add", insuredAdd(), rules.Context{}, false},
		{"dependent withdraw", dependentWithdraw(), rules.Context{}, false},
		{"dependent adjust", dependentAdd(func(f *rules.Filing) { f.Kind = rules.KindAdjust }), rules.Context{}, true},
		{"no kind", insuredAdd(func(f *rules.Filing) { f.Kind = "" }), rules.Context{}, true},
		{"unknown person", insuredAdd(func(f *rules.Filing) { f.Person = "boss" }), rules.Context{}, true},
	})
}

func TestRuleBInsuredID(t *testing.T) {
	checkCode(t, "b", []ruleCase{
		{"national ID", insuredAdd(), rules.Context{}, false},
		{"new resident number", insuredAdd(func(f *rules.Filing) { f.InsuredID = residentID }), rules.Context{}, false},
		{"old resident number", insuredAdd(func(f *rules.Filing) { f.InsuredID, f.Sex = "AB00001231", "F" }), rules.Context{}, false},
		{"wrong check digit", insuredAdd(func(f *rules.Filing) { f.InsuredID = "A123456788" }), rules.Context{}, true},
		{"missing", insuredAdd(func(f *rules.Filing) { f.InsuredID = "" }), rules.Context{}, true},
		{"dependent filing with bad insured ID", dependentAdd(func(f *rules.Filing) { f.InsuredID = "A12345" }), rules.Context{}, true},
	})
}

func TestRuleCDependentID(t *testing.T) {
	checkCode(t, "c", []ruleCase{
		{"dependent", dependentAdd(), rules.Context{}, false},
		{"dependent missing", dependentAdd(func(f *rules.Filing) { f.DependentID = "" }), rules.Context{}, true},
		{"dependent wrong check digit", dependentAdd(func(f *rules.Filing) { f.DependentID = "A123456788" }), rules.Context{}, true},
		{"dependent same as insured", dependentAdd(func(f *rules.Filing) { f.DependentID, f.Sex = insuredID, "M" }), rules.Context{}, true},
		{"insured filing without dependent ID", insuredAdd(), rules.Context{}, false},
		{"insured filing with dependent ID", insuredAdd(func(f *rules.Filing) { f.DependentID = daughterID }), rules.Context{}, true},
	})
}

func TestRuleDName(t *testing.T) {
	checkCode(t, "d", []ruleCase{
		{"name", insuredAdd(), rules.Context{}, false},
		{"missing", insuredAdd(func(f *rules.Filing) { f.Name = "" }), rules.Context{}, true},
		{"blank", insuredAdd(func(f *rules.Filing) { f.Name = " \u3000 " }), rules.Context{}, true},
	})
}

func TestRuleESex(t *testing.T) {
	sex := func(s string) func(*rules.Filing) { return func(f *rules.Filing) { f.Sex = s } }
	checkCode(t, "e", []ruleCase{
		{"F with female ID", insuredAdd(), rules.Context{}, false},
		{"M with female ID", insuredAdd(sex("M")), rules.Context{}, true},
		{"missing", insuredAdd(sex("")), rules.Context{}, true},
		{"not M or F", insuredAdd(sex("X")), rules.Context{}, true},
		{"new resident female", insuredAdd(func(f *rules.Filing) { f.InsuredID = residentID }), rules.Context{}, false},
		{"old resident male", insuredAdd(func(f *rules.Filing) { f.InsuredID = "AC01234567" }), rules.Context{}, true},
		{"dependent checked against dependent ID", dependentAdd(sex("M")), rules.Context{}, true},
		{"dependent son", dependentAdd(func(f *rules.Filing) { f.DependentID, f.Sex = childID, "M" }), rules.Context{}, false},
		{"invalid ID is code b, not e", insuredAdd(func(f *rules.Filing) { f.InsuredID = "A123456788" }), rules.Context{}, false},
	})
}

func TestRuleFBirthPresent(t *testing.T) {
	checkCode(t, "f", []ruleCase{
		{"birth", insuredAdd(), rules.Context{}, false},
		{"missing", insuredAdd(func(f *rules.Filing) { f.Birth = time.Time{} }), rules.Context{}, true},
	})
}

func TestRuleGBirthOrder(t *testing.T) {
	birth := func(b time.Time) func(*rules.Filing) { return func(f *rules.Filing) { f.Birth = b } }
	checkCode(t, "g", []ruleCase{
		{"before effective date", dependentAdd(), rules.Context{}, false},
		{"on effective date", dependentAdd(birth(date(2026, 3, 2))), rules.Context{}, false},
		{"after effective date", dependentAdd(birth(date(2026, 3, 5))), rules.Context{}, true},
		{"in the future", dependentAdd(birth(date(2026, 3, 11)), func(f *rules.Filing) { f.EffectiveDate = date(2026, 3, 15) }), rules.Context{}, true},
		{"in the future without effective date", dependentAdd(birth(date(2027, 1, 1)), func(f *rules.Filing) { f.EffectiveDate = time.Time{} }), rules.Context{}, true},
	})
}

func TestRuleHRelation(t *testing.T) {
	rel := func(r string) func(*rules.Filing) { return func(f *rules.Filing) { f.Relation = r } }
	checkCode(t, "h", []ruleCase{
		{"child", dependentAdd(), rules.Context{}, false},
		{"great-grandparent", dependentAdd(rel("9"), func(f *rules.Filing) { f.Birth = date(1930, 1, 1) }), rules.Context{}, false},
		{"missing", dependentAdd(rel("")), rules.Context{}, true},
		{"code 0", dependentAdd(rel("0")), rules.Context{}, true},
		{"code 10", dependentAdd(rel("10")), rules.Context{}, true},
		{"insured without relation", insuredAdd(), rules.Context{}, false},
		{"insured with relation", insuredAdd(rel("1")), rules.Context{}, true},
	})
}

func TestRuleJReason(t *testing.T) {
	reason := func(r string) func(*rules.Filing) { return func(f *rules.Filing) { f.Reason = r } }
	checkCode(t, "j", []ruleCase{
		{"insured add, new hire", insuredAdd(), rules.Context{}, false},
		{"insured add, transfer in", insuredAdd(reason("A2")), rules.Context{}, false},
		{"insured add with dependent reason", insuredAdd(reason("D1")), rules.Context{}, true},
		{"missing", insuredAdd(reason("")), rules.Context{}, true},
		{"unknown", insuredAdd(reason("ZZ")), rules.Context{}, true},
		{"dependent add, newborn", dependentAdd(reason("D5")), rules.Context{}, false},
		{"dependent add, studying adult", dependentAdd(reason("DS")), rules.Context{}, false},
		{"dependent withdraw with insured reason", dependentWithdraw(reason("W1")), rules.Context{}, true},
		{"insured withdraw, death", insuredWithdraw(reason("W7")), rules.Context{}, false},
		{"insured withdraw with add reason", insuredWithdraw(reason("A1")), rules.Context{}, true},
		{"adjust", insuredAdjust(), rules.Context{}, false},
		{"dependent adjust is code a", dependentAdd(func(f *rules.Filing) { f.Kind, f.Reason = rules.KindAdjust, "M1" }), rules.Context{}, false},
	})
}

func TestRuleKAmountPresent(t *testing.T) {
	amount := func(a int) func(*rules.Filing) { return func(f *rules.Filing) { f.Amount = a } }
	checkCode(t, "k", []ruleCase{
		{"insured add", insuredAdd(), rules.Context{}, false},
		{"insured add without amount", insuredAdd(amount(0)), rules.Context{}, true},
		{"adjust without amount", insuredAdjust(amount(0)), rules.Context{}, true},
		{"category 2 without amount", insuredAdd(amount(0), func(f *rules.Filing) { f.Category = "2" }), rules.Context{}, true},
		{"category 6-2 without amount", insuredAdd(amount(0), func(f *rules.Filing) { f.Category = "6-2" }), rules.Context{}, false},
		{"withdraw without amount", insuredWithdraw(), rules.Context{}, false},
		{"dependent without amount", dependentAdd(), rules.Context{}, false},
	})
}

func TestRuleMAmountAbsent(t *testing.T) {
	amount := func(a int) func(*rules.Filing) { return func(f *rules.Filing) { f.Amount = a } }
	checkCode(t, "m", []ruleCase{
		{"insured add with amount", insuredAdd(), rules.Context{}, false},
		{"dependent with amount", dependentAdd(amount(30300)), rules.Context{}, true},
		{"withdraw with amount", insuredWithdraw(amount(30300)), rules.Context{}, true},
		{"category 6-2 with amount", insuredAdd(func(f *rules.Filing) { f.Category = "6-2" }), rules.Context{}, true},
		{"dependent without amount", dependentAdd(), rules.Context{}, false},
	})
}

func TestRuleNBelowMinimum(t *testing.T) {
	amount := func(a int, eff time.Time) func(*rules.Filing) {
		return func(f *rules.Filing) { f.Amount, f.EffectiveDate = a, eff }
	}
	checkCode(t, "n", []ruleCase{
		{"lowest grade 2026", insuredAdd(amount(29500, date(2026, 3, 2))), rules.Context{}, false},
		{"28800 in 2026", insuredAdd(amount(28800, date(2026, 3, 2))), rules.Context{}, true},
		{"28590 in 2025", insuredAdd(amount(28590, date(2025, 12, 31))), rules.Context{}, false},
		{"28000 in 2025", insuredAdd(amount(28000, date(2025, 12, 31))), rules.Context{}, true},
		{"1 dollar", insuredAdjust(amount(1, date(2026, 3, 2))), rules.Context{}, true},
		{"30000 is not a grade but above the minimum", insuredAdd(amount(30000, date(2026, 3, 2))), rules.Context{}, false},
	})
}

// TestRulesPartTimeShipped: the shipped 2026 table lists no part-time
// amounts (全民健康保險法第 19 條: its lowest grade is the minimum wage), so
// the labour insurance table's 11,100 marked 部分工時 is code n, saying
// that part-time employees too are insured at the lowest grade at least;
// the lowest grade marked 部分工時 passes.
func TestRulesPartTimeShipped(t *testing.T) {
	f := insuredAdd(func(f *rules.Filing) { f.Amount, f.PartTime = 11100, true })
	res := rules.Check(f, ctx())
	if d := res.Details["n"]; !slices.Equal(res.Codes, []rules.Code{"n"}) || !strings.Contains(d, "低於最低一級 29500 元") || !strings.Contains(d, "基本工資") {
		t.Errorf("11100 marked 部分工時 under the shipped tables: %q, %q; want code n naming 29500 and 基本工資", res.Codes, d)
	}
	f.Amount = 29500
	if res := rules.Check(f, ctx()); !res.OK() {
		t.Errorf("29500 marked 部分工時: %q, want no codes", res.Codes)
	}
}

// TestRulesPartTime: under a table that lists part-time amounts (an
// admin's; the shipped ones list none), a filing marked 部分工時 accepts
// them and the grades; any other filing only the grades, and a part-time
// amount is code n with a message that says why.
func TestRulesPartTime(t *testing.T) {
	partTime := func(a int, eff time.Time) func(*rules.Filing) {
		return func(f *rules.Filing) { f.Amount, f.EffectiveDate, f.PartTime = a, eff, true }
	}
	fullTime := func(a int, eff time.Time) func(*rules.Filing) {
		return func(f *rules.Filing) { f.Amount, f.EffectiveDate = a, eff }
	}
	mar := date(2026, 3, 2)
	tests := []struct {
		name  string
		f     rules.Filing
		codes []rules.Code
		msg   string // part of the detail of the first code
	}{
		{"part-time, lowest part-time amount", insuredAdd(partTime(11100, mar)), nil, ""},
		{"part-time, 19047", insuredAdd(partTime(19047, mar)), nil, ""},
		{"part-time, top part-time amount", insuredAdd(partTime(28590, mar)), nil, ""},
		{"part-time, a full-time grade", insuredAdd(partTime(29500, mar)), nil, ""},
		{"part-time, 45800", insuredAdd(partTime(45800, mar)), nil, ""},
		{"part-time adjust", insuredAdjust(partTime(13500, mar)), nil, ""},
		{"full-time, a part-time amount", insuredAdd(fullTime(11100, mar)), []rules.Code{"n"}, "部分工時"},
		{"full-time adjust, a part-time amount", insuredAdjust(fullTime(28590, mar)), []rules.Code{"n"}, "請勾選「部分工時」"},
		{"full-time, below the minimum, no part-time amount", insuredAdd(fullTime(12000, mar)), []rules.Code{"n"}, "低於最低一級 29500 元"},
		{"part-time, below the part-time minimum", insuredAdd(partTime(11000, mar)), []rules.Code{"n"}, "低於部分工時人員的最低一級 11100 元"},
		{"part-time, between part-time amounts", insuredAdd(partTime(12000, mar)), []rules.Code{"5"}, "應填 12540 元"},
		{"part-time, between the part-time top and the first grade", insuredAdd(partTime(29000, mar)), []rules.Code{"5"}, "應填 29500 元"},
		{"part-time, not a full-time grade", insuredAdd(partTime(30000, mar)), []rules.Code{"5"}, "應填 30300 元"},
		{"part-time in 2025, whose table has no part-time amounts", insuredAdd(partTime(11100, date(2025, 12, 31))), []rules.Code{"n"}, "沒有部分工時人員的金額"},
		{"part-time in 2025, a grade", insuredAdd(partTime(28590, date(2025, 12, 31))), nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := rules.Check(tc.f, ptCtx())
			if !slices.Equal(res.Codes, tc.codes) {
				t.Fatalf("Check() = %q, want %q", res.Codes, tc.codes)
			}
			if len(tc.codes) == 0 {
				return
			}
			if d := res.Details[tc.codes[0]]; !strings.Contains(d, tc.msg) {
				t.Errorf("detail of %s = %q, want it to contain %q", tc.codes[0], d, tc.msg)
			}
			// The form says the same while the clerk types the amount.
			if got := ptCtx().CheckField(rules.FieldAmount, strconv.Itoa(tc.f.Amount), tc.f); got != res.Details[tc.codes[0]] {
				t.Errorf("CheckField(amount) = %q, want the detail %q", got, res.Details[tc.codes[0]])
			}
		})
	}
	// Ticking the box (the form re-checks the amount) turns code n into no code.
	f := insuredAdd(fullTime(11100, mar))
	if got := ptCtx().CheckField(rules.FieldPartTime, "1", f); got != "" {
		t.Errorf("CheckField(part_time, 1) with 11100 = %q, want no message", got)
	}
	if got := ptCtx().CheckField(rules.FieldPartTime, "", f); !strings.Contains(got, "部分工時") {
		t.Errorf("CheckField(part_time, \"\") with 11100 = %q, want the 部分工時 message", got)
	}
	// The mark means nothing where no amount is filed.
	if res := rules.Check(dependentAdd(func(f *rules.Filing) { f.PartTime = true }), ptCtx()); !res.OK() {
		t.Errorf("a dependent marked 部分工時: %q, want no codes", res.Codes)
	}
}

func TestRulePEffectivePresent(t *testing.T) {
	checkCode(t, "p", []ruleCase{
		{"effective date", insuredAdd(), rules.Context{}, false},
		{"missing", insuredAdd(func(f *rules.Filing) { f.EffectiveDate = time.Time{} }), rules.Context{}, true},
	})
}

func TestRuleQEffectiveTooOld(t *testing.T) {
	eff := func(d time.Time) func(*rules.Filing) { return func(f *rules.Filing) { f.EffectiveDate = d } }
	endOfMay := rules.Context{Today: date(2026, 5, 31)}
	checkCode(t, "q", []ruleCase{
		{"exactly 3 months back", insuredWithdraw(eff(date(2025, 12, 10))), rules.Context{}, false},
		{"3 months and a day back", insuredWithdraw(eff(date(2025, 12, 9))), rules.Context{}, true},
		{"a year back", insuredAdd(eff(date(2025, 3, 10))), rules.Context{}, true},
		{"31 May minus 3 months is 28 February", insuredWithdraw(eff(date(2026, 2, 28))), endOfMay, false},
		{"27 February from 31 May", insuredWithdraw(eff(date(2026, 2, 27))), endOfMay, true},
	})
}

func TestRuleREffectiveTooLate(t *testing.T) {
	eff := func(d time.Time) func(*rules.Filing) { return func(f *rules.Filing) { f.EffectiveDate = d } }
	checkCode(t, "r", []ruleCase{
		{"today", insuredAdd(eff(today)), rules.Context{}, false},
		{"10 days ahead", insuredAdd(eff(date(2026, 3, 20))), rules.Context{}, false},
		{"11 days ahead", insuredAdd(eff(date(2026, 3, 21))), rules.Context{}, true},
	})
}

func TestRuleSDuplicateAdd(t *testing.T) {
	noRoster := rules.Context{Today: today}
	checkCode(t, "s", []ruleCase{
		{"new employee", insuredAdd(), rules.Context{}, false},
		{"employee already insured", insuredAdd(func(f *rules.Filing) { f.InsuredID, f.Sex = insuredID, "M" }), rules.Context{}, true},
		{"withdrawal of insured employee", insuredWithdraw(), rules.Context{}, false},
		{"dependent already insured", dependentAdd(func(f *rules.Filing) { f.DependentID, f.Sex = childID, "M" }), rules.Context{}, true},
		{"new dependent", dependentAdd(), rules.Context{}, false},
		{"no roster look-up", insuredAdd(func(f *rules.Filing) { f.InsuredID, f.Sex = insuredID, "M" }), noRoster, false},
	})
}

func TestRuleTNotInsured(t *testing.T) {
	noRoster := rules.Context{Today: today}
	stranger := func(f *rules.Filing) { f.InsuredID, f.Sex = strangerID, "F" }
	checkCode(t, "t", []ruleCase{
		{"withdraw insured employee", insuredWithdraw(), rules.Context{}, false},
		{"withdraw unknown person", insuredWithdraw(stranger), rules.Context{}, true},
		{"adjust unknown person", insuredAdjust(stranger), rules.Context{}, true},
		{"add unknown person", insuredAdd(), rules.Context{}, false},
		{"withdraw dependent not insured", dependentWithdraw(func(f *rules.Filing) { f.DependentID, f.Sex = daughterID, "F" }), rules.Context{}, true},
		{"withdraw insured dependent", dependentWithdraw(), rules.Context{}, false},
		{"no roster look-up", insuredWithdraw(stranger), noRoster, false},
	})
}

func TestRuleUDependentWithoutInsured(t *testing.T) {
	orphan := func(f *rules.Filing) { f.InsuredID = strangerID }
	checkCode(t, "u", []ruleCase{
		{"insured on the roster", dependentAdd(), rules.Context{}, false},
		{"insured not on the roster", dependentAdd(orphan), rules.Context{}, true},
		{"insured filed in the same batch", dependentAdd(orphan), rules.Context{
			Today:             today,
			InsuredHasInsured: func(id string) bool { return id == strangerID },
		}, false},
		{"insured filing", insuredAdd(), rules.Context{}, false},
		{"dependent withdrawal", dependentWithdraw(orphan), rules.Context{}, false},
		{"no look-up", dependentAdd(orphan), rules.Context{Today: today}, false},
	})
}

func TestResult(t *testing.T) {
	tests := []struct {
		res    rules.Result
		wantOK bool
		has    rules.Code
		want   bool
	}{
		{rules.Result{}, true, "5", false},
		{rules.Result{Codes: []rules.Code{"0", "5"}}, false, "5", true},
		{rules.Result{Codes: []rules.Code{"0"}}, false, "5", false},
	}
	for _, tc := range tests {
		if got := tc.res.OK(); got != tc.wantOK {
			t.Errorf("%v.OK() = %v, want %v", tc.res, got, tc.wantOK)
		}
		if got := tc.res.Has(tc.has); got != tc.want {
			t.Errorf("%v.Has(%q) = %v, want %v", tc.res, tc.has, got, tc.want)
		}
	}
}

func TestResultDetails(t *testing.T) {
	res := rules.Check(insuredAdd(func(f *rules.Filing) { f.Name, f.Amount = "", 30000 }), ctx())
	if !slices.Equal(res.Codes, []rules.Code{"5", "d"}) {
		t.Fatalf("codes %q, want 5 and d", res.Codes)
	}
	if res.Details["5"] == "" || res.Details["d"] != "請填寫姓名" {
		t.Errorf("details %q, want one per code", res.Details)
	}
	w := res.Without("5")
	if !slices.Equal(w.Codes, []rules.Code{"d"}) || len(w.Details) != 1 || w.Details["d"] == "" {
		t.Errorf("Without(5) = %+v, want d and its detail only", w)
	}
	if _, ok := res.Details["5"]; !ok {
		t.Error("Without changed the result it was called on")
	}
	if ok := rules.Check(insuredAdd(), ctx()); ok.Details != nil {
		t.Errorf("a valid filing has details %q", ok.Details)
	}
}

func BenchmarkCheck(b *testing.B) {
	f, c := dependentAdd(), ctx()
	b.ReportAllocs()
	for b.Loop() {
		if res := rules.Check(f, c); !res.OK() {
			b.Fatalf("Check() = %q, want no codes", res.Codes)
		}
	}
}
