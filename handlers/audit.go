package handlers

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// Supervisors and auditors (主管與稽核): the audit log with its export,
// decision statistics, and sampling of decisions for review.

// branchNone is the domain of objects of no branch (head office's samples,
// events of the system or of head office): no branch has it, so only head
// office (domain *) reaches them.
const branchNone = "branch:none"

// auditEventDomain resolves :eid to a branch domain. An event may belong to
// two branches (the one it was recorded for and its unit's); the user's own
// is chosen when it is one of them, as the search shows both.
func (s *Server) auditEventDomain(c *fiber.Ctx, dom string) (string, error) {
	id, err := paramID(c, "eid")
	if err != nil {
		return "", err
	}
	bs, err := models.AuditEventBranches(c.UserContext(), s.Store.R(), id)
	if err != nil {
		return "", err
	}
	for _, b := range bs {
		if dom == "branch:"+b {
			return dom, nil
		}
	}
	if len(bs) > 0 {
		return "branch:" + bs[0], nil
	}
	return branchNone, nil
}

// sampleDomain resolves :sid (and :iid, which must belong to it) to the
// sample's branch domain.
func (s *Server) sampleDomain(c *fiber.Ctx, dom string) (string, error) {
	sid, err := paramID(c, "sid")
	if err != nil {
		return "", err
	}
	var iid int64
	if c.Params("iid") != "" {
		if iid, err = paramID(c, "iid"); err != nil {
			return "", err
		}
	}
	b, err := models.SampleBranch(c.UserContext(), s.Store.R(), sid, iid)
	if err != nil {
		return "", err
	}
	if b == nil {
		return branchNone, nil
	}
	return "branch:" + *b, nil
}

// actionName is the Chinese name of an audit action, as the action
// template func shows it.
func actionName(a string) string { return models.AuditActionLabel(a) }

// auditActions are the actions the search offers: every registered one, in
// code order so that they group by object.
func auditActions(selected string) []ActionOption {
	var out []ActionOption
	for _, a := range models.AuditActions() {
		out = append(out, ActionOption{Code: a.Code, Name: a.Label, Selected: a.Code == selected})
	}
	return out
}

// ActionOption is one entry of the action select. Its name and whether it
// is selected are worked out here, not by two template function calls
// (through reflection) for each of the 72 options of every page.
type ActionOption struct {
	Code, Name string
	Selected   bool
}

// AuditForm is the audit log search as typed: it refills the form and
// becomes the export's hidden fields and the pages' URLs.
type AuditForm struct {
	ActorKind, Actor, Unit, Action, From, To, Reason string
}

const auditFieldMax = 100 // characters per text field

// readAuditForm reads the search from query or form values (get), copying
// them out of Fiber's request buffers.
func readAuditForm(get func(key string, def ...string) string) AuditForm {
	v := func(k string) string {
		s := strings.TrimSpace(get(k))
		if utf8.RuneCountInString(s) > 2*auditFieldMax {
			s = string([]rune(s)[:2*auditFieldMax])
		}
		return strings.Clone(s)
	}
	return AuditForm{ActorKind: v("actor_kind"), Actor: v("actor"), Unit: v("unit"), Action: v("action"),
		From: v("from"), To: v("to"), Reason: v("reason")}
}

// Values are the form's non-empty fields.
func (f AuditForm) Values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actor_kind": f.ActorKind, "actor": f.Actor, "unit": f.Unit, "action": f.Action,
		"from": f.From, "to": f.To, "reason": f.Reason} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

var reUnitCode = regexp.MustCompile(`^[0-9]{9}$`)

// filter checks the form and returns the search, or messages per field.
func (f AuditForm) filter() (models.AuditFilter, map[string]string) {
	errs := map[string]string{}
	out := models.AuditFilter{Actor: f.Actor, Reason: f.Reason}
	if f.ActorKind != "" {
		ok := false
		for _, k := range models.ActorKinds {
			ok = ok || k == f.ActorKind
		}
		if ok {
			out.ActorKind = f.ActorKind
		} else {
			errs["actor_kind"] = "請從清單選擇執行者類別。"
		}
	}
	for field, v := range map[string]string{"actor": f.Actor, "reason": f.Reason} {
		if utf8.RuneCountInString(v) > auditFieldMax {
			errs[field] = "最多 " + strconv.Itoa(auditFieldMax) + " 個字。"
		}
	}
	if f.Unit != "" {
		if code := twid.Normalize(f.Unit); reUnitCode.MatchString(code) {
			out.UnitCode = code
		} else {
			errs["unit"] = "投保單位代號為 9 位數字。"
		}
	}
	if f.Action != "" {
		if _, ok := models.AuditActionOf(f.Action); ok {
			out.Action = f.Action
		} else {
			errs["action"] = "請從清單選擇動作。"
		}
	}
	for field, v := range map[string]string{"from": f.From, "to": f.To} {
		if v == "" {
			continue
		}
		d, err := rocdate.Parse(v)
		if err != nil {
			errs[field] = err.Error()
			continue
		}
		if field == "from" {
			out.From = d
		} else {
			out.To = d
		}
	}
	if !out.From.IsZero() && !out.To.IsZero() && out.To.Before(out.From) {
		errs["to"] = "結束日期不可早於開始日期。"
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// AuditDiff is an event's before and after, side by side: key by key when
// both are JSON objects (or absent), else the raw texts.
type AuditDiff struct {
	Rows          []AuditDiffRow
	Raw           bool
	Before, After string // the raw texts, when Raw
	Changed       int
}

// AuditDiffRow is one key of the before and after objects.
type AuditDiffRow struct {
	Key               string
	Label             string // the key's Chinese name, or the key
	Before, After     string // as shown
	InBefore, InAfter bool
	Changed           bool // added, removed, or a different value
}

// diffJSON compares the before and after JSON of an event. Values are shown
// as text (strings unquoted, anything else as compact JSON); html/template
// escapes them.
func diffJSON(before, after string) AuditDiff {
	b, okB := jsonObject(before)
	a, okA := jsonObject(after)
	if !okB || !okA {
		return AuditDiff{Raw: true, Before: before, After: after, Changed: btoi(before != after)}
	}
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var d AuditDiff
	for k := range keys {
		r := AuditDiffRow{Key: k, Label: models.AuditFieldLabel(k)}
		var cb, ca string // canonical JSON, to compare
		if v, ok := b[k]; ok {
			r.InBefore = true
			r.Before, cb = showJSON(v)
			r.Before = showField(k, r.Before)
		}
		if v, ok := a[k]; ok {
			r.InAfter = true
			r.After, ca = showJSON(v)
			r.After = showField(k, r.After)
		}
		r.Changed = !r.InBefore || !r.InAfter || cb != ca
		if r.Changed {
			d.Changed++
		}
		d.Rows = append(d.Rows, r)
	}
	sort.Slice(d.Rows, func(i, j int) bool { return d.Rows[i].Key < d.Rows[j].Key })
	return d
}

// showField words a value as the bureau reads it: dates in the ROC
// calendar, moments in Taipei time, waits in days, hours and minutes.
// Anything else is shown as it is.
func showField(key, shown string) string {
	if key == "waited_seconds" {
		if n, err := strconv.ParseFloat(shown, 64); err == nil && n >= 0 {
			return waitText(int64(n))
		}
		return shown
	}
	if t, err := time.Parse(time.DateOnly, shown); err == nil {
		return rocdate.Format(t)
	}
	if t, err := time.Parse(time.RFC3339Nano, shown); err == nil {
		t = t.In(models.Taipei())
		return rocdate.FormatSlash(t) + " " + t.Format("15:04")
	}
	return shown
}

// waitText words a wait of secs seconds: 2 天 3 小時 5 分, or 40 秒 when under
// a minute.
func waitText(secs int64) string {
	if secs < 60 {
		return strconv.FormatInt(secs, 10) + " 秒"
	}
	d, h, m := secs/86400, secs%86400/3600, secs%3600/60
	var parts []string
	if d > 0 {
		parts = append(parts, strconv.FormatInt(d, 10)+" 天")
	}
	if h > 0 {
		parts = append(parts, strconv.FormatInt(h, 10)+" 小時")
	}
	if m > 0 || len(parts) == 0 {
		parts = append(parts, strconv.FormatInt(m, 10)+" 分")
	}
	return strings.Join(parts, " ")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonObject parses a JSON object; "" is an absent side (ok, nil). Anything
// but an object (null, an array, a number, broken JSON) is not ok.
func jsonObject(s string) (map[string]json.RawMessage, bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, true
	}
	if !strings.HasPrefix(t, "{") {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(t), &m); err != nil {
		return nil, false
	}
	return m, true
}

// showJSON returns a value as shown (a string without quotes) and in a
// canonical form (object keys sorted, numbers as written) for comparison.
func showJSON(raw json.RawMessage) (shown, canonical string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw), string(raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // html/template escapes; keep <, > and & readable
	if err := enc.Encode(v); err != nil {
		return string(raw), string(raw)
	}
	canonical = strings.TrimSuffix(buf.String(), "\n")
	if s, ok := v.(string); ok {
		return s, canonical
	}
	return canonical, canonical
}
