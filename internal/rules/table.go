package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/twid"
)

// rule is one row of the code table with the function that checks it.
type rule struct {
	Info
	// fields are the entry-form fields whose CheckField runs this rule.
	fields []string
	// check returns "" when f passes, otherwise a detailed message for the
	// clerk. Check only looks at whether it is empty, so a rule must never
	// fail with "".
	check func(f *Filing, e *env) string
}

// info is a code table entry.
func info(code Code, message, fix string) Info { return Info{Code: code, Message: message, Fix: fix} }

// table is the code table (錯誤代碼說明) in order. Check reports codes in
// this order and Codes returns it.
var table = []rule{
	{info("0",
		"受理這筆資料的分區業務組，不是投保單位所屬的分區業務組。以紙本（OCR 掃描）、臨櫃登打或委外輸入方式送件時，須由單位所屬的分區業務組受理。",
		"請把申報資料改送投保單位所屬的分區業務組，或改用網路申報；如果單位所屬的業務組登記錯了（例如單位已經搬遷），請先辦理單位資料變更。"),
		nil, checkBranch},
	{info("2",
		"眷屬的出生日期可能有誤：子女、孫子女、外孫子女（稱謂 3、5、7）應比被保險人晚出生 14 年以上。",
		"請核對眷屬和被保險人的出生日期，以及稱謂有沒有選錯（例如把配偶選成子女），更正後重新申報；如果資料無誤（例如養子女、繼子女），可在申報畫面選擇原因確認後送出。媒體上傳不能確認，這類資料請改在申報畫面逐筆申報。"),
		[]string{FieldBirth, FieldRelation}, checkDescendantAge},
	{info("3",
		"第六類第二目的被保險人在生效日還未滿 20 歲，但沒有法定代理人。",
		"請補上法定代理人後重新申報；如果是出生日期或投保類別填錯，請更正。"),
		[]string{FieldBirth, FieldEffectiveDate}, checkMinorRepresentative},
	{info("5",
		"投保金額不是生效日當時「投保金額分級表」裡的任何一級，或那天適用的分級表還沒有建檔。",
		"請依分級表填入大於或等於員工月薪的最低一級（例如 115 年月薪 30,000 元應填 30,300 元）。已送出的資料在夜間檢核後出現代碼 5 時，請到「異動檢核後查詢」按這筆的「補正」改填正確的投保金額（原資料標示為已補正，不必也不能重新加保），或按「撤回」並說明原因；如果是分級表還沒建檔，請聯絡系統管理者。"),
		[]string{FieldAmount, FieldEffectiveDate, FieldPartTime}, checkGrade},
	{info("a",
		"異動別或身份錯誤：異動別須為加保、退保或投保金額調整，身份須為本人或眷屬；眷屬沒有投保金額，不能申報投保金額調整。",
		"請重新選擇異動別和身份。"),
		nil, checkKind},
	{info("b",
		"被保險人（員工）的身分證號或居留證號沒有填、格式不對，或檢查碼不對。",
		"請對照身分證或居留證重新輸入：共 10 碼，英文字母大寫。"),
		[]string{FieldInsuredID}, checkInsuredID},
	{info("c",
		"眷屬的身分證號或居留證號沒有填、格式不對、檢查碼不對，或和被保險人的號碼相同；申報本人時則不應填眷屬身分證號。",
		"請對照眷屬的身分證、戶口名簿或居留證重新輸入；申報本人時請把眷屬身分證號清空。"),
		[]string{FieldDependentID}, checkDependentID},
	{info("d",
		"姓名沒有填。",
		"請填入和身分證或居留證上相同的姓名。"),
		[]string{FieldName}, checkName},
	{info("e",
		"性別沒有填、填錯，或和身分證號不符（身分證號第 2 碼 1、8 是男性，2、9 是女性；舊式居留證 A、C 是男性，B、D 是女性）。",
		"請選擇正確的性別；如果性別沒錯，請檢查身分證號是不是打錯了。"),
		[]string{FieldSex}, checkSex},
	{info("f",
		"出生日期沒有填。",
		"請用民國年月日填寫，例如 108/12/11。"),
		[]string{FieldBirth}, checkBirthPresent},
	{info("g",
		"出生日期比生效日期晚，或是未來的日期。",
		"請核對出生日期和生效日期；新生兒的生效日期最早是出生當天。"),
		[]string{FieldBirth, FieldEffectiveDate}, checkBirthOrder},
	{info("h",
		"眷屬稱謂沒有填或代碼不存在；申報本人時則不應填稱謂。",
		"請選擇眷屬和被保險人的關係：1 配偶、2 父母、3 子女、4 祖父母、5 孫子女、6 外祖父母、7 外孫子女、8 曾祖父母、9 外曾祖父母。"),
		[]string{FieldRelation}, checkRelation},
	{info("j",
		"異動原因沒有填，或所選的原因不適用於這種異動別和身份（例如眷屬加保選了「到職起薪」）。",
		"請從選單中選擇符合的原因。"),
		[]string{FieldReason}, checkReason},
	{info("k",
		"投保金額沒有填。第一類到第三類被保險人加保或調整投保金額時，一定要填投保金額。",
		"請依投保金額分級表填寫，例如 115 年月薪 30,000 元應填 30,300 元。"),
		[]string{FieldAmount}, checkAmountPresent},
	{info("m",
		"這筆資料不應填投保金額：眷屬、退保，以及第四類到第六類的被保險人都不申報投保金額。",
		"請把投保金額清空後重新申報。"),
		[]string{FieldAmount}, checkAmountAbsent},
	{info("n",
		"投保金額低於生效日當時分級表的最低一級。依全民健康保險法第 19 條，分級表的最低一級就是基本工資，部分工時人員也一樣；只有分級表另列部分工時人員的投保金額時，標示「部分工時」的申報才可以填那些金額。",
		"請依員工實際薪資改填分級表中的一級，最少要填最低一級（115 年為 29,500 元）。部分工時人員薪資低於基本工資時，健保也以最低一級申報：勞保投保薪資分級表的部分工時等級（例如 11,100 元）不適用於健保。"),
		[]string{FieldAmount, FieldEffectiveDate, FieldPartTime}, checkGradeMin},
	{info("p",
		"生效日期沒有填。",
		"請填寫生效日期：加保填到職日，退保填離職日，投保金額調整填調薪日（民國年月日，例如 115/01/05）。"),
		[]string{FieldEffectiveDate}, checkEffectivePresent},
	{info("q",
		"生效日期在 3 個月以前，超過網路申報可以追溯的期間。",
		"請確認日期有沒有打錯；如果確實要追溯申報，請聯絡所屬分區業務組辦理。"),
		[]string{FieldEffectiveDate}, checkEffectiveNotTooOld},
	{info("r",
		"生效日期在 10 天以後。本系統最多可以提前 10 天申報（和勞保相同）。",
		"請在生效日前 10 天內再申報，或確認日期有沒有打錯。"),
		[]string{FieldEffectiveDate}, checkEffectiveNotTooLate},
	{info("s",
		"重複加保：這個人目前已經在本單位投保。",
		"請先查詢本單位的「投保名單」。如果是先前的加保資料有錯誤代碼（例如代碼 5），請到「異動檢核後查詢」補正或撤回那筆資料，不要重新加保；要改投保金額請申報投保金額調整；眷屬要改依附其他被保險人時，請先申報退保。"),
		[]string{fieldPersonID}, checkNotAlreadyInsured},
	{info("t",
		"本單位查不到這個人的投保資料，所以不能退保或調整投保金額。",
		"請查詢本單位的「投保名單」，確認身分證號是否正確，或這個人是不是已經退保、還沒加保；如果是先前的加保資料填錯，請到「異動檢核後查詢」補正那筆加保。"),
		[]string{fieldPersonID}, checkCurrentlyInsured},
	{info("u",
		"眷屬所依附的被保險人，目前沒有在本單位投保，也不在同一批申報的加保資料裡。",
		"請先為被保險人（員工）申報加保，或和眷屬資料同一批送出；並確認被保險人的身分證號正確。"),
		[]string{FieldInsuredID}, checkDependentHasInsured},
}

// Constants of the rules.
const (
	// descendantGap is rule 2's minimum age difference, in years, between
	// the insured and a direct descendant.
	descendantGap = 14
	// representativeAge is rule 3's age under which a category 6-2 insured
	// needs a legal representative. The bureau's rule says 20; the Civil
	// Code has set the age of majority at 18 since 2023-01-01, so confirm
	// with the bureau before changing it.
	representativeAge = 20
	// backMonths is how far back, in months, an effective date may lie.
	backMonths = 3
	// aheadDays is how far ahead an effective date may lie. The health
	// system has never allowed filing in advance; the labour insurance
	// system allows 10 days, with correction before the date, and units
	// asked for the same here.
	aheadDays = 10
)

// validKind reports whether f has a known kind and person and the
// combination exists (dependents have no insured amount to adjust).
func validKind(f *Filing) bool {
	switch f.Person {
	case PersonInsured:
		return f.Kind == KindAdd || f.Kind == KindWithdraw || f.Kind == KindAdjust
	case PersonDependent:
		return f.Kind == KindAdd || f.Kind == KindWithdraw
	}
	return false
}

// personID is the ID of the person the filing is about.
func personID(f *Filing) string {
	if f.Person == PersonDependent {
		return f.DependentID
	}
	return f.InsuredID
}

// validID reports whether id is a valid national ID or resident number.
func validID(id string) bool {
	_, err := twid.CheckPersonID(id)
	return err == nil
}

// categoryClass returns the 類 of an 投保類別 such as "6-2" ("6"); "" is
// category 1.
func categoryClass(category string) string {
	if category == "" {
		return "1"
	}
	class, _, _ := strings.Cut(category, "-")
	return class
}

// amountRequired reports whether f must carry an insured amount: insured
// filings of kind add or adjust in categories 1–3. Categories 4–6 pay a
// premium that does not depend on a salary and file no amount.
func amountRequired(f *Filing) bool {
	if f.Person != PersonInsured || (f.Kind != KindAdd && f.Kind != KindAdjust) {
		return false
	}
	switch categoryClass(f.Category) {
	case "1", "2", "3":
		return true
	}
	return false
}

// day formats a date for messages, e.g. 115/01/05.
func day(t time.Time) string { return rocdate.FormatSlash(t) }

// addMonths adds n months to t, keeping the day but clamping it to the
// length of the target month (2026-05-31 minus 3 months is 2026-02-28, not
// 2026-03-03 as time.AddDate would give).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, t.Location())
}

// addYears adds n years to a birth date. time.AddDate turns 29 February of
// a non-leap year into 1 March, which is when a person born on 29 February
// reaches an age under the Civil Code (民法第 121 條: without a matching
// day the period ends on the last day of the month).
func addYears(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) }

func checkBranch(f *Filing, _ *env) string {
	if f.ReceivingBranch == "" || f.ReceivingBranch == f.UnitBranch {
		return ""
	}
	if f.UnitBranch == "" {
		return fmt.Sprintf("這筆資料由%s受理，但投保單位沒有登記所屬的分區業務組", branchName(f.ReceivingBranch))
	}
	return fmt.Sprintf("這筆資料由%s受理，但投保單位屬於%s，須由%s受理", branchName(f.ReceivingBranch), branchName(f.UnitBranch), branchName(f.UnitBranch))
}

func checkDescendantAge(f *Filing, _ *env) string {
	if f.Person != PersonDependent || !isDescendant(f.Relation) || f.Birth.IsZero() || f.InsuredBirth.IsZero() {
		return ""
	}
	if !f.Birth.Before(addYears(f.InsuredBirth, descendantGap)) {
		return ""
	}
	return fmt.Sprintf("眷屬（%s）的出生日期 %s 和被保險人的出生日期 %s 相差不到 %d 年，請確認出生日期和稱謂", RelationName(f.Relation), day(f.Birth), day(f.InsuredBirth), descendantGap)
}

func checkMinorRepresentative(f *Filing, _ *env) string {
	if f.Person != PersonInsured || f.Kind == KindWithdraw || f.Category != "6-2" || f.LegalRepresentative {
		return ""
	}
	if f.Birth.IsZero() || f.EffectiveDate.IsZero() || !f.EffectiveDate.Before(addYears(f.Birth, representativeAge)) {
		return ""
	}
	return fmt.Sprintf("第六類第二目的被保險人在生效日 %s 還未滿 %d 歲，需要法定代理人", day(f.EffectiveDate), representativeAge)
}

// gradeTable returns the table for f's effective date, or nil when none is
// loaded (or the loaded one is empty).
func gradeTable(f *Filing, e *env) *GradeTable {
	t := e.grades(f.EffectiveDate)
	if t == nil || len(t.Grades) == 0 {
		return nil
	}
	return t
}

func checkGrade(f *Filing, e *env) string {
	if !amountRequired(f) || f.Amount <= 0 || f.EffectiveDate.IsZero() {
		return ""
	}
	t := gradeTable(f, e)
	if t == nil {
		return fmt.Sprintf("生效日 %s 適用的投保金額分級表還沒有建檔，請聯絡系統管理者", day(f.EffectiveDate))
	}
	if f.Amount < t.Lowest(f.PartTime) || t.Allows(f.Amount, f.PartTime) {
		return "" // below the lowest amount is code n
	}
	should := gradeFor(t.Ladder(f.PartTime), f.Amount)
	if f.PartTime && f.Amount < t.Min() {
		return fmt.Sprintf("%d 元不是投保金額分級表中部分工時人員的金額；月薪 %d 元應填 %d 元", f.Amount, f.Amount, should)
	}
	return fmt.Sprintf("%d 元不是投保金額分級表中的一級；月薪 %d 元應填 %d 元", f.Amount, f.Amount, should)
}

func checkKind(f *Filing, _ *env) string {
	if validKind(f) {
		return ""
	}
	if f.Person == PersonDependent && f.Kind == KindAdjust {
		return "眷屬沒有投保金額，不能申報投保金額調整"
	}
	return "請選擇異動別（加保、退保、投保金額調整）和身份（本人、眷屬）"
}

func checkInsuredID(f *Filing, _ *env) string {
	if _, err := twid.CheckPersonID(f.InsuredID); err != nil {
		return err.Error()
	}
	return ""
}

func checkDependentID(f *Filing, _ *env) string {
	if f.Person != PersonDependent {
		if f.DependentID != "" {
			return "申報本人時不用填眷屬身分證號"
		}
		return ""
	}
	if _, err := twid.CheckPersonID(f.DependentID); err != nil {
		return err.Error()
	}
	if f.DependentID == f.InsuredID {
		return "眷屬身分證號和被保險人相同，請填眷屬本人的號碼"
	}
	return ""
}

func checkName(f *Filing, _ *env) string {
	if strings.TrimSpace(f.Name) == "" {
		return "請填寫姓名"
	}
	return ""
}

// sexOfID returns the sex ("M" or "F") that a valid ID encodes in its
// second character, or "" when the ID is not valid.
// SexOfID returns the sex, M or F, that a valid personal ID (national or
// resident) states in its second character, or "" when it states none or
// the ID is not valid.
func SexOfID(id string) string { return sexOfID(id) }

func sexOfID(id string) string {
	if !validID(id) {
		return ""
	}
	switch id[1] {
	case '1', '8', 'A', 'C':
		return "M"
	case '2', '9', 'B', 'D':
		return "F"
	}
	return ""
}

func checkSex(f *Filing, _ *env) string {
	switch f.Sex {
	case "":
		return "請選擇性別"
	case "M", "F":
	default:
		return "性別請填 M（男）或 F（女）"
	}
	if s := sexOfID(personID(f)); s != "" && s != f.Sex {
		return "性別和身分證號不符：身分證號第 2 碼表示" + map[string]string{"M": "男性", "F": "女性"}[s]
	}
	return ""
}

func checkBirthPresent(f *Filing, _ *env) string {
	if f.Birth.IsZero() {
		return "請填寫出生日期（民國年月日，例如 108/12/11）"
	}
	return ""
}

func checkBirthOrder(f *Filing, e *env) string {
	switch {
	case f.Birth.IsZero():
		return ""
	case f.Birth.After(e.today):
		return fmt.Sprintf("出生日期 %s 是未來的日期", day(f.Birth))
	case !f.EffectiveDate.IsZero() && f.Birth.After(f.EffectiveDate):
		return fmt.Sprintf("出生日期 %s 比生效日期 %s 晚", day(f.Birth), day(f.EffectiveDate))
	}
	return ""
}

func checkRelation(f *Filing, _ *env) string {
	switch f.Person {
	case PersonInsured:
		if f.Relation != "" {
			return "申報本人時不用填稱謂"
		}
	case PersonDependent:
		if f.Relation == "" {
			return "請選擇眷屬稱謂"
		}
		if RelationName(f.Relation) == "" {
			return fmt.Sprintf("稱謂代碼「%s」不存在，請填 1 到 9", f.Relation)
		}
	}
	return ""
}

func checkReason(f *Filing, _ *env) string {
	if !validKind(f) {
		return "" // code a
	}
	if f.Reason == "" {
		return "請選擇異動原因"
	}
	r, ok := FindReason(f.Reason)
	if !ok {
		return fmt.Sprintf("原因代碼「%s」不存在，請從選單中選擇", f.Reason)
	}
	if r.Kind != f.Kind || r.Person != f.Person {
		return fmt.Sprintf("原因「%s」不適用於%s%s，請從選單中重新選擇", r.Name, personName(f.Person), kindName(f.Kind))
	}
	return ""
}

func checkAmountPresent(f *Filing, _ *env) string {
	if amountRequired(f) && f.Amount <= 0 {
		return "請填寫投保金額"
	}
	return ""
}

func checkAmountAbsent(f *Filing, _ *env) string {
	if !validKind(f) || amountRequired(f) || f.Amount == 0 {
		return ""
	}
	switch {
	case f.Person == PersonDependent:
		return "眷屬不申報投保金額，請把投保金額清空"
	case f.Kind == KindWithdraw:
		return "退保不申報投保金額，請把投保金額清空"
	}
	return fmt.Sprintf("第 %s 類被保險人不申報投保金額，請把投保金額清空", categoryClass(f.Category))
}

func checkGradeMin(f *Filing, e *env) string {
	if !amountRequired(f) || f.Amount <= 0 || f.EffectiveDate.IsZero() {
		return ""
	}
	t := gradeTable(f, e)
	if t == nil {
		return ""
	}
	lowest := t.Lowest(f.PartTime)
	switch {
	case f.Amount >= lowest:
		return ""
	case !f.PartTime && t.IsPartTime(f.Amount):
		return fmt.Sprintf("投保金額 %d 元是分級表中部分工時人員的金額，只適用於標示「部分工時」的申報：這位員工是部分工時人員時，請勾選「部分工時」；否則最低一級是 %d 元", f.Amount, t.Min())
	case f.PartTime && len(t.PartTime) == 0:
		return fmt.Sprintf("投保金額 %d 元低於最低一級 %d 元：健保投保金額的最低一級就是基本工資，部分工時人員也要以最低一級以上申報（生效日 %s 適用的分級表沒有部分工時人員的金額）", f.Amount, t.Min(), day(f.EffectiveDate))
	case f.PartTime:
		return fmt.Sprintf("投保金額 %d 元低於部分工時人員的最低一級 %d 元", f.Amount, lowest)
	}
	return fmt.Sprintf("投保金額 %d 元低於最低一級 %d 元", f.Amount, lowest)
}

func checkEffectivePresent(f *Filing, _ *env) string {
	if f.EffectiveDate.IsZero() {
		return "請填寫生效日期（民國年月日，例如 115/01/05）"
	}
	return ""
}

func checkEffectiveNotTooOld(f *Filing, e *env) string {
	earliest := addMonths(e.today, -backMonths)
	if f.EffectiveDate.IsZero() || !f.EffectiveDate.Before(earliest) {
		return ""
	}
	return fmt.Sprintf("生效日期 %s 已超過 %d 個月，網路申報最早只能追溯到 %s；請聯絡所屬分區業務組", day(f.EffectiveDate), backMonths, day(earliest))
}

func checkEffectiveNotTooLate(f *Filing, e *env) string {
	latest := e.today.AddDate(0, 0, aheadDays)
	if f.EffectiveDate.IsZero() || !f.EffectiveDate.After(latest) {
		return ""
	}
	return fmt.Sprintf("生效日期 %s 太晚，最多只能提前 %d 天申報（到 %s 為止）", day(f.EffectiveDate), aheadDays, day(latest))
}

func checkNotAlreadyInsured(f *Filing, e *env) string {
	id := personID(f)
	if e.insured == nil || !validKind(f) || f.Kind != KindAdd || !validID(id) || !e.insured(id) {
		return ""
	}
	return fmt.Sprintf("%s 目前已經在本單位投保，不能重複加保", twid.Mask(id))
}

func checkCurrentlyInsured(f *Filing, e *env) string {
	id := personID(f)
	if e.insured == nil || !validKind(f) || f.Kind == KindAdd || !validID(id) || e.insured(id) {
		return ""
	}
	return fmt.Sprintf("本單位查不到 %s 的投保資料，不能%s", twid.Mask(id), kindName(f.Kind))
}

func checkDependentHasInsured(f *Filing, e *env) string {
	if e.insuredHasInsured == nil || f.Person != PersonDependent || f.Kind != KindAdd || !validID(f.InsuredID) || e.insuredHasInsured(f.InsuredID) {
		return ""
	}
	return fmt.Sprintf("被保險人 %s 目前沒有在本單位投保，請先為被保險人申報加保", twid.Mask(f.InsuredID))
}
