// Package rules validates the filings that insured units submit for their
// employees (本人, the insured) and the employees' dependents (眷屬):
// enrollment (加保), withdrawal (退保) and insured-amount change
// (薪調／投保金額調整).
//
// Every filing is checked twice: when the unit submits it, so that a mistake
// shows at once instead of in the next day's e-mail, and again in the nightly
// batch, when the unit's roster may have changed. Both call Check, which runs
// every rule in the order of the code table and returns the codes of the
// rules that failed; an empty Result means 審核正確 (validated). Codes returns
// the code table (錯誤代碼說明): a plain-words message and how-to-fix for every
// code. The entry form checks each field while the clerk types with
// CheckField, which runs the same rule functions as Check and returns a
// detailed Traditional Chinese message.
//
// The codes 0, 2, 3 and 5 are the bureau's own; the lower-case letters are
// ours. The letters i, l and o are not used because on paper and in e-mail
// they are easily read as the digits 1 and 0.
//
// The package is pure: what it needs to know about the unit's roster and the
// insured-amount tables comes in through Context.
package rules

import "time"

// Kinds of filing (異動別).
const (
	KindAdd      = "add"      // 加保
	KindWithdraw = "withdraw" // 退保
	KindAdjust   = "adjust"   // 薪調／投保金額調整
)

// Who the filing is about (身份).
const (
	PersonInsured   = "insured"   // 本人
	PersonDependent = "dependent" // 眷屬
)

// Filing is one enrollment, withdrawal or insured-amount change as the unit
// filed it. The values are expected in the form Filing.Set stores them:
// identification numbers normalised with twid.Normalize, dates at 00:00 UTC.
type Filing struct {
	Kind      string // KindAdd, KindWithdraw or KindAdjust
	Person    string // PersonInsured or PersonDependent
	Operation string // 作業別, e.g. "health" (健保專用); not validated here

	InsuredID    string    // 員工（被保險人）身分證號 or 居留證號, required for every filing
	InsuredBirth time.Time // the insured person's birth date, used by rule 2 for dependents; zero skips rule 2
	DependentID  string    // 眷屬身分證號, required for dependent filings and empty otherwise

	Name     string    // name of the person filed for (insured or dependent)
	Sex      string    // "M" or "F", of the person filed for
	Birth    time.Time // birth date of the person filed for
	Relation string    // 稱謂 code of a dependent (see Relations); empty for the insured
	Reason   string    // reason code (see Reasons)

	Amount        int       // 投保金額 for insured filings of kind add or adjust in categories 1–3; 0 otherwise
	PartTime      bool      // 部分工時: Amount may also be one of the table's part-time amounts (GradeTable.PartTime)
	EffectiveDate time.Time // the date the change takes effect (到職、離職或調薪日)

	Category            string // 投保類別 of the insured: "1", "2", "3", "6-2" …; "" means "1"
	LegalRepresentative bool   // whether a category 6-2 insured under 20 has a legal representative (法定代理人)

	ReceivingBranch string // branch ("1".."6") that received a paper or counter filing; "" for internet filings
	UnitBranch      string // the unit's branch ("1".."6")
}

// Context is what Check needs to know beyond the filing itself. Any nil
// function turns its rules off, except Grades, which defaults to the
// built-in tables (see Builtin).
type Context struct {
	// Today is the date in Taipei at 00:00 UTC. The zero value means the
	// current date in Taipei, read from the system clock.
	Today time.Time
	// Grades returns the table in force on a date; nil when none is loaded
	// for that date.
	Grades func(on time.Time) *GradeTable
	// Insured reports whether a person (insured or dependent) is currently
	// insured by this unit: an accepted add without a later withdrawal.
	Insured func(id string) bool
	// InsuredHasInsured reports, for a dependent, whether their insured
	// person is insured by this unit or filed for in the same batch.
	InsuredHasInsured func(insuredID string) bool
}

// Code is an error code of the code table (錯誤代碼).
type Code string

// Result is the outcome of Check. No codes means 審核正確 (validated).
type Result struct {
	Codes []Code // failed rules, unique, in the order of the code table
	// Details are the filing's own messages by code, as CheckField gives
	// them: what exactly is wrong with this filing (「投保金額 11100 元是
	// 部分工時人員的金額…」), where the code table says it in general.
	Details map[Code]string
}

// OK reports whether the filing passed every rule (審核正確).
func (r Result) OK() bool { return len(r.Codes) == 0 }

// Has reports whether the result contains code c.
func (r Result) Has(c Code) bool {
	for _, got := range r.Codes {
		if got == c {
			return true
		}
	}
	return false
}

// Without returns r without code c.
func (r Result) Without(c Code) Result {
	out := Result{}
	for _, got := range r.Codes {
		if got != c {
			out.Codes = append(out.Codes, got)
			if d, ok := r.Details[got]; ok {
				if out.Details == nil {
					out.Details = map[Code]string{}
				}
				out.Details[got] = d
			}
		}
	}
	return out
}

// CodeDescendantAge is code 2: a child, grandchild or great-grandchild born
// less than 14 years after the insured. Adopted children and stepchildren
// can be, so it is a warning the clerk confirms with a reason, not a
// refusal; every other code refuses the filing.
const CodeDescendantAge Code = "2"

// Warning reports whether c warns rather than refuses: the clerk may file
// anyway by confirming it with a reason.
func Warning(c Code) bool { return c == CodeDescendantAge }

// OnlyWarnings reports whether r failed, but only on warnings.
func (r Result) OnlyWarnings() bool {
	for _, c := range r.Codes {
		if !Warning(c) {
			return false
		}
	}
	return len(r.Codes) > 0
}

// Info explains one code of the code table to the unit.
type Info struct {
	Code    Code
	Message string // 訊息內容: what is wrong, in plain words
	Fix     string // how the unit can fix it
	// Detail is, where the Info explains a code that a filing raised, that
	// filing's own message (Result.Details); "" in the code table.
	Detail string
}

// Check runs every rule on f, in the order of the code table, and returns
// the codes of the rules that failed.
func Check(f Filing, ctx Context) Result {
	e := ctx.env()
	var res Result
	for i := range table {
		if msg := table[i].check(&f, &e); msg != "" {
			if res.Details == nil {
				res.Details = map[Code]string{}
			}
			res.Codes = append(res.Codes, table[i].Code)
			res.Details[table[i].Code] = msg
		}
	}
	return res
}

// Codes returns the code table (錯誤代碼說明) in order, with the default
// messages. The result is a copy; the database keeps an editable one.
func Codes() []Info {
	infos := make([]Info, len(table))
	for i := range table {
		infos[i] = table[i].Info
	}
	return infos
}

// Explain returns the default entry of the code table for c, and false when
// c is not in the table.
func Explain(c Code) (Info, bool) {
	for i := range table {
		if table[i].Code == c {
			return table[i].Info, true
		}
	}
	return Info{}, false
}

// taipei is Taiwan's time zone, fixed at UTC+8: Taiwan has not observed
// daylight saving time since 1979, and a fixed zone needs no tzdata.
var taipei = time.FixedZone("Asia/Taipei", 8*60*60)

// env is a Context with its defaults filled in.
type env struct {
	today             time.Time
	grades            func(time.Time) *GradeTable
	insured           func(string) bool
	insuredHasInsured func(string) bool
}

func (c Context) env() env {
	e := env{
		today:             c.Today,
		grades:            c.Grades,
		insured:           c.Insured,
		insuredHasInsured: c.InsuredHasInsured,
	}
	if e.today.IsZero() {
		y, m, d := time.Now().In(taipei).Date()
		e.today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if e.grades == nil {
		e.grades = builtinLookup
	}
	return e
}
