package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/rules"
)

func TestCheckField(t *testing.T) {
	sixTwoMinor := insuredAdd(func(f *rules.Filing) { f.Category, f.Amount, f.Birth = "6-2", 0, date(2007, 1, 1) })
	tests := []struct {
		name  string
		field string
		value string
		f     rules.Filing
		want  string // substring of the message; "" for none
	}{
		{"insured ID lower case is normalised", rules.FieldInsuredID, " " + strings.ToLower(strangerID) + " ", insuredAdd(), ""},
		{"insured ID check digit", rules.FieldInsuredID, "A123456788", insuredAdd(), "檢查碼錯誤"},
		{"insured ID empty", rules.FieldInsuredID, "", insuredAdd(), "請輸入身分證號"},
		{"insured ID too short", rules.FieldInsuredID, "A12345", insuredAdd(), "格式錯誤"},
		{"insured already on the roster", rules.FieldInsuredID, insuredID, insuredAdd(), "已經在本單位投保"},
		{"withdrawal of a stranger", rules.FieldInsuredID, strangerID, insuredWithdraw(), "本單位查不到"},
		{"dependent's insured not on the roster", rules.FieldInsuredID, strangerID, dependentAdd(), "沒有在本單位投保"},

		{"dependent ID", rules.FieldDependentID, daughterID, dependentAdd(), ""},
		{"dependent ID same as insured", rules.FieldDependentID, insuredID, dependentAdd(), "和被保險人相同"},
		{"dependent ID on insured filing", rules.FieldDependentID, daughterID, insuredAdd(), "申報本人時不用填眷屬身分證號"},
		{"dependent already on the roster", rules.FieldDependentID, childID, dependentAdd(), "已經在本單位投保"},

		{"name", rules.FieldName, "王大明", insuredAdd(), ""},
		{"name blank", rules.FieldName, "\u3000", insuredAdd(), "請填寫姓名"},

		{"sex lower case", rules.FieldSex, "f", insuredAdd(), ""},
		{"sex in Chinese", rules.FieldSex, "女", insuredAdd(), ""},
		{"sex empty", rules.FieldSex, "", insuredAdd(), "請選擇性別"},
		{"sex unknown", rules.FieldSex, "X", insuredAdd(), "M（男）或 F（女）"},
		{"sex against ID", rules.FieldSex, "M", insuredAdd(), "身分證號第 2 碼表示女性"},

		{"birth", rules.FieldBirth, "84/08/20", insuredAdd(), ""},
		{"birth compact", rules.FieldBirth, "0840820", insuredAdd(), ""},
		{"birth month 13", rules.FieldBirth, "108/13/01", insuredAdd(), "日期"},
		{"birth empty", rules.FieldBirth, "", insuredAdd(), "請填寫出生日期"},
		{"birth after effective date", rules.FieldBirth, "115/03/05", dependentAdd(), "比生效日期 115/03/02 晚"},
		{"birth in the future", rules.FieldBirth, "116/01/01", dependentAdd(), "未來的日期"},
		{"child born 20 years after", rules.FieldBirth, "99/05/01", dependentAdd(), ""},
		{"child born 10 years after", rules.FieldBirth, "89/05/01", dependentAdd(), "相差不到 14 年"},
		{"6-2 insured aged 19", rules.FieldBirth, "96/01/01", sixTwoMinor, "法定代理人"},

		{"relation", rules.FieldRelation, "3", dependentAdd(), ""},
		{"relation full-width", rules.FieldRelation, "３", dependentAdd(), ""},
		{"relation empty", rules.FieldRelation, "", dependentAdd(), "請選擇眷屬稱謂"},
		{"relation unknown", rules.FieldRelation, "0", dependentAdd(), "稱謂代碼「0」不存在"},
		{"relation on insured filing", rules.FieldRelation, "1", insuredAdd(), "不用填稱謂"},
		{"relation makes a spouse a child", rules.FieldRelation, "3", dependentAdd(func(f *rules.Filing) { f.Birth = date(1992, 1, 1) }), "相差不到 14 年"},

		{"reason lower case", rules.FieldReason, "a1", insuredAdd(), ""},
		{"reason for another person", rules.FieldReason, "D1", insuredAdd(), "「隨同被保險人加保」不適用於本人加保"},
		{"reason empty", rules.FieldReason, "", insuredAdd(), "請選擇異動原因"},
		{"reason unknown", rules.FieldReason, "ZZ", insuredAdd(), "原因代碼「ZZ」不存在"},

		{"amount with comma and 元", rules.FieldAmount, "30,300 元", insuredAdd(), ""},
		{"amount not a grade", rules.FieldAmount, "30000", insuredAdd(), "月薪 30000 元應填 30300 元"},
		{"amount below minimum", rules.FieldAmount, "28800", insuredAdd(), "低於最低一級 29500 元"},
		{"amount 28800 in 2025", rules.FieldAmount, "28800", insuredAdd(func(f *rules.Filing) { f.EffectiveDate = date(2025, 12, 15) }), ""},
		{"amount missing", rules.FieldAmount, "", insuredAdd(), "請填寫投保金額"},
		{"amount on dependent", rules.FieldAmount, "30300", dependentAdd(), "眷屬不申報投保金額"},
		{"amount on withdrawal", rules.FieldAmount, "30300", insuredWithdraw(), "退保不申報投保金額"},
		{"amount on category 6", rules.FieldAmount, "30300", insuredAdd(func(f *rules.Filing) { f.Category = "6-2" }), "第 6 類被保險人不申報投保金額"},
		{"amount not a number", rules.FieldAmount, "三萬", insuredAdd(), "投保金額請填整數"},
		// The shipped tables list no part-time amounts (全民健康保險法第 19 條);
		// TestCheckFieldPartTime has a table that does.
		{"labour part-time amount, not marked", rules.FieldAmount, "12540", insuredAdd(), "低於最低一級 29500 元"},
		{"labour part-time amount, marked", rules.FieldAmount, "12540", insuredAdd(func(f *rules.Filing) { f.PartTime = true }), "部分工時人員也要以最低一級以上申報"},
		{"part-time mark with a grade", rules.FieldPartTime, "1", insuredAdd(), ""},

		{"effective date", rules.FieldEffectiveDate, "115/03/20", insuredAdd(), ""},
		{"effective date compact", rules.FieldEffectiveDate, "1150302", insuredAdd(), ""},
		{"effective date too late", rules.FieldEffectiveDate, "115/03/21", insuredAdd(), "最多只能提前 10 天申報（到 115/03/20 為止）"},
		{"effective date too old", rules.FieldEffectiveDate, "114/12/09", insuredAdd(), "最早只能追溯到 114/12/10"},
		{"effective date empty", rules.FieldEffectiveDate, "", insuredAdd(), "請填寫生效日期"},
		{"effective date before birth", rules.FieldEffectiveDate, "115/03/01", dependentAdd(func(f *rules.Filing) { f.Birth = date(2026, 3, 2) }), "比生效日期 115/03/01 晚"},
		{"effective date makes amount too low", rules.FieldEffectiveDate, "115/01/05", insuredAdd(func(f *rules.Filing) { f.Amount = 28800 }), "低於最低一級"},
		{"6-2 insured under 20 on effective date", rules.FieldEffectiveDate, "115/03/02", sixTwoMinor, "法定代理人"},

		{"unknown field", "salary", "30000", insuredAdd(), "未知的欄位"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ctx().CheckField(tc.field, tc.value, tc.f)
			if tc.want == "" {
				if got != "" {
					t.Errorf("CheckField(%q, %q) = %q, want no message", tc.field, tc.value, got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("CheckField(%q, %q) = %q, want a message containing %q", tc.field, tc.value, got, tc.want)
			}
		})
	}
}

// TestCheckFieldPartTime: under a table that lists part-time amounts, the
// amount and the 部分工時 box re-check each other.
func TestCheckFieldPartTime(t *testing.T) {
	tests := []struct {
		name, field, value string
		f                  rules.Filing
		want               string
	}{
		{"part-time amount, not marked", rules.FieldAmount, "12540", insuredAdd(), "部分工時人員的金額，只適用於標示「部分工時」的申報"},
		{"part-time amount, marked", rules.FieldAmount, "12540", insuredAdd(func(f *rules.Filing) { f.PartTime = true }), ""},
		{"part-time mark with a part-time amount", rules.FieldPartTime, "1", insuredAdd(func(f *rules.Filing) { f.Amount = 12540 }), ""},
		{"part-time mark removed", rules.FieldPartTime, "", insuredAdd(func(f *rules.Filing) { f.Amount, f.PartTime = 12540, true }), "部分工時"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ptCtx().CheckField(tc.field, tc.value, tc.f)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("CheckField(%q, %q) = %q, want %q", tc.field, tc.value, got, tc.want)
			}
		})
	}
}

func TestCheckFieldDefaultContext(t *testing.T) {
	// Without a Context there are no roster look-ups, so an employee already
	// insured is not reported, but field rules still run.
	if got := rules.CheckField(rules.FieldInsuredID, insuredID, insuredAdd()); got != "" {
		t.Errorf("CheckField(insured_id) = %q, want no message", got)
	}
	if got, want := rules.CheckField(rules.FieldName, "", insuredAdd()), "請填寫姓名"; got != want {
		t.Errorf("CheckField(name, \"\") = %q, want %q", got, want)
	}
	if got := rules.CheckField(rules.FieldAmount, "30000", insuredAdd()); !strings.Contains(got, "30300") {
		t.Errorf("CheckField(amount, 30000) = %q, want the 2026 grade 30300 suggested", got)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		field, value string
		get          func(rules.Filing) any
		want         any
	}{
		{rules.FieldInsuredID, " ａ123456789\u3000", func(f rules.Filing) any { return f.InsuredID }, "A123456789"},
		{rules.FieldDependentID, "b123456780", func(f rules.Filing) any { return f.DependentID }, "B123456780"},
		{rules.FieldName, " 王大明 ", func(f rules.Filing) any { return f.Name }, "王大明"},
		{rules.FieldSex, "m", func(f rules.Filing) any { return f.Sex }, "M"},
		{rules.FieldSex, "女", func(f rules.Filing) any { return f.Sex }, "F"},
		{rules.FieldSex, " 男 ", func(f rules.Filing) any { return f.Sex }, "M"},
		{rules.FieldBirth, "068年01月01日", func(f rules.Filing) any { return f.Birth }, date(1979, 1, 1)},
		{rules.FieldBirth, "", func(f rules.Filing) any { return f.Birth }, time.Time{}},
		{rules.FieldEffectiveDate, "115/1/5", func(f rules.Filing) any { return f.EffectiveDate }, date(2026, 1, 5)},
		{rules.FieldRelation, " ３ ", func(f rules.Filing) any { return f.Relation }, "3"},
		{rules.FieldReason, "ds", func(f rules.Filing) any { return f.Reason }, "DS"},
		{rules.FieldAmount, "３０,３００元", func(f rules.Filing) any { return f.Amount }, 30300},
		{rules.FieldAmount, "", func(f rules.Filing) any { return f.Amount }, 0},
		{rules.FieldPartTime, "1", func(f rules.Filing) any { return f.PartTime }, true},
		{rules.FieldPartTime, " 是 ", func(f rules.Filing) any { return f.PartTime }, true},
		{rules.FieldPartTime, "ｙ", func(f rules.Filing) any { return f.PartTime }, true},
		{rules.FieldPartTime, "部分工時", func(f rules.Filing) any { return f.PartTime }, true},
		{rules.FieldPartTime, "V", func(f rules.Filing) any { return f.PartTime }, true},
		{rules.FieldPartTime, "", func(f rules.Filing) any { return f.PartTime }, false},
		{rules.FieldPartTime, "否", func(f rules.Filing) any { return f.PartTime }, false},
		{rules.FieldPartTime, "n", func(f rules.Filing) any { return f.PartTime }, false},
		{rules.FieldPartTime, "0", func(f rules.Filing) any { return f.PartTime }, false},
	}
	for _, tc := range tests {
		f := insuredAdd()
		if err := f.Set(tc.field, tc.value); err != nil {
			t.Errorf("Set(%q, %q) error %q, want none", tc.field, tc.value, err)
			continue
		}
		if got := tc.get(f); got != tc.want {
			t.Errorf("Set(%q, %q) stored %v, want %v", tc.field, tc.value, got, tc.want)
		}
	}

	errTests := []struct{ field, value, want string }{
		{rules.FieldBirth, "1990/01/01", "民國"},
		{rules.FieldEffectiveDate, "abc", "日期"},
		{rules.FieldAmount, "-30300", "請填整數"},
		{rules.FieldAmount, "30300.5", "請填整數"},
		{rules.FieldPartTime, "兼職", "部分工時請填「是」"},
		{"unknown", "x", "未知的欄位"},
	}
	for _, tc := range errTests {
		f := insuredAdd()
		err := f.Set(tc.field, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Set(%q, %q) error %v, want one containing %q", tc.field, tc.value, err, tc.want)
		}
		if f != insuredAdd() {
			t.Errorf("Set(%q, %q) failed but changed the filing", tc.field, tc.value)
		}
	}
}

func TestSetNameBounded(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"at the limit", strings.Repeat("陳", 30), ""},
		{"over the limit", strings.Repeat("陳", 31), "姓名最多 30 個字"},
		{"a million characters", strings.Repeat("a", 1_000_000), "姓名最多 30 個字"},
		{"NUL", "陳\x00明", "控制字元"},
		{"right-to-left override", "陳\u202e明", "文字方向控制字元"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f rules.Filing
			err := f.Set(rules.FieldName, tc.value)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Set = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Set = %v, want a message with %q", err, tc.want)
			case tc.want != "" && f.Name != "":
				t.Errorf("a refused name was kept: %.20q", f.Name)
			}
		})
	}
}

// TestCheckFieldCodeRefusalFirst: on a field with a warning and a refusal,
// the live check names the refusal, which the clerk cannot confirm away.
func TestCheckFieldCodeRefusalFirst(t *testing.T) {
	f := rules.Filing{Kind: rules.KindAdd, Person: rules.PersonDependent, Relation: "3",
		InsuredBirth: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), EffectiveDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	ctx := rules.Context{Today: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	if code, msg := ctx.CheckFieldCode(rules.FieldBirth, "085/01/01", f); code != rules.CodeDescendantAge || msg == "" {
		t.Errorf("born 6 years after the insured: %q %q, want code 2", code, msg)
	}
	// Born after the effective date (code g) and within 14 years (code 2).
	if code, _ := ctx.CheckFieldCode(rules.FieldBirth, "116/01/01", rules.Filing{Kind: f.Kind, Person: f.Person, Relation: "3",
		InsuredBirth: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), EffectiveDate: f.EffectiveDate}); code != "g" {
		t.Errorf("born after the effective date and 6 years after the insured: code %q, want g", code)
	}
}
