package rules_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multicert/multicert/internal/rules"
)

// isChinese reports whether s is non-empty and contains non-ASCII text.
func isChinese(s string) bool { return s != "" && utf8.RuneCountInString(s) != len(s) }

func TestCodes(t *testing.T) {
	infos := rules.Codes()
	seen := map[rules.Code]bool{}
	for _, info := range infos {
		if seen[info.Code] {
			t.Errorf("code %q appears twice", info.Code)
		}
		seen[info.Code] = true
		if !isChinese(info.Message) {
			t.Errorf("code %q: message %q, want a Chinese message", info.Code, info.Message)
		}
		if !isChinese(info.Fix) {
			t.Errorf("code %q: fix %q, want a Chinese how-to-fix", info.Code, info.Fix)
		}
		if strings.ContainsAny(string(info.Code), "ilo") {
			t.Errorf("code %q: letters i, l and o look like 1 and 0", info.Code)
		}
		got, ok := rules.Explain(info.Code)
		if !ok || got != info {
			t.Errorf("Explain(%q) = %v, %v, want %v, true", info.Code, got, ok, info)
		}
	}
	// The bureau's codes come first, in its order.
	var first []rules.Code
	for _, info := range infos[:4] {
		first = append(first, info.Code)
	}
	if want := []rules.Code{"0", "2", "3", "5"}; !slices.Equal(first, want) {
		t.Errorf("first codes = %q, want %q", first, want)
	}
	// Every rule tested in rules_test.go is in the table, and vice versa.
	for code := range codeFields {
		if !seen[code] {
			t.Errorf("code %q is tested but not in the table", code)
		}
	}
	for _, info := range infos {
		if _, ok := codeFields[info.Code]; !ok && info.Code != "0" && info.Code != "a" {
			t.Errorf("code %q has no field in codeFields", info.Code)
		}
	}
	if _, ok := rules.Explain("x"); ok {
		t.Errorf(`Explain("x") found a code, want none`)
	}
	// Codes returns a copy.
	infos[0].Message = "changed"
	if got, _ := rules.Explain(infos[0].Code); got.Message == "changed" {
		t.Errorf("changing the result of Codes changed the table")
	}
}

func TestSeedMessagesKeepTheirMeaning(t *testing.T) {
	tests := []struct {
		code rules.Code
		want []string
	}{
		{"0", []string{"分區業務組", "受理"}},
		{"2", []string{"稱謂 3、5、7", "14"}},
		{"3", []string{"第六類第二目", "20 歲", "法定代理人"}},
		{"5", []string{"投保金額", "分級表", "建檔"}},
	}
	for _, tc := range tests {
		info, _ := rules.Explain(tc.code)
		for _, w := range tc.want {
			if !strings.Contains(info.Message, w) {
				t.Errorf("code %q message %q, want it to mention %q", tc.code, info.Message, w)
			}
		}
	}
}

func TestRelations(t *testing.T) {
	tests := []struct{ code, want string }{
		{"1", "配偶"}, {"2", "父母"}, {"3", "子女"}, {"4", "祖父母"}, {"5", "孫子女"},
		{"6", "外祖父母"}, {"7", "外孫子女"}, {"8", "曾祖父母"}, {"9", "外曾祖父母"},
		{"0", ""}, {"", ""}, {"10", ""},
	}
	for _, tc := range tests {
		if got := rules.RelationName(tc.code); got != tc.want {
			t.Errorf("RelationName(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
	if got := len(rules.Relations); got != 9 {
		t.Errorf("len(Relations) = %d, want 9", got)
	}
	// Code h's fix lists every relation for the clerk.
	h, _ := rules.Explain("h")
	for _, r := range rules.Relations {
		if want := r.Code + " " + r.Name; !strings.Contains(h.Fix, want) {
			t.Errorf("fix of code h %q, want it to list %q", h.Fix, want)
		}
	}
}

func TestReasons(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules.Reasons {
		if seen[r.Code] {
			t.Errorf("reason code %q appears twice", r.Code)
		}
		seen[r.Code] = true
		if r.Name == "" {
			t.Errorf("reason %q has no name", r.Code)
		}
		switch r.Kind + "/" + r.Person {
		case "add/insured", "add/dependent", "withdraw/insured", "withdraw/dependent", "adjust/insured":
		default:
			t.Errorf("reason %q is for %s/%s, which cannot be filed", r.Code, r.Kind, r.Person)
		}
		got, ok := rules.FindReason(r.Code)
		if !ok || got != r {
			t.Errorf("FindReason(%q) = %v, %v, want %v, true", r.Code, got, ok, r)
		}
	}
	if _, ok := rules.FindReason("Z9"); ok {
		t.Errorf(`FindReason("Z9") found a reason, want none`)
	}

	// The reasons units see in the peer system are all offered.
	tests := []struct {
		kind, person string
		want         []string
	}{
		{rules.KindAdd, rules.PersonInsured, []string{"到職起薪"}},
		{rules.KindAdd, rules.PersonDependent, []string{"隨同被保險人加保", "喪失被保險人身份", "結婚", "收養", "新增嬰兒",
			"更換所依附之被保險人", "在學無業", "禁治產", "殘障不能謀生", "重傷病無業", "應屆畢業／退伍且無職業"}},
		{rules.KindWithdraw, rules.PersonInsured, []string{"離職", "退休", "停歇業", "退會", "轉換投保單位", "失蹤滿 6 個月", "死亡", "喪失資格"}},
		{rules.KindWithdraw, rules.PersonDependent, []string{"失蹤滿 6 個月", "死亡"}},
		{rules.KindAdjust, rules.PersonInsured, []string{"調整投保金額"}},
		{rules.KindAdjust, rules.PersonDependent, nil},
	}
	for _, tc := range tests {
		var names []string
		for _, r := range rules.ReasonsFor(tc.kind, tc.person) {
			names = append(names, r.Name)
		}
		for _, w := range tc.want {
			if !slices.Contains(names, w) {
				t.Errorf("ReasonsFor(%s, %s) = %q, want it to include %q", tc.kind, tc.person, names, w)
			}
		}
		if tc.want == nil && names != nil {
			t.Errorf("ReasonsFor(%s, %s) = %q, want none", tc.kind, tc.person, names)
		}
	}
}

func TestWarnings(t *testing.T) {
	for _, info := range rules.Codes() {
		if got, want := rules.Warning(info.Code), info.Code == rules.CodeDescendantAge; got != want {
			t.Errorf("Warning(%q) = %v, want %v", info.Code, got, want)
		}
	}
	tests := []struct {
		codes []rules.Code
		want  bool
	}{
		{nil, false},
		{[]rules.Code{"2"}, true},
		{[]rules.Code{"2", "5"}, false},
		{[]rules.Code{"5"}, false},
	}
	for _, tt := range tests {
		if got := (rules.Result{Codes: tt.codes}).OnlyWarnings(); got != tt.want {
			t.Errorf("OnlyWarnings(%q) = %v, want %v", tt.codes, got, tt.want)
		}
	}
	r := rules.Result{Codes: []rules.Code{"2", "5"}}.Without("2")
	if !slices.Equal(r.Codes, []rules.Code{"5"}) {
		t.Errorf("Without(2) = %q, want [5]", r.Codes)
	}
	if !(rules.Result{Codes: []rules.Code{"2"}}).Without("2").OK() {
		t.Error("a result of code 2 alone without code 2 is not OK")
	}
}
