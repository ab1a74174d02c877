package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/twid"
)

// axeTags are the rule sets the accessibility test runs: WCAG 2.0 and 2.1,
// levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// notPages are the GET routes the accessibility test does not open, and why.
var notPages = map[string]string{
	"/healthz":                      "JSON for the load balancer",
	"/readyz":                       "JSON for the load balancer",
	"/metrics":                      "Prometheus text",
	"/static/:name":                 "scripts, styles and images",
	"/environment/downloads/:name":  "an installer download",
	"/portal/filings/template.csv":  "a CSV download",
	"/portal/filings/template.xlsx": "an Excel download",
	"/portal/filings/export":        "a CSV download",
	"/portal/roster/export":         "a CSV download",
	"/console/work":                 "an HTMX fragment the 工作台 polls (a plain GET redirects to /console, checked)",
	"/console/nightly":              "an HTMX fragment /console/grades polls (a plain GET redirects there, checked)",
	"/portal/documents/:did":        "the uploaded PDF itself",
	"/console/documents/:did":       "the uploaded PDF itself",
	"/address/townships":            "<option> fragments, checked inside the address forms",
	"/address/villages":             "<option> fragments, checked inside the address forms",
}

// axeAllowed lists violations the test accepts, by rule and route, with the
// reason. Keep it short.
var axeAllowed = map[string]string{}

// axeViolation is one failed axe rule on a page.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeSource is axe-core's axe.min.js, vendored under testdata/axe.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runAxe injects axe into the current page and returns its violations.
func runAxe(ctx context.Context, src string) ([]axeViolation, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
		return nil, fmt.Errorf("inject axe: %w", err)
	}
	tags, _ := json.Marshal(axeTags)
	js := fmt.Sprintf(`axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))`,
		tags)
	return chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](js, chromedp.EvalAwaitPromise))
}

// axeWhenLoaded waits until the page and htmx have loaded and the page's
// own first requests (address lists, card agent) are done, then runs axe.
// A page that replaces itself while loading is waited for again.
func axeWhenLoaded(ctx context.Context, src string) ([]axeViolation, error) {
	var last error
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		ready, err := chromedp.Run(actx, chromedp.Evaluate[bool](`!!(window.htmx && document.readyState === "complete" && !document.querySelector(".htmx-request"))`))
		if err == nil && ready {
			var vs []axeViolation
			vs, err = runAxe(actx, src)
			if err == nil {
				cancel()
				return vs, nil
			}
		}
		cancel()
		last = err
	}
	return nil, fmt.Errorf("the page did not settle: %v", last)
}

// getRoutes reads the GET routes of handlers/routes.go.
func getRoutes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "handlers", "routes.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`"GET", "([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1])
	}
	return out
}

// firstLink returns the first link on the page at list whose href matches
// re, e.g. the first case in the case queue.
func firstLink(ctx context.Context, base, list string, re *regexp.Regexp) (string, error) {
	if err := chromedp.Do(ctx, chromedp.Navigate(base+list)); err != nil {
		return "", err
	}
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main a[href]")].map(a => a.getAttribute("href"))`))
	if err != nil {
		return "", err
	}
	for _, h := range hrefs {
		if re.MatchString(h) {
			return h, nil
		}
	}
	return "", fmt.Errorf("no link matching %s on %s", re, list)
}

// axeGroup is a set of routes opened by one kind of user. Paths are route
// patterns; resolve turns those with parameters into real paths.
type axeGroup struct {
	who     string
	login   func(t *testing.T, ctx context.Context, base string)
	routes  []string
	resolve map[string]func(ctx context.Context, base string) (string, error)
	before  func(t *testing.T, ctx context.Context, base string) // setup after login
	after   func(t *testing.T, ctx context.Context, base string) // leaves data for the next groups
}

// TestAxeEveryPage opens every GET page of the route table, as a user who
// may see it and with the demo data, runs axe-core on it (WCAG 2.0/2.1 A
// and AA) and fails on any violation not in axeAllowed.
func TestAxeEveryPage(t *testing.T) {
	t.Parallel()
	src := axeSource(t)
	srv := startServer(t)
	staff := func(user string) func(t *testing.T, ctx context.Context, base string) {
		return func(t *testing.T, ctx context.Context, base string) { loginOK(t, ctx, base, user) }
	}
	groups := []axeGroup{
		{who: "anonymous", routes: []string{"/", "/console/login", "/login", "/register", "/nhi-register", "/environment", "/demo/mailbox",
			"/services", "/announcements"}},
		{who: "unit owner", login: unitLogin,
			before: func(t *testing.T, ctx context.Context, base string) { requestAddressChange(t, ctx, base) },
			routes: []string{"/portal", "/portal/handlers", "/portal/certificate", "/portal/unit", "/portal/unit/contact",
				"/portal/requests", "/portal/requests/:rid", "/portal/filings", "/portal/error-codes", "/portal/print",
				"/portal/filings?from=abc&to=def", "/portal/print?from=abc"}, // refused queries: the error summary
			resolve: map[string]func(ctx context.Context, base string) (string, error){
				"/portal/requests/:rid": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/portal/requests", regexp.MustCompile(`^/portal/requests/[0-9]+$`))
				},
			}},
		{who: "clerk who files", login: clerkLogin, routes: []string{"/portal/filings/new", "/portal/filings/upload", "/portal/roster",
			"/portal/filings/:fid/correct"},
			before: fileInAdvance,
			resolve: map[string]func(ctx context.Context, base string) (string, error){
				"/portal/filings/:fid/correct": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/portal/filings", regexp.MustCompile(`^/portal/filings/[0-9]+/correct$`))
				},
			}},
		{who: "taipei.staff", login: staff("taipei.staff"),
			routes: []string{"/console", "/console/units", "/console/units/:id", "/console/reviews", "/console/reviews/:rid",
				"/console/cases/new", "/console/cases", "/console/cases/:cid", "/console/error-codes", "/console/grades", "/console/password",
				"/console/units/:id/roster"},
			resolve: map[string]func(ctx context.Context, base string) (string, error){
				"/console/units/:id": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/console/units?q="+demo.UnitCode(0), regexp.MustCompile(`^/console/units/[0-9]+$`))
				},
				"/console/units/:id/roster": func(ctx context.Context, base string) (string, error) {
					u, err := firstLink(ctx, base, "/console/units?q="+demo.UnitCode(0), regexp.MustCompile(`^/console/units/[0-9]+$`))
					return u + "/roster", err
				},
				"/console/reviews/:rid": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/console/reviews", regexp.MustCompile(`^/console/reviews/[0-9]+$`))
				},
				"/console/cases/:cid": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/console/cases", regexp.MustCompile(`^/console/cases/[0-9]+$`))
				},
			},
			before: func(t *testing.T, ctx context.Context, base string) { createCase(t, ctx, base) },
			after:  approveFirstReview},
		{who: "taipei.super", login: staff("taipei.super"), before: drawSample,
			routes: []string{"/console/approvals", "/console/audit", "/console/audit/:eid", "/console/stats", "/console/samples", "/console/samples/:sid",
				"/console/audit?from=115/03/02&to=115/03/01", "/console/stats?from=abc"}, // refused queries: the error summary
			resolve: map[string]func(ctx context.Context, base string) (string, error){
				"/console/audit/:eid": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/console/audit", regexp.MustCompile(`^/console/audit/[0-9]+$`))
				},
				"/console/samples/:sid": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/console/samples", regexp.MustCompile(`^/console/samples/[0-9]+$`))
				},
			}},
		{who: "hq.admin", login: staff("hq.admin"), routes: []string{"/console/staff"}},
		// The demo's announcement is head office's: its staff may edit it.
		{who: "hq.staff", login: staff("hq.staff"),
			routes: []string{"/console/announcements", "/console/announcements/new", "/console/announcements/:aid"},
			resolve: map[string]func(ctx context.Context, base string) (string, error){
				"/console/announcements/:aid": func(ctx context.Context, base string) (string, error) {
					return firstLink(ctx, base, "/console/announcements", regexp.MustCompile(`^/console/announcements/[0-9]+$`))
				},
			}},
		// Last: it assigns the demo clerk in a second unit, so that the
		// clerk's login above would ask for the unit.
		{who: "clerk of two units", routes: []string{"/login/units", "/portal/units"},
			login: func(t *testing.T, ctx context.Context, base string) {
				assignDemoClerkAlso(t, srv, 1)
				clerkLoginToPicker(t, ctx, base)
			},
			resolve: map[string]func(ctx context.Context, base string) (string, error){
				"/portal/units": func(ctx context.Context, base string) (string, error) {
					if err := chromedp.Do(ctx, chromedp.Click(`//main//form[@action="/login/units"]//button`)); err != nil {
						return "", err
					}
					_, err := waitPath(ctx, "/portal")
					return "/portal/units", err
				},
			}},
	}

	covered := map[string]bool{}
	for _, g := range groups {
		for _, r := range g.routes {
			covered[r] = true
		}
	}
	for _, r := range getRoutes(t) {
		if !covered[r] && notPages[r] == "" {
			t.Errorf("GET %s is in handlers/routes.go but neither checked by axe nor listed in notPages", r)
		}
	}

	totals := map[string]int{}
	var order []string
	for _, g := range groups {
		ctx := newBrowser(t)
		acceptDialogs(ctx)
		if g.login != nil {
			g.login(t, ctx, srv.URL)
		}
		if g.before != nil {
			g.before(t, ctx, srv.URL)
		}
		for _, route := range g.routes {
			path := route
			if f := g.resolve[route]; f != nil {
				p, err := f(ctx, srv.URL)
				if err != nil {
					t.Errorf("%s as %s: %v", route, g.who, err)
					continue
				}
				path = p
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			vs, err := axeWhenLoaded(ctx, src)
			if err != nil {
				t.Errorf("axe on %s: %v", path, err)
				continue
			}
			key := route + " (" + g.who + ")"
			order = append(order, key)
			totals[key] = len(vs)
			for _, v := range vs {
				if why := axeAllowed[v.ID+" "+route]; why != "" {
					t.Logf("%s: %s allowed: %s", path, v.ID, why)
					totals[key]--
					continue
				}
				t.Errorf("%s as %s: %s (%s): %s at %s", path, g.who, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
			}
		}
		if g.after != nil {
			g.after(t, ctx, srv.URL)
		}
	}
	sort.Strings(order)
	sum := 0
	var b strings.Builder
	for _, k := range order {
		fmt.Fprintf(&b, "\n  %-48s %d", k, totals[k])
		sum += totals[k]
	}
	t.Logf("axe violations per page (%d pages, %d in all):%s", len(order), sum, b.String())
}

// requestAddressChange has the logged-in unit ask for a change of its
// registered address, so that there is a request to open and review.
func requestAddressChange(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	pdf := proofPDF(t, "變更登記表.pdf")
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/portal/requests"),
		chromedp.WaitVisible(chromedp.ID("effective_date")),
		chromedp.SendKeys(chromedp.ID("effective_date"), "115/04/01"),
		chromedp.Click(chromedp.CSS(`input[name="change_reg"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	chooseAddress(t, ctx, "reg", "臺南市", "新化區", "𦰡拔里")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("reg_neighborhood"), "7"),
		chromedp.SendKeys(chromedp.ID("reg_street"), "中正路100號"),
		chromedp.SendKeys(chromedp.ID("contact_name"), "王大明"),
		chromedp.SendKeys(chromedp.ID("contact_phone"), "(06)590-1234"),
		chromedp.SetUploadFiles(chromedp.ID("doc1"), []string{pdf}),
		chromedp.Click(chromedp.CSS(`form[action="/portal/requests"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main h1", "審核中"); err != nil {
		t.Fatalf("after requesting the address change: %v", err)
	}
}

// createCase has the logged-in staff member record a phone case.
func createCase(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/cases/new"),
		chromedp.WaitVisible(chromedp.ID("caller_name")),
		chromedp.SendKeys(chromedp.ID("caller_name"), "王大明"),
		chromedp.SendKeys(chromedp.ID("caller_phone"), "(02)2523-2388"),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("topic"); s.value = [...s.options].find(o => o.value).value; })()`),
		chromedp.SendKeys(chromedp.ID("notes"), "詢問登入方式"),
		chromedp.Click(chromedp.CSS(`form[action="/console/cases"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(100 * time.Millisecond) {
		loc, _ := currentURL(ctx)
		if regexp.MustCompile(`/console/cases/[0-9]+$`).MatchString(loc) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after recording a case: at %s", loc)
		}
	}
}

// approveFirstReview has the logged-in staff member approve the first
// change request waiting for review: a decision for the supervisor's sample.
func approveFirstReview(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	href, err := firstLink(ctx, base, "/console/reviews", regexp.MustCompile(`^/console/reviews/[0-9]+$`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+href),
		chromedp.Click(chromedp.CSS(`form[action$="/decision"] input[value="approve"] ~ p button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "main", "審核通過"); err != nil {
		t.Fatalf("after approving %s: %v", href, err)
	}
}

// drawSample has the logged-in supervisor draw a sample of the branch's
// decisions.
func drawSample(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	step(t, ctx, "#flash", "抽出",
		chromedp.Navigate(base+"/console/samples"),
		chromedp.WaitVisible(chromedp.ID("size")),
		chromedp.Click(chromedp.CSS(`form[action="/console/samples"] button[type="submit"]`)),
	)
}

// fileInAdvance files an enrollment effective tomorrow (預辦), which the
// clerk may still correct: the correction form has a filing to open.
func fileInAdvance(t *testing.T, ctx context.Context, base string) {
	tomorrow := rocdate.FormatSlash(time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1))
	fillFiling(t, ctx, base, map[string]string{"kind": "add", "person": "insured", "sex": "M", "reason": "A1"},
		map[string]string{"insured_id": twid.MakeNationalID('A', 1, 7), "name": "林預辦", "birth": "074/06/01", "amount": "30300", "effective_date": tomorrow})
	submitFiling(t, ctx)
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatalf("filing in advance: %v", err)
	}
}
