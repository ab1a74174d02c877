package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/bench/internal/loadtest"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// The demo's staff, by what they do in the workload.
var (
	clerks      = []string{"hq.staff", "taipei.staff", "north.staff", "central.staff", "kaoping.staff"}
	supervisors = []string{"hq.super", "taipei.super"}
	auditors    = []string{"hq.audit", "taipei.audit"}
	deciders    = []string{"hq.staff"} // head office: every branch's units
)

// kind is one kind of request in the mix, with its share of it.
type kind struct {
	name   string
	weight int
	do     func(ctx context.Context) error
}

// kinds is the mix of a month-start morning: mostly pages read (the portal's
// filing lists and forms, the console's queues and searches, static files),
// filings entered one at a time, a few uploads, prints, logins and
// decisions. Weights are per mille.
func (w *workload) kinds() []kind {
	return []kind{
		{"portal home", 70, w.portalPage(false, "/portal")},
		{"異動檢核後查詢", 110, w.portalPage(true, "/portal/filings")},
		{"filing form", 60, w.portalPage(true, "/portal/filings/new")},
		{"filing field check", 40, w.checkField},
		{"print list", 30, w.portalPage(true, "/portal/print?search=1")},
		{"upload page", 10, w.portalPage(true, "/portal/filings/upload")},
		{"static file", 100, w.staticFile},
		{"console home", 70, w.consolePage(clerks, func() string { return "/console" })},
		{"unit search by name", 40, w.consolePage(clerks, func() string { return "/console/units?q=" + url.QueryEscape(w.unit().prefix) })},
		{"unit search by code", 50, w.consolePage(clerks, func() string { return "/console/units?q=" + w.unit().code })},
		{"unit page", 70, w.consolePage(deciders, func() string { return "/console/units/" + strconv.FormatInt(w.unit().id, 10) })},
		{"review queue", 40, w.consolePage(clerks, func() string { return "/console/reviews" })},
		{"case queue", 40, w.consolePage(clerks, func() string { return "/console/cases" })},
		{"approval queue", 20, w.consolePage(supervisors, func() string { return "/console/approvals" })},
		{"audit log", 20, w.consolePage(auditors, func() string { return "/console/audit" })},
		{"filing", 180, w.file},
		{"upload", 10, w.upload},
		{"print", 10, w.print},
		{"login", 15, w.login},
		{"decision", 10, w.decide},
	}
}

// workload is the state the requests share: sessions, the units they look
// at, the filings they can print, the units staff close and reopen.
type workload struct {
	base, password string
	client         *http.Client
	portals        []*portal
	staff          staffPool
	units          []unitRef
	decisions      chan *decisionUnit
	serial         atomic.Int64 // of the next person filed for
	today          time.Time    // Taipei's date, the filings' effective date
	statics        []string
}

// portal is a unit's sessions and the filings entered by this run, which
// the prints choose from.
type portal struct {
	loadtest.Portal
	mu      sync.Mutex
	printed []int64
}

// unitRef is a unit the console looks at.
type unitRef struct {
	id           int64
	code, prefix string
}

// decisionUnit is a unit that staff close and reopen, one decision at a time.
type decisionUnit struct {
	id     int64
	closed bool
}

// refusal is an answer that refuses a request for a reason of the
// workload itself (two decisions crossing), not a fault: counted apart.
type refusal struct{ status int }

func (r refusal) Error() string { return fmt.Sprintf("refused with %d", r.status) }

// statusError is an answer other than the one wanted.
type statusError struct {
	method, path string
	status       int
	detail       string
}

func (e statusError) Error() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, e.detail))
}

// want checks the answer's status; detail says what the page said.
func want(res *http.Response, body []byte, codes ...int) error {
	if slices.Contains(codes, res.StatusCode) {
		return nil
	}
	detail := res.Header.Get("Location")
	if m := alertText.FindSubmatch(body); m != nil {
		detail += " " + strings.Join(strings.Fields(string(tagText.ReplaceAll(m[1], nil))), " ")
	}
	path := res.Request.URL.Path
	return statusError{method: res.Request.Method, path: path, status: res.StatusCode, detail: detail}
}

var (
	csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	staticRef = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)
	alertText = regexp.MustCompile(`(?s)class="(?:alert error|field-error)"[^>]*>(.{0,300})`)
	tagText   = regexp.MustCompile(`<[^>]*>`)
	doneID    = regexp.MustCompile(`done=(\d+)`)
)

// newWorkload logs staff in through the login form, makes the portal
// sessions in the database, and enters a filing per unit, so that every
// kind has what it needs.
func newWorkload(ctx context.Context, db *bun.DB, base, password string, portals int) (*workload, error) {
	w := &workload{base: base, password: password, client: loadtest.NewClient(4096), staff: staffPool{by: map[string][]loadtest.Session{}},
		today: time.Now().In(models.Taipei())}
	ps, err := loadtest.PortalSessions(ctx, db, portals)
	if err != nil {
		return nil, err
	}
	inPortal := map[int64]bool{}
	for _, p := range ps {
		w.portals = append(w.portals, &portal{Portal: p})
		inPortal[p.UnitID] = true
	}
	// New people: resident certificate numbers of one letter and sex that
	// the demo never files for, after those of earlier runs.
	var last string
	err = db.NewSelect().Table("coverage").ColumnExpr("MAX(insured_id)").Where("unit_id IN (?)", bun.List(slices.Collect(maps.Keys(inPortal)))).
		Where("insured_id LIKE 'Z8%'").Scan(ctx, &last)
	if err != nil {
		return nil, fmt.Errorf("soak: earlier soak filings: %w", err)
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(last, "Z8")); err == nil && len(last) == 10 {
		w.serial.Store(int64(n/10 + 1))
	}
	var units []struct {
		ID         int64
		Code, Name string
	}
	if err := db.NewSelect().Table("units").Column("id", "code", "name").Where("status = ?", models.UnitActive).Order("id").Limit(400).
		Scan(ctx, &units); err != nil {
		return nil, fmt.Errorf("soak: units: %w", err)
	}
	w.decisions = make(chan *decisionUnit, 12)
	for i, u := range units {
		switch {
		case i%2 == 0 || inPortal[u.ID]:
			w.units = append(w.units, unitRef{id: u.ID, code: u.Code, prefix: string([]rune(u.Name)[:2])})
		case len(w.decisions) < cap(w.decisions):
			w.decisions <- &decisionUnit{id: u.ID}
		}
	}
	if len(w.decisions) == 0 {
		return nil, errors.New("soak: no unit left to close and reopen")
	}
	for _, user := range slices.Concat(clerks, supervisors, auditors) {
		if err := w.loginAs(ctx, user); err != nil {
			return nil, fmt.Errorf("soak: log %s in: %w", user, err)
		}
	}
	res, body, err := w.do(ctx, loadtest.Session{}, http.MethodGet, "/console/login", nil, "", true)
	if err != nil {
		return nil, err
	}
	for _, m := range staticRef.FindAllSubmatch(body, -1) {
		w.statics = append(w.statics, string(m[1]))
	}
	if len(w.statics) == 0 {
		return nil, fmt.Errorf("soak: no static file on the login page (status %d)", res.StatusCode)
	}
	for _, p := range w.portals {
		if err := w.fileFor(ctx, p); err != nil {
			return nil, fmt.Errorf("soak: first filings: %w", err)
		}
	}
	return w, nil
}

// finish reopens the units this run left closed.
func (w *workload) finish(ctx context.Context) error {
	s, _ := w.staff.pick(deciders)
	for range cap(w.decisions) {
		var d *decisionUnit
		select {
		case d = <-w.decisions:
		default:
			return nil
		}
		if d.closed {
			form := url.Values{"status": {models.UnitActive}, "code": {"verified"}, "comment": {"soak: reopened at the end"}}
			res, body, err := w.do(ctx, s, http.MethodPost, fmt.Sprintf("/console/units/%d/status", d.id), form, "", true)
			if err == nil {
				err = want(res, body, http.StatusSeeOther)
			}
			if err != nil {
				return fmt.Errorf("soak: reopen unit %d: %w", d.id, err)
			}
		}
	}
	return nil
}

// do sends one request as s: a form (with s's CSRF token, as the page's
// form carries it) when form is not nil, or a ready body of contentType.
func (w *workload) do(ctx context.Context, s loadtest.Session, method, path string, form url.Values, contentType string, keep bool,
	body ...[]byte) (*http.Response, []byte, error) {
	var r *bytes.Reader
	switch {
	case form != nil:
		form.Set("_csrf", s.CSRF)
		r, contentType = bytes.NewReader([]byte(form.Encode())), "application/x-www-form-urlencoded"
	case len(body) > 0:
		r = bytes.NewReader(body[0])
	default:
		r = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, r)
	if err != nil {
		return nil, nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", w.base)
	}
	return loadtest.Do(w.client, req, s.Cookie, keep)
}

// get asks for a page as s and wants it.
func (w *workload) get(ctx context.Context, s loadtest.Session, path string) error {
	res, body, err := w.do(ctx, s, http.MethodGet, path, nil, "", true)
	if err != nil {
		return err
	}
	return want(res, body, http.StatusOK)
}

func (w *workload) portal() *portal { return w.portals[rand.IntN(len(w.portals))] }
func (w *workload) unit() unitRef   { return w.units[rand.IntN(len(w.units))] }

// portalPage is a page of the portal, as a filing clerk or the unit.
func (w *workload) portalPage(filer bool, path string) func(context.Context) error {
	return func(ctx context.Context) error {
		p := w.portal()
		s := p.Owner
		if filer {
			s = p.Filer
		}
		return w.get(ctx, s, path)
	}
}

// consolePage is a page of the console as one of users.
func (w *workload) consolePage(users []string, path func() string) func(context.Context) error {
	return func(ctx context.Context) error {
		s, err := w.staff.pick(users)
		if err != nil {
			return err
		}
		return w.get(ctx, s, path())
	}
}

func (w *workload) staticFile(ctx context.Context) error {
	return w.get(ctx, loadtest.Session{}, w.statics[rand.IntN(len(w.statics))])
}

// person is the next person filed for: an enrollment of an insured who
// is nowhere insured yet.
func (w *workload) person() (id, birth string) {
	n := int(w.serial.Add(1))
	return twid.MakeResidentIDNew('Z', 1, n), fmt.Sprintf("0%d/%02d/%02d", 60+n%25, 1+n%12, 1+n%28)
}

func (w *workload) filingForm(id, birth string) url.Values {
	return url.Values{"kind": {"add"}, "person": {"insured"}, "operation": {"health"}, "category": {"1"}, "insured_id": {id},
		"dependent_id": {""}, "name": {"林測試"}, "sex": {"M"}, "birth": {birth}, "relation": {""}, "reason": {"A1"},
		"amount": {"30300"}, "effective_date": {rocdate.FormatSlash(w.today)}}
}

// checkField is the form's check of a field as it is typed (htmx).
func (w *workload) checkField(ctx context.Context) error {
	p := w.portal()
	id, birth := w.person()
	form := w.filingForm(id, birth)
	form.Set("field", "insured_id")
	res, body, err := w.do(ctx, p.Filer, http.MethodPost, "/portal/filings/check", form, "", true)
	if err != nil {
		return err
	}
	if err := want(res, body, http.StatusOK); err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		return fmt.Errorf("check of a valid ID number answered %q", body)
	}
	return nil
}

// file enters one filing through the form.
func (w *workload) file(ctx context.Context) error { return w.fileFor(ctx, w.portal()) }

func (w *workload) fileFor(ctx context.Context, p *portal) error {
	id, birth := w.person()
	res, body, err := w.do(ctx, p.Filer, http.MethodPost, "/portal/filings", w.filingForm(id, birth), "", true)
	if err != nil {
		return err
	}
	if err := want(res, body, http.StatusSeeOther); err != nil {
		return err
	}
	m := doneID.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		return fmt.Errorf("filing: redirected to %q", res.Header.Get("Location"))
	}
	fid, _ := strconv.ParseInt(m[1], 10, 64)
	p.mu.Lock()
	if p.printed = append(p.printed, fid); len(p.printed) > 50 {
		p.printed = p.printed[1:]
	}
	p.mu.Unlock()
	return nil
}

// upload sends a small CSV file of three enrollments, all or nothing.
func (w *workload) upload(ctx context.Context) error {
	p := w.portal()
	var csv strings.Builder
	csv.WriteString("異動別,身份,作業別,員工身分證號,眷屬身分證號,姓名,性別,出生日期,稱謂,原因,投保金額,生效日期\r\n")
	for range 3 {
		id, birth := w.person()
		fmt.Fprintf(&csv, "加保,本人,健保專用,%s,,林測試,男,%s,,A1,30300,%s\r\n", id, strings.ReplaceAll(birth, "/", ""), rocdate.FormatCompact(w.today))
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("_csrf", p.Filer.CSRF)
	_ = mw.WriteField("mode", "all")
	fw, _ := mw.CreateFormFile("file", "soak.csv")
	_, _ = fw.Write([]byte(csv.String()))
	_ = mw.Close()
	res, body, err := w.do(ctx, p.Filer, http.MethodPost, "/portal/filings/upload", nil, mw.FormDataContentType(), true, buf.Bytes())
	if err != nil {
		return err
	}
	if err := want(res, body, http.StatusOK); err != nil {
		return err
	}
	if !bytes.Contains(body, []byte("匯入 3 筆")) {
		return errors.New("upload: the report does not say 匯入 3 筆")
	}
	return nil
}

// print prints three of the filings this run entered as one PDF.
func (w *workload) print(ctx context.Context) error {
	p := w.portal()
	p.mu.Lock()
	form := url.Values{}
	for range 3 {
		form.Add("filing", strconv.FormatInt(p.printed[rand.IntN(len(p.printed))], 10))
	}
	p.mu.Unlock()
	res, body, err := w.do(ctx, p.Filer, http.MethodPost, "/portal/print", form, "", true)
	if err != nil {
		return err
	}
	if err := want(res, body, http.StatusOK); err != nil {
		return err
	}
	if !bytes.HasPrefix(body, []byte("%PDF-")) {
		return fmt.Errorf("print: not a PDF (%s)", res.Header.Get("Content-Type"))
	}
	return nil
}

// login logs one of the staff in.
func (w *workload) login(ctx context.Context) error {
	all := slices.Concat(clerks, supervisors, auditors)
	return w.loginAs(ctx, all[rand.IntN(len(all))])
}

// loginAs logs user in as a browser does: the form, the POST, the console
// it leads to (whose forms carry the new session's token).
func (w *workload) loginAs(ctx context.Context, user string) error {
	res, body, err := w.do(ctx, loadtest.Session{}, http.MethodGet, "/console/login", nil, "", true)
	if err != nil {
		return err
	}
	if err := want(res, body, http.StatusOK); err != nil {
		return err
	}
	pre := loadtest.Session{Cookie: sessionCookie(res)}
	if m := csrfField.FindSubmatch(body); m != nil {
		pre.CSRF = string(m[1])
	}
	form := url.Values{"username": {user}, "password": {w.password}, "next": {""}}
	res, body, err = w.do(ctx, pre, http.MethodPost, "/console/login", form, "", true)
	if err != nil {
		return err
	}
	if err := want(res, body, http.StatusSeeOther); err != nil {
		return err
	}
	s := loadtest.Session{Cookie: sessionCookie(res)}
	if s.Cookie == "" || s.Cookie == pre.Cookie {
		return errors.New("login: no new session cookie")
	}
	res, body, err = w.do(ctx, s, http.MethodGet, res.Header.Get("Location"), nil, "", true)
	if err != nil {
		return err
	}
	if err := want(res, body, http.StatusOK); err != nil {
		return err
	}
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return errors.New("login: the console has no form token")
	}
	s.CSRF = string(m[1])
	w.staff.add(user, s)
	return nil
}

func sessionCookie(res *http.Response) string {
	for _, c := range res.Cookies() {
		if c.Name == "mc_session" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

// decide closes a unit or reopens it, with a reason code, as head-office
// staff: a decision that writes the unit, its audit event, a notice and
// a mail.
func (w *workload) decide(ctx context.Context) error {
	var d *decisionUnit
	select {
	case d = <-w.decisions:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { w.decisions <- d }()
	s, err := w.staff.pick(deciders)
	if err != nil {
		return err
	}
	form := url.Values{"status": {models.UnitClosed}, "code": {"data_check"}, "comment": {"soak: closed for a check"}}
	if d.closed {
		form = url.Values{"status": {models.UnitActive}, "code": {"verified"}, "comment": {"soak: reopened"}}
	}
	res, body, err := w.do(ctx, s, http.MethodPost, fmt.Sprintf("/console/units/%d/status", d.id), form, "", true)
	if err != nil {
		return err
	}
	if res.StatusCode == http.StatusConflict { // already so: someone else decided
		d.closed = !d.closed
		return refusal{res.StatusCode}
	}
	if err := want(res, body, http.StatusSeeOther); err != nil {
		return err
	}
	d.closed = !d.closed
	return nil
}

// staffPool holds the latest sessions of each staff member who logged in.
type staffPool struct {
	mu sync.Mutex
	by map[string][]loadtest.Session
}

func (p *staffPool) add(user string, s loadtest.Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.by[user] = append(p.by[user], s); len(p.by[user]) > 4 {
		p.by[user] = p.by[user][1:]
	}
}

// pick returns a session of one of users.
func (p *staffPool) pick(users []string) (loadtest.Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ss := p.by[users[rand.IntN(len(users))]]
	if len(ss) == 0 {
		return loadtest.Session{}, errors.New("no session of " + strings.Join(users, ", "))
	}
	return ss[rand.IntN(len(ss))], nil
}
