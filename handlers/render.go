package handlers

import (
	"fmt"
	"html/template"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// Page is the part of every view model that the layouts read.
type Page struct {
	Title   string
	User    *Principal
	CSRF    string
	Flash   string
	Nav     string // the menu item to mark as current
	Layout  string // console, portal or public
	Path    string
	Version string
	Agent   *AgentInfo // set on pages that use the card agent
	// Can says which menu entries the user may open, "object.action" → true.
	Can map[string]bool
	// SessionIdle and SessionLeft (seconds) tell the time-out warning the
	// idle limit and how long the session lasts from this page.
	SessionIdle, SessionLeft int
}

// P is the page itself, for the layouts. A field of Page read through a
// view model that embeds it costs text/template a search of the embedded
// fields (reflect's FieldByNameFunc, with a map and slices) at each use,
// some forty per page; through P it is a direct field.
func (p Page) P() Page { return p }

// menuRights are the policy questions the menus ask, per layout.
var menuRights = map[string][][2]string{
	"portal": {
		{"unit_clerk", "list"}, {"unit_certificate", "read"}, {"unit_profile", "read"}, {"unit_profile", "update"},
		{"change_request", "list"}, {"filing", "list"}, {"filing", "create"}, {"error_code", "read"}, {"filing", "print"},
		{"insured_roster", "list"}, {"filing", "correct"},
	},
	"console": {
		{"case", "list"}, {"change_review", "list"}, {"approval", "list"}, {"audit_log", "read"}, {"decision_stats", "read"},
		{"sample", "list"}, {"code_table", "read"}, {"grade_table", "read"}, {"staff_account", "list"}, {"announcement", "list"},
		{"insured_roster", "read"},
	},
}

// AgentInfo tells a page's script where the card agent is.
type AgentInfo struct {
	URL        string
	MinVersion string
	Simulated  bool // the demo's simulated reader (模擬讀卡機)
}

// page builds the common view model, taking the flash message once.
func (s *Server) page(c *fiber.Ctx, title, nav string) Page {
	p := principal(c)
	layout := "public"
	switch {
	case p.IsStaff():
		layout = "console"
	case p.IsUnit():
		layout = "portal"
	}
	pg := Page{Title: title, User: p, CSRF: p.CSRF(), Nav: nav, Layout: layout, Path: c.Path(), Version: s.Version}
	if p.LoggedIn() {
		pg.SessionIdle, pg.SessionLeft = int(s.Store.SessionIdle.Seconds()), s.sessionLeft(p)
	}
	if rights := menuRights[layout]; rights != nil {
		pg.Can = map[string]bool{}
		for _, r := range rights {
			pg.Can[r[0]+"."+r[1]] = s.may(c, r[0], r[1])
		}
	}
	if f := c.Cookies("mc_flash"); f != "" {
		if msg, err := url.QueryUnescape(f); err == nil && len(msg) < 500 {
			pg.Flash = msg
		}
		c.Cookie(&fiber.Cookie{Name: "mc_flash", Value: "", Path: "/", MaxAge: -1, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	return pg
}

// flash leaves a message for the next page the user sees.
func (s *Server) flash(c *fiber.Ctx, msg string) {
	c.Cookie(&fiber.Cookie{Name: "mc_flash", Value: url.QueryEscape(msg), Path: "/", HTTPOnly: true,
		Secure: s.secure(c), SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(time.Minute)})
}

func isHTMX(c *fiber.Ctx) bool    { return c.Get("HX-Request") == "true" }
func isBoosted(c *fiber.Ctx) bool { return c.Get("HX-Boosted") == "true" }

// render answers with the full page name, or, for an HTMX request that is
// not a boosted navigation, only its content block (name_content).
// Templates are rendered without the engine's layout feature, which takes an
// exclusive lock per render; the pages include their layout's top and bottom.
func (s *Server) render(c *fiber.Ctx, status int, name string, vm any) error {
	c.Vary("HX-Request")
	if isHTMX(c) && !isBoosted(c) {
		name += "_content"
	}
	return c.Status(status).Render(name, vm)
}

// redirect sends the browser to url after a successful POST: a 303 for a
// form, HX-Redirect for HTMX.
func redirect(c *fiber.Ctx, url string) error {
	if isHTMX(c) {
		c.Set("HX-Redirect", url)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

// labels translate stored codes into the words the bureau uses.
var labels = map[string]string{
	"unit.active":          "正常",
	"unit.closed":          "暫時關閉",
	"reg.business_cert":    "單位憑證",
	"reg.nhi_card":         "負責人健保卡",
	"account.active":       "使用中",
	"account.deregistered": "已註銷",
	"clerk.active":         "有效",
	"clerk.revoked":        "已刪除",
	"card.citizen_cert":    "自然人憑證",
	"card.nhi_card":        "健保卡",
	"role.staff":           "業務承辦人",
	"role.supervisor":      "主管",
	"role.auditor":         "稽核人員",
	"role.admin":           "系統管理員",
	"role.unit_owner":      "投保單位（單位帳號）",
	"role.clerk":           "單位承辦人",
	"role.clerk_filer":     "單位承辦人（可申報）",
	"role.handler":         "單位承辦人", // events before migration 16
	"role.handler_filer":   "單位承辦人（可申報）",
	"filing.validated":     "審核正確",
	"filing.error":         "檢核錯誤",
	"age.adopted":          "養子女",
	"age.step":             "繼子女",
	"age.other":            "其他",
	"kind.add":             "加保",
	"kind.withdraw":        "退保",
	"kind.adjust":          "投保金額調整",
	"person.insured":       "本人",
	"person.dependent":     "眷屬",
	"op.health":            "健保專用",
	"source.web":           "網路申報",
	"source.upload":        "媒體申報",
	"sex.M":                "男",
	"sex.F":                "女",
	"request.pending":      "審核中",
	"request.approved":     "審核通過",
	"request.rejected":     "未通過",
	"request.cancelled":    "已取消",
	"actor.system":         "系統",
	"actor.anonymous":      "未登入者",
	"actor.staff":          "署內人員",
	"actor.unit":           "投保單位",
	"actor.clerk":          "單位承辦人",
	"actor.handler":        "單位承辦人", // events before migration 16
	"void.corrected":       "已補正",
	"void.withdrawn":       "已撤回",
	"void.deleted":         "已刪除（預辦）",
	"certkind.moeaca":      "工商憑證",
	"certkind.gca":         "政府憑證",
	"certkind.xca":         "組織及團體憑證",
	"certkind.hca":         "醫事憑證",
	"certkind.":            "工商憑證", // accounts made before migration 25
}

func label(kind, code string) string {
	if l, ok := labels[kind+"."+code]; ok {
		return l
	}
	return code
}

var funcs = template.FuncMap{
	"label":  label,
	"action": models.AuditActionLabel,
	"reason": models.AuditReasonLabel,
	// roc formats a date in the ROC calendar: 115 年 3 月 2 日.
	"roc": func(t any) string {
		tm, ok := toTime(t)
		if !ok {
			return ""
		}
		return rocdate.Format(tm.In(models.Taipei()))
	},
	// rocTime formats a moment as 115/03/02 09:00, Taipei time.
	"rocTime": func(t any) string {
		tm, ok := toTime(t)
		if !ok {
			return ""
		}
		tm = tm.In(models.Taipei())
		return rocdate.FormatSlash(tm) + " " + tm.Format("15:04")
	},
	"mask":       twid.Mask,
	"maskEmail":  models.MaskEmail,
	"gradeCount": gradeCount,
	"reasonName": func(code string) string {
		if r, ok := rules.FindReason(code); ok {
			return r.Name
		}
		return code
	},
	"branchName": func(code any) string {
		switch v := code.(type) {
		case string:
			return models.BranchNames[v]
		case *string:
			if v != nil {
				return models.BranchNames[*v]
			}
		}
		return "署本部"
	},
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"add": func(a, b int) int { return a + b },
	// age says how long ago t was, in days and hours.
	"age": func(t time.Time) string {
		d := time.Since(t)
		if d < time.Hour {
			return "不到 1 小時"
		}
		if d < 48*time.Hour {
			return fmt.Sprintf("%d 小時", int(d.Hours()))
		}
		return fmt.Sprintf("%d 天", int(d.Hours()/24))
	},
	"seq": func(from, to int) []int {
		var out []int
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
		return out
	},
	"address": func(a models.Address) string { return a.String() },
	// rocd formats a stored YYYY-MM-DD date as 115/03/02.
	"rocd": func(s string) string {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return s
		}
		return rocdate.FormatSlash(t)
	},
	"split": strings.Split,
	// dict builds a map for a sub-template: dict "k1" v1 "k2" v2 ….
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"join":     strings.Join,
	"printf":   fmt.Sprintf,
	"refused":  refused,
	"problems": problems,
	"static":   staticURL,
}

// Problem is one line of a form's error summary: the message and the id of
// the field it is about ("" for the form as a whole).
type Problem struct {
	Field, Message string
}

// problems lists a form's field errors for the error summary, the form's
// own message ("form") first, then the fields by name; app.js puts the
// links in the order of the fields on the page. A string is one problem
// with the form; pairs "field" "message"… name the field.
func problems(errs ...any) []Problem {
	var out []Problem
	if len(errs) == 1 {
		switch v := errs[0].(type) {
		case map[string]string:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if v[k] == "" {
					continue
				}
				if k == "form" {
					out = append([]Problem{{Message: v[k]}}, out...)
					continue
				}
				out = append(out, Problem{Field: k, Message: v[k]})
			}
			return out
		case string:
			if v != "" {
				out = append(out, Problem{Message: v})
			}
			return out
		}
	}
	for i := 0; i+1 < len(errs); i += 2 {
		f, m := fmt.Sprint(errs[i]), fmt.Sprint(errs[i+1])
		if m != "" {
			out = append(out, Problem{Field: f, Message: m})
		}
	}
	return out
}

// refused tells the layout that the page answers a refused form, so that
// its <title> starts with 「錯誤：」: a view model with a non-empty Errors
// map, Error or FileErr, or filing codes Refused.
func refused(vm any) bool {
	v := reflect.ValueOf(vm)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	for _, name := range []string{"Errors", "Error", "FileErr", "Refused"} {
		f := v.FieldByName(name)
		if !f.IsValid() {
			continue
		}
		if k := f.Kind(); (k == reflect.Map || k == reflect.String || k == reflect.Slice) && f.Len() > 0 {
			return true
		}
	}
	return false
}

func toTime(t any) (time.Time, bool) {
	switch v := t.(type) {
	case time.Time:
		return v, !v.IsZero()
	case *time.Time:
		if v == nil {
			return time.Time{}, false
		}
		return *v, !v.IsZero()
	}
	return time.Time{}, false
}
