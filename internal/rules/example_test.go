package rules_test

import (
	"fmt"
	"time"

	"github.com/multicert/multicert/internal/rules"
)

func ExampleCheck() {
	f := rules.Filing{
		Kind:          rules.KindAdd,
		Person:        rules.PersonInsured,
		InsuredID:     "A123456789",
		Name:          "王大明",
		Sex:           "M",
		Birth:         time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC),
		Reason:        "A1",
		Amount:        30000, // not a grade: 30300 is
		EffectiveDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		UnitBranch:    "1",
	}
	res := rules.Check(f, rules.Context{Today: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)})
	for _, code := range res.Codes {
		info, _ := rules.Explain(code)
		fmt.Println(code, info.Message)
	}
	fmt.Println(rules.CheckField(rules.FieldAmount, "30000", f))
	// Output:
	// 5 投保金額不是生效日當時「投保金額分級表」裡的任何一級，或那天適用的分級表還沒有建檔。
	// 30000 元不是投保金額分級表中的一級；月薪 30000 元應填 30300 元
}

func ExampleParseTable() {
	grades, err := rules.ParseTable("29500\n30300, 31800\n31800")
	fmt.Println(grades, err)
	// Output:
	// [] 第 3 行的 31800 重複了
}
