package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// Keyboard journeys (issue 15.6): each task done as a person with only a
// keyboard does it, with real key events (Tab, Shift+Tab, Enter, Space,
// arrow keys, typed text) sent to whatever has focus. Nothing is clicked
// and no value is set by script: script only reads what the page shows
// (the focused element, its accessible name, its focus ring, the URL,
// text). Every control a journey stops on must show a focus indicator,
// and focus must not fall to <body> after an action that does not load a
// new page (an htmx swap, a card read, a live check).

// maxTabs bounds the Tab presses that reach one control: more means the
// control is not reachable, or is reached only after a trap or a detour.
const maxTabs = 60

// keyboard is one person at the keyboard of one browser tab.
type keyboard struct {
	t   *testing.T
	ctx context.Context
}

func keys(t *testing.T, ctx context.Context) *keyboard { return &keyboard{t: t, ctx: ctx} }

// focus is what has focus now, as the person sees and hears it.
type focus struct {
	Body    bool   `json:"body"`    // nothing focused: <body> or the document
	Desc    string `json:"desc"`    // tag#id, for messages
	Ring    bool   `json:"ring"`    // a visible outline or box-shadow
	Visible bool   `json:"visible"` // it has a size on the page
	Name    string `json:"-"`       // the accessible name (the browser's own)
	Role    string `json:"-"`       // the accessible role
}

func (f focus) String() string {
	if f.Body {
		return "<body>"
	}
	return fmt.Sprintf("%s %q (%s)", f.Role, f.Name, f.Desc)
}

const focusJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) { return {body: true}; }
	const cs = getComputedStyle(el);
	const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 1;
	const shadow = !!cs.boxShadow && cs.boxShadow !== "none";
	const r = el.getBoundingClientRect();
	return {body: false, desc: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : ""),
		ring: outline || shadow, visible: r.width > 0 && r.height > 0};
})()`

// now reads the focused element, with its accessible name and role as the
// browser's accessibility tree computes them.
func (k *keyboard) now() (focus, error) {
	var f focus
	ctx, cancel := context.WithTimeout(k.ctx, 5*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](focusJS))
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, err
	}
	if f.Body {
		return f, nil
	}
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document.activeElement"})
	if err != nil || res.Result == nil || res.Result.ObjectID == "" {
		return f, fmt.Errorf("the focused element: %v", err)
	}
	defer chromedp.Call(ctx, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: res.Result.ObjectID}) //nolint:errcheck
	no := false
	ax, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: res.Result.ObjectID, FetchRelatives: &no})
	if err != nil {
		return f, err
	}
	if len(ax.Nodes) > 0 {
		n := ax.Nodes[0]
		if n.Name != nil {
			_ = json.Unmarshal(n.Name.Value, &f.Name)
		}
		if n.Role != nil {
			_ = json.Unmarshal(n.Role.Value, &f.Role)
		}
	}
	f.Name = strings.Join(strings.Fields(f.Name), " ")
	return f, nil
}

// press sends one key (kb.Tab, kb.Enter, " ", kb.ArrowDown, …) to the
// focused element.
func (k *keyboard) press(key string, opts ...chromedp.KeyOption) {
	k.t.Helper()
	if err := chromedp.Do(k.ctx, chromedp.KeyEvent(key, opts...)); err != nil {
		k.t.Fatalf("press %q: %v", key, err)
	}
}

// typeText types text, key by key, into the focused element; with
// replace, Ctrl+A first selects what the field held, so the typing
// replaces it.
func (k *keyboard) typeText(text string, replace bool) {
	k.t.Helper()
	if replace {
		k.press("a", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	}
	if err := chromedp.Do(k.ctx, chromedp.KeyEvent(text)); err != nil {
		k.t.Fatalf("type %q: %v", text, err)
	}
}

// stop checks the control focus just reached: visible, with a focus
// indicator.
func (k *keyboard) stop(f focus) {
	k.t.Helper()
	if !f.Body && f.Visible && !f.Ring {
		k.t.Errorf("%s has focus but shows no focus indicator (outline or box-shadow)", f)
	}
}

// tabTo presses Tab (or Shift+Tab, back) until the focused control has
// the role (any when "") and the accessible name, checking the focus
// indicator of every control on the way. It fails, listing the controls
// visited, when maxTabs presses do not reach it.
func (k *keyboard) tabTo(role, name string) focus {
	k.t.Helper()
	return k.tab(role, name, false)
}

func (k *keyboard) shiftTabTo(role, name string) focus {
	k.t.Helper()
	return k.tab(role, name, true)
}

func (k *keyboard) tab(role, name string, back bool) focus {
	k.t.Helper()
	var visited []string
	for i := 0; i < maxTabs; i++ {
		if back {
			k.press(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
		} else {
			k.press(kb.Tab)
		}
		f, err := k.now()
		if err != nil {
			k.t.Fatalf("reading focus after Tab: %v", err)
		}
		k.stop(f)
		if (role == "" || f.Role == role) && f.Name == name {
			return f
		}
		visited = append(visited, f.String())
	}
	loc, _ := currentURL(k.ctx)
	k.t.Fatalf("%d Tab presses at %s did not reach %s %q; focus went through:\n  %s", maxTabs, loc, role, name, strings.Join(visited, "\n  "))
	return focus{}
}

// kept checks, after an action that does not load a page, that focus is
// on a visible control with a focus indicator, not lost to <body>, once
// the page has settled (a swap moves focus when it lands).
func (k *keyboard) kept(after string) focus {
	k.t.Helper()
	var f focus
	var err error
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		f, err = k.now()
		if err == nil && !f.Body && !k.swapping() {
			break
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("after %s focus fell to <body> (%v)", after, err)
		}
	}
	if !f.Ring && f.Visible {
		k.t.Errorf("after %s focus is on %s, which shows no focus indicator", after, f)
	}
	return f
}

// swapping reports whether an htmx request is still running.
func (k *keyboard) swapping() bool {
	busy, err := chromedp.Run(k.ctx, chromedp.Evaluate[bool](`!!document.querySelector(".htmx-request")`))
	return err == nil && busy
}

// newPage waits for the page at path to load (after a key sent the
// browser there, or a navigation that starts a journey).
func (k *keyboard) newPage(path string) {
	k.t.Helper()
	if _, err := waitPath(k.ctx, path); err != nil {
		k.t.Fatal(err)
	}
	// Evaluated again and again (not polled): the page may still be
	// replacing the one before, whose context goes away under a poll.
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(100 * time.Millisecond) {
		ok, err := chromedp.Run(k.ctx, chromedp.Evaluate[bool](`!!(window.htmx && document.readyState === "complete" && location.pathname === `+strconvQuote(path)+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("the page %s did not finish loading (%v)", path, err)
		}
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// skipLinkFirst checks that a page just loaded starts the keyboard at its
// top: nothing focused yet (or the page's own choice, such as an error
// summary), and the first Tab reaches the skip link 「跳到主要內容」 with
// its focus indicator.
func (k *keyboard) skipLinkFirst() {
	k.t.Helper()
	f, err := k.now()
	if err != nil {
		k.t.Fatal(err)
	}
	if !f.Body {
		return // the page put focus somewhere on purpose (an error summary, a flash)
	}
	k.press(kb.Tab)
	if f, _ = k.now(); f.Name != "跳到主要內容" {
		k.t.Errorf("the first Tab on a new page reaches %s, want the skip link 跳到主要內容", f)
	}
	k.stop(f)
}

// choose picks an option of the focused <select> with the arrow keys, as
// a keyboard user does: each press moves the choice by one and fires
// change. It reads the options (script reads, never sets) to know how
// many presses it takes.
func (k *keyboard) choose(option string) {
	k.t.Helper()
	q, _ := json.Marshal(option)
	js := fmt.Sprintf(`(() => { const s = document.activeElement; if (!s || s.tagName !== "SELECT") { return -999; }
		const i = [...s.options].findIndex(o => o.value === %[1]s || o.textContent.trim() === %[1]s || o.textContent.trim().startsWith(%[1]s));
		return i < 0 ? -998 : i - s.selectedIndex; })()`, q)
	d, err := chromedp.Run(k.ctx, chromedp.Evaluate[int](js))
	switch {
	case err != nil:
		k.t.Fatal(err)
	case d == -999:
		f, _ := k.now()
		k.t.Fatalf("choose %q: focus is on %s, not a select", option, f)
	case d == -998:
		k.t.Fatalf("choose %q: the focused select has no such option", option)
	}
	key := kb.ArrowDown
	if d < 0 {
		key, d = kb.ArrowUp, -d
	}
	for ; d > 0; d-- {
		k.press(key)
	}
	got, _ := chromedp.Run(k.ctx, chromedp.Evaluate[string](`(document.activeElement.selectedOptions[0] || {textContent: ""}).textContent.trim()`))
	if !strings.HasPrefix(got, option) {
		val, _ := chromedp.Run(k.ctx, chromedp.Evaluate[string](`document.activeElement.value`))
		if val != option {
			k.t.Fatalf("choose %q: the select shows %q", option, got)
		}
	}
}

// insertCardKeys puts the demo card whose label starts with prefix into
// the simulated reader from 環境說明, by keyboard.
func (k *keyboard) insertCardKeys(base, prefix string) {
	k.t.Helper()
	if err := chromedp.Do(k.ctx, chromedp.Navigate(base+"/environment"), chromedp.WaitVisible(chromedp.CSS(`#sim-panel select, #sim-panel button.secondary`))); err != nil {
		k.t.Fatal(err)
	}
	if txt, _, _ := textOf(k.ctx, "#sim-panel"); strings.Contains(txt, "目前插入") {
		k.tabTo("button", "取出卡片")
		k.press(kb.Enter)
		if _, err := waitText(k.ctx, "#sim-panel", "讀卡機是空的"); err != nil {
			k.t.Fatal(err)
		}
		k.kept("taking the card out")
	} else {
		k.tabTo("combobox", "選擇要插入的示範卡")
	}
	k.choose(prefix)
	k.tabTo("button", "插入卡片")
	k.press(kb.Enter)
	if _, err := waitText(k.ctx, "#sim-panel", "目前插入："+prefix); err != nil {
		k.t.Fatal(err)
	}
	k.kept("inserting a card")
}

// open follows a link of the page (the menu's, a row's) by keyboard.
func (k *keyboard) open(name, path string) {
	k.t.Helper()
	k.tabTo("link", name)
	k.press(kb.Enter)
	k.newPage(path)
	k.skipLinkFirst()
}

// TestKeyboardCardLogin: the unit's 工商憑證 in a real reader (pcscd,
// vpcd, the card agent signing through PKCS#11), logged in from the
// keyboard: Tab to the PIN, type it, Enter.
func TestKeyboardCardLogin(t *testing.T) {
	// Not parallel: it shares pcscd's reader with TestUnitLogsInThroughRealAgent.
	srv := realCardServer(t)
	ctx := newBrowser(t)
	k := keys(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/login")
	k.skipLinkFirst()
	k.tabTo("textbox", "憑證 PIN 碼")
	k.typeText("123456", false)
	k.press(kb.Enter)
	if _, err := waitPath(ctx, "/portal"); err != nil {
		status, _, _ := textOf(ctx, "#card-status")
		t.Fatalf("after Enter in the PIN: %v (status: %s)", err, status)
	}
	if _, err := waitText(ctx, "header .who", demo.UnitCode(0)); err != nil {
		t.Fatal(err)
	}
	k.skipLinkFirst()
}

// TestKeyboardCardLoginSimulated is the same with the demo's simulated
// reader, where no PC/SC stack is installed: the card is put in from
// 環境說明 by keyboard too (the list of demo cards, 插入卡片).
func TestKeyboardCardLoginSimulated(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	k := keys(t, ctx)
	k.insertCardKeys(srv.URL, "工商憑證：")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/login")
	k.skipLinkFirst()
	k.tabTo("textbox", "憑證 PIN 碼")
	k.typeText("000000", false) // a wrong PIN first: the error takes focus, next to the form
	k.press(kb.Enter)
	if _, err := waitText(ctx, "#card-status", "尚可再試 2 次"); err != nil {
		t.Fatal(err)
	}
	if f := k.kept("a wrong PIN"); !evalJS[bool](t, ctx, `document.activeElement.matches("#card-status .alert")`) {
		t.Errorf("after a wrong PIN focus is on %s, want the message next to the form", f)
	}
	k.shiftTabTo("textbox", "憑證 PIN 碼")
	k.typeText("123456", true)
	k.press(kb.Enter)
	if _, err := waitPath(ctx, "/portal"); err != nil {
		status, _, _ := textOf(ctx, "#card-status")
		t.Fatalf("after Enter in the PIN: %v (status: %s)", err, status)
	}
	if _, err := waitText(ctx, "header .who", demo.UnitCode(0)); err != nil {
		t.Fatal(err)
	}
	k.skipLinkFirst()
}

// TestKeyboardAssignsClerk is Q1 by keyboard: the unit, its clerk's NHI
// card in the reader, goes to 單位管理者登錄作業 from the menu, chooses
// 健保卡 with the arrow keys, reads the card, allows filing with Space,
// types the e-mail address and saves with Enter.
func TestKeyboardAssignsClerk(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	k := keys(t, ctx)
	unitLogin(t, ctx, srv.URL)
	k.insertCardKeys(srv.URL, "承辦人健保卡：")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal")
	k.open("單位管理者登錄作業", "/portal/handlers")
	k.tabTo("radio", "自然人憑證")
	k.press(kb.ArrowRight)
	if f := k.kept("choosing 健保卡"); f.Name != "健保卡（已註冊）" {
		t.Fatalf("the arrow key moved to %s, want the radio 健保卡（已註冊）", f)
	}
	k.tabTo("button", "讀取")
	k.press(kb.Enter)
	if _, err := waitText(ctx, "#card-read-result", "已讀取健保卡"); err != nil {
		t.Fatal(err)
	}
	k.kept("reading the card")
	name, _, _ := textOf(ctx, "#card-read-result")
	k.tabTo("checkbox", "允許使用所有加退保業務功能")
	k.press(" ")
	k.tabTo("textbox", "電子郵件信箱")
	k.typeText("kbd.clerk@example.com", false)
	k.press(kb.Enter)
	if _, err := waitText(ctx, "#flash", "已新增承辦人"); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal/handlers")
	list, _, _ := textOf(ctx, "#h-list + table, section[aria-labelledby=h-list]")
	if !strings.Contains(list, "kbd.clerk@example.com") || !strings.Contains(list, "允許使用所有加退保業務功能") {
		t.Errorf("the clerk read (%s) is not listed with the address and the right to file:\n%s", name, list)
	}
}

// fileByKeys fills the entry form, which has focus somewhere above its
// first field, for the 加保 of an insured, and sends it with Enter.
func fileByKeys(k *keyboard, id, name string) {
	k.t.Helper()
	k.tabTo("combobox", "異動別")
	k.choose("加保")
	k.tabTo("textbox", "員工（被保險人）身分證號")
	k.typeText(id, true)
	k.tabTo("textbox", "姓名（本人或眷屬）")
	k.typeText(name, true)
	k.tabTo("combobox", "性別")
	k.choose("男")
	k.tabTo("textbox", "出生日期（民國）")
	k.typeText("074/06/01", true)
	k.tabTo("combobox", "原因")
	k.choose("A1")
	k.tabTo("textbox", "投保金額（元，本人加保或調整時）")
	k.typeText("30300", true)
	k.tabTo("textbox", "生效日期（民國）")
	k.typeText(todayROC(), true)
	k.kept("typing the filing")
	k.tabTo("button", "申報")
	k.press(kb.Enter)
}

// TestKeyboardFilesAndPrints is Q10 and Q11 by keyboard: the clerk opens
// the entry form from the menu, files a 加保 (selects by arrow keys, text
// typed, 申報 with Enter), then in 申報資料套印表格 searches, ticks the
// filing with Space and prints: the PDF is downloaded.
func TestKeyboardFilesAndPrints(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	k := keys(t, ctx)
	clerkLogin(t, ctx, srv.URL)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal")
	k.open("加保、退保、投保金額調整", "/portal/filings/new")
	id := twid.MakeNationalID('A', 1, 8801)
	fileByKeys(k, id, "鍵盤甲")
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal/filings/new")
	if n := countFilings(t, srv, "insured_id = ? AND status = 'validated'", id); n != 1 {
		t.Fatalf("%d filings of %s stored, want 1", n, id)
	}

	// 申報資料套印表格: search, tick, print.
	dir := t.TempDir()
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	k.open("申報資料套印表格", "/portal/print")
	k.tabTo("button", "申報證明文件查詢")
	k.press(kb.Enter)
	if _, err := waitText(ctx, "main", "勾選後按「列印」"); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal/print")
	k.tabTo("checkbox", "選取 鍵盤甲")
	k.press(" ")
	k.tabTo("button", "列印")
	k.press(kb.Enter)
	var files []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(files) == 0; time.Sleep(200 * time.Millisecond) {
		files, _ = filepath.Glob(filepath.Join(dir, "*.pdf"))
	}
	if len(files) != 1 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("no PDF downloaded after 列印 (%v)", entries)
	}
	f := k.kept("printing") // the page stays, focus on 列印
	if f.Name != "列印" {
		t.Errorf("after printing focus is on %s, want 列印", f)
	}
}

// countFilings counts the server's filings matching where.
func countFilings(t *testing.T, srv *server, where string, args ...any) int {
	t.Helper()
	db, err := models.Open(context.Background(), "sqlite:"+filepath.Join(srv.DataDir, "multicert.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.NewSelect().Table("filings").Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestKeyboardCorrectsFiling: a filing the nightly check found wrong
// (code 5) is corrected (補正) by keyboard from 異動檢核後查詢.
func TestKeyboardCorrectsFiling(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	k := keys(t, ctx)
	clerkLogin(t, ctx, srv.URL)
	id := twid.MakeNationalID('A', 1, 8802)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/filings/new")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal/filings/new")
	fileByKeys(k, id, "鍵盤乙")
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatal(err)
	}
	// The night finds code 5 in it.
	db, err := models.Open(context.Background(), "sqlite:"+filepath.Join(srv.DataDir, "multicert.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.NewUpdate().Table("filings").Set("status = 'error', codes = '5'").Where("insured_id = ?", id).Exec(context.Background())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal")
	k.open("異動檢核後查詢", "/portal/filings")
	if _, err := waitText(ctx, "#filing-results", "鍵盤乙"); err != nil {
		t.Fatal(err)
	}
	k.tabTo("link", "補正")
	k.press(kb.Enter)
	if _, err := waitText(ctx, "main h1", "補正申報資料"); err != nil {
		t.Fatal(err)
	}
	k.skipLinkFirst()
	k.tabTo("textbox", "姓名（本人或眷屬）")
	k.typeText("鍵盤丙", true)
	k.tabTo("button", "送出補正")
	k.press(kb.Enter)
	if _, err := waitText(ctx, "#flash", "審核正確"); err != nil {
		t.Fatal(err)
	}
	if n := countFilings(t, srv, "insured_id = ? AND name = '鍵盤丙' AND corrects_id IS NOT NULL", id); n != 1 {
		t.Errorf("%d corrections stored, want 1", n)
	}
	if n := countFilings(t, srv, "insured_id = ? AND name = '鍵盤乙' AND voided = 'corrected'", id); n != 1 {
		t.Errorf("the original is not marked corrected (%d)", n)
	}
}

// TestKeyboardSwitchesUnits: a clerk of two units picks the first after
// logging in, then switches to the second from the header, by keyboard.
func TestKeyboardSwitchesUnits(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	first, second := assignDemoClerkAlso(t, srv, 1)
	ctx := newBrowser(t)
	k := keys(t, ctx)
	clerkLoginToPicker(t, ctx, srv.URL)
	k.newPage("/login/units")
	k.skipLinkFirst()
	k.tabTo("button", "選擇此單位："+first.Name+"（"+first.Code+"）")
	k.press(kb.Enter)
	k.newPage("/portal")
	if _, err := waitText(ctx, "header .who", first.Code); err != nil {
		t.Fatal(err)
	}
	k.skipLinkFirst()
	k.tabTo("link", "切換單位")
	// Seen, not only reached: the link in the header is not drawn in the
	// header's own colour (it was blue on blue).
	if same := evalJS[bool](t, ctx, `getComputedStyle(document.activeElement).color === getComputedStyle(document.querySelector("header.topbar")).backgroundColor`); same {
		t.Error("切換單位 is drawn in the colour of the header behind it")
	}
	k.press(kb.Enter)
	k.newPage("/portal/units")
	k.skipLinkFirst()
	k.tabTo("button", "選擇此單位："+second.Name+"（"+second.Code+"）")
	k.press(kb.Enter)
	k.newPage("/portal")
	if _, err := waitText(ctx, "header .who", "目前單位："+second.Name+"（"+second.Code+"）"); err != nil {
		t.Fatal(err)
	}
}

// TestKeyboardApprovesAddressChange: the unit asks for a new registered
// address (set up with the mouse, as TestStaffApprovesAddressChange
// does); staff log in, open the review from the menu and approve it by
// keyboard, confirming the browser's question.
func TestKeyboardApprovesAddressChange(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	unit := newBrowser(t)
	unitLogin(t, unit, srv.URL)
	err := chromedp.Do(unit,
		chromedp.Navigate(srv.URL+"/portal/requests"),
		chromedp.WaitVisible(chromedp.ID("effective_date")),
		chromedp.SendKeys(chromedp.ID("effective_date"), "115/01/01"),
		chromedp.Click(chromedp.CSS(`input[name="change_reg"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	chooseAddress(t, unit, "reg", "臺南市", "新化區", "𦰡拔里")
	err = chromedp.Do(unit,
		chromedp.SendKeys(chromedp.ID("reg_street"), "中山路8號"),
		chromedp.SendKeys(chromedp.ID("contact_name"), "王大明"),
		chromedp.SendKeys(chromedp.ID("contact_phone"), "(06)590-1234"),
		chromedp.SetUploadFiles(chromedp.ID("doc1"), []string{proofPDF(t, "proof.pdf")}),
		chromedp.Click(chromedp.CSS(`form[action="/portal/requests"] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "main h1", "審核中"); err != nil {
		t.Fatal(err)
	}

	staff := newBrowser(t)
	acceptDialogs(staff) // the browser's 確定 to data-confirm's question
	k := keys(t, staff)
	if err := chromedp.Do(staff, chromedp.Navigate(srv.URL+"/console/login")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/console/login")
	k.skipLinkFirst()
	k.tabTo("textbox", "帳號")
	k.typeText("taipei.staff", false)
	k.tabTo("textbox", "密碼")
	k.typeText(demo.Password, false)
	k.press(kb.Enter)
	k.newPage("/console")
	k.skipLinkFirst()
	k.tabTo("link", "基本資料變更審核")
	k.press(kb.Enter)
	k.newPage("/console/reviews")
	k.skipLinkFirst()
	href, err := chromedp.Run(staff, chromedp.Evaluate[string](`document.querySelector('main table a[href^="/console/reviews/"]').getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	k.tabTo("link", strings.TrimPrefix(href, "/console/reviews/"))
	k.press(kb.Enter)
	k.newPage(href)
	k.skipLinkFirst()
	k.tabTo("button", "審核通過")
	k.press(kb.Enter)
	if _, err := waitText(staff, "#flash", "已審核通過"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(unit, chromedp.Navigate(srv.URL+"/portal/unit")); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(unit, "main", "臺南市新化區𦰡拔里中山路8號"); err != nil {
		t.Fatalf("the unit does not see its new registered address: %v", err)
	}
}

// TestKeyboardDoubleEnter: Enter pressed twice at once on 媒體上傳's
// 確認匯入, an htmx form, sends it once: the form takes no second submit
// while the first is on its way, so the report is not replaced by the
// answer to a copy. (A plain form is sent once by the browser itself: a
// second Enter on 申報 while its page loads sends no second POST.)
func TestKeyboardDoubleEnter(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := newBrowser(t)
	k := keys(t, ctx)
	clerkLogin(t, ctx, srv.URL)
	id := twid.MakeNationalID('C', 1, 8803)
	csv := filepath.Join(t.TempDir(), "filings.csv")
	rows := "異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期\r\n" +
		"加保,本人,健保專用," + id + ",,鍵盤丁,男,0740601,,A1,30300," + strings.ReplaceAll(todayROC(), "/", "") + "\r\n"
	if err := os.WriteFile(csv, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	// Choosing the file is the one step a keyboard cannot take without the
	// system's file dialog: it is set, then sent with Enter.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/filings/upload")); err != nil {
		t.Fatal(err)
	}
	k.newPage("/portal/filings/upload")
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv})); err != nil {
		t.Fatal(err)
	}
	k.skipLinkFirst()
	k.tabTo("button", "上傳並預覽")
	k.press(kb.Enter)
	if _, err := waitText(ctx, "#upload-preview", "1 筆檢核正確"); err != nil {
		t.Fatal(err)
	}
	k.kept("the preview")

	var posts atomic.Int32
	sent := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range sent {
			if err != nil {
				return
			}
			if ev.Request.Method == "POST" && strings.HasSuffix(ev.Request.URL, "/portal/filings/upload/confirm") {
				posts.Add(1)
			}
		}
	}()
	k.tabTo("button", "確認匯入")
	k.press(kb.Enter)
	k.press(kb.Enter) // the second press, at once
	if _, err := waitText(ctx, "#upload-page", "匯入結果"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a copy's answer would land about now
	k.kept("the import")
	if n := posts.Load(); n != 1 {
		t.Errorf("the browser sent %d confirmations, want 1", n)
	}
	if txt, _, _ := textOf(ctx, "main"); !strings.Contains(txt, "匯入 1 筆") || strings.Contains(txt, "重新上傳檔案") {
		t.Errorf("after Enter twice the page says:\n%s", txt)
	}
	if n := countFilings(t, srv, "insured_id = ?", id); n != 1 {
		t.Errorf("%d filings after Enter twice, want 1", n)
	}
}
