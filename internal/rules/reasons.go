package rules

// Relations are the 稱謂 codes of dependents, as the joint 勞健保 batch files
// use them. Children, grandchildren and daughters' children (3, 5 and 7)
// are the direct descendants of rule 2.
var Relations = []struct{ Code, Name string }{
	{"1", "配偶"},
	{"2", "父母"},
	{"3", "子女"},
	{"4", "祖父母"},
	{"5", "孫子女"},
	{"6", "外祖父母"},
	{"7", "外孫子女"},
	{"8", "曾祖父母"},
	{"9", "外曾祖父母"},
}

// RelationName returns the name of a 稱謂 code, or "" when the code is
// unknown.
func RelationName(code string) string {
	for _, r := range Relations {
		if r.Code == code {
			return r.Name
		}
	}
	return ""
}

// isDescendant reports whether a 稱謂 code is a direct descendant of the
// insured: 子女, 孫子女 or 外孫子女.
func isDescendant(relation string) bool {
	return relation == "3" || relation == "5" || relation == "7"
}

// Reason is a reason (原因別) a filing can give, valid for one kind of
// filing and one person.
type Reason struct {
	Code   string
	Name   string
	Kind   string // KindAdd, KindWithdraw or KindAdjust
	Person string // PersonInsured or PersonDependent
}

// Reasons lists every reason code. The first letter tells what it is for:
//
//	A  本人加保 (insured, add)
//	D  眷屬加保 (dependent, add); DS, DP, DA, DH and DG are the conditions that
//	   let an adult child stay a dependent and reuse the letters of the
//	   bureau's 眷屬續保註記 (S 在學無業, P 禁治產, A 殘障, H 重大傷病,
//	   G 應屆畢業／退伍一年內)
//	W  本人退保或轉出 (insured, withdraw)
//	E  眷屬退保或轉出 (dependent, withdraw)
//	M  投保金額調整 (insured, adjust; "mod" in the joint batch files)
var Reasons = []Reason{
	{"A1", "到職起薪", KindAdd, PersonInsured},
	{"A2", "轉入（由其他投保單位轉入）", KindAdd, PersonInsured},
	{"A3", "復職（留職停薪期滿回到工作）", KindAdd, PersonInsured},

	{"D1", "隨同被保險人加保", KindAdd, PersonDependent},
	{"D2", "喪失被保險人身份", KindAdd, PersonDependent},
	{"D3", "結婚", KindAdd, PersonDependent},
	{"D4", "收養", KindAdd, PersonDependent},
	{"D5", "新增嬰兒", KindAdd, PersonDependent},
	{"D6", "更換所依附之被保險人", KindAdd, PersonDependent},
	{"DS", "在學無業", KindAdd, PersonDependent},
	{"DP", "禁治產", KindAdd, PersonDependent},
	{"DA", "殘障不能謀生", KindAdd, PersonDependent},
	{"DH", "重傷病無業", KindAdd, PersonDependent},
	{"DG", "應屆畢業／退伍且無職業", KindAdd, PersonDependent},

	{"W1", "離職", KindWithdraw, PersonInsured},
	{"W2", "退休", KindWithdraw, PersonInsured},
	{"W3", "停歇業", KindWithdraw, PersonInsured},
	{"W4", "退會", KindWithdraw, PersonInsured},
	{"W5", "轉換投保單位", KindWithdraw, PersonInsured},
	{"W6", "失蹤滿 6 個月", KindWithdraw, PersonInsured},
	{"W7", "死亡", KindWithdraw, PersonInsured},
	{"W8", "喪失資格", KindWithdraw, PersonInsured},

	{"E1", "隨同被保險人轉出", KindWithdraw, PersonDependent},
	{"E2", "更換所依附之被保險人", KindWithdraw, PersonDependent},
	{"E3", "失蹤滿 6 個月", KindWithdraw, PersonDependent},
	{"E4", "死亡", KindWithdraw, PersonDependent},
	{"E5", "喪失眷屬資格", KindWithdraw, PersonDependent},

	{"M1", "調整投保金額", KindAdjust, PersonInsured},
}

// FindReason returns the reason with the given code, and false when there
// is none.
func FindReason(code string) (Reason, bool) {
	for _, r := range Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}

// ReasonsFor returns the reasons valid for a kind of filing and a person,
// in the order of Reasons, for the entry form's list.
func ReasonsFor(kind, person string) []Reason {
	var rs []Reason
	for _, r := range Reasons {
		if r.Kind == kind && r.Person == person {
			rs = append(rs, r)
		}
	}
	return rs
}

// kindName and personName give the words used in messages.
func kindName(kind string) string {
	switch kind {
	case KindAdd:
		return "加保"
	case KindWithdraw:
		return "退保"
	case KindAdjust:
		return "投保金額調整"
	}
	return ""
}

func personName(person string) string {
	switch person {
	case PersonInsured:
		return "本人"
	case PersonDependent:
		return "眷屬"
	}
	return ""
}

// branchName names the bureau's branches (分區業務組) by the codes the joint
// 勞健保 files use.
func branchName(code string) string {
	switch code {
	case "1":
		return "臺北業務組"
	case "2":
		return "北區業務組"
	case "3":
		return "中區業務組"
	case "4":
		return "南區業務組"
	case "5":
		return "高屏業務組"
	case "6":
		return "東區業務組"
	}
	return "代碼「" + code + "」的業務組"
}
