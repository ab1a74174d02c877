package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/mail"
	"github.com/multicert/multicert/internal/mail/mailtest"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

type smtpSender struct{ s *mail.SMTP }

func (m smtpSender) Send(ctx context.Context, x *models.Mail) error {
	return m.s.Send(ctx, x.DedupKey, x.Recipients(), x.Subject, x.Body)
}

// mailbox is the in-process SMTP server the outbox delivers to.
type mailbox struct {
	e   *env
	srv *mailtest.Server
	snd smtpSender
}

func (e *env) mailbox() *mailbox {
	srv := mailtest.Start(e.t)
	s, err := mail.New(mail.Config{Addr: srv.Addr, From: "noreply@nhi.example.com", TLS: "none"})
	if err != nil {
		e.t.Fatal(err)
	}
	return &mailbox{e: e, srv: srv, snd: smtpSender{s}}
}

// code delivers the outbox and returns the code after label in the newest
// message to addr, as its holder would read it.
func (m *mailbox) code(addr, label string) string {
	m.e.t.Helper()
	if _, err := m.e.store.SendDue(context.Background(), m.snd, 100); err != nil {
		m.e.t.Fatal(err)
	}
	msgs := m.srv.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, to := range msgs[i].To {
			if to != addr {
				continue
			}
			if code, ok := modelstest.CodeIn(msgs[i].Body, label); ok {
				return code
			}
		}
	}
	m.e.t.Fatalf("no message to %s with %s among %d", addr, label, len(msgs))
	return ""
}

func cardForm(h models.Clerk, extra ...string) url.Values {
	f := url.Values{"card_no": {h.CardSerial}, "card_id_no": {h.IDNo}, "card_name": {h.Name}, "id_no": {h.IDNo}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// The takeover the review found: with the reader empty and only the
// clerk's ID and card number, a stranger set a password and logged in.
// Now the password needs the code mailed to the address the unit recorded.
func TestClerkTakeoverNeedsTheMailedCode(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		box := e.mailbox()
		var h models.Clerk
		if err := e.db.NewSelect().Model(&h).Where("card_type = ? AND status = 'active'", models.CardNHI).
			Where("unit_id IN (SELECT unit_id FROM unit_accounts WHERE status = 'active')").
			Where("unit_id IN (SELECT id FROM units WHERE status = 'active')").Order("id").Limit(1).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		stranger := e.cardClient()
		code, res := stranger.jsonPost("/nhi-register/code", cardForm(h))
		if code != http.StatusOK || res["message"] != models.NHICodeSent {
			t.Fatalf("code request: %d %v", code, res)
		}
		// The retired routes that set a password from card data alone are gone.
		for _, path := range []string{"/nhi-register", "/nhi-register/reset"} {
			if r := stranger.post(path, cardForm(h, "password", "Stranger-1", "password2", "Stranger-1"), "X-CSRF-Token", stranger.csrf); r.StatusCode < 400 {
				t.Errorf("POST %s: %d", path, r.StatusCode)
			}
		}
		code, res = stranger.jsonPost("/nhi-register/confirm", cardForm(h, "code", "123456", "password", "Stranger-1", "password2", "Stranger-1"))
		if code != http.StatusUnprocessableEntity || !strings.Contains(res["error"].(string), "驗證碼") {
			t.Fatalf("guessed code: %d %v", code, res)
		}
		code, res = stranger.jsonPost("/login/nhi", cardForm(h, "password", "Stranger-1"))
		if code == http.StatusOK {
			t.Fatalf("stranger logged in: %v", res)
		}

		// The clerk reads the code in their mail and sets the password.
		holder := e.cardClient()
		mailed := box.code(h.Email, "驗證碼：")
		code, res = holder.jsonPost("/nhi-register/confirm", cardForm(h, "code", mailed, "password", "Holder-2026", "password2", "Holder-2026"))
		if code != http.StatusOK {
			t.Fatalf("confirm: %d %v", code, res)
		}
		if code, res = holder.jsonPost("/login/nhi", cardForm(h, "password", "Holder-2026")); code != http.StatusOK || res["redirect"] != "/portal" {
			t.Fatalf("login: %d %v", code, res)
		}
		// A forgotten password: the same two steps, a new code.
		again := e.cardClient()
		if code, res = again.jsonPost("/nhi-register/code", cardForm(h)); code != http.StatusOK {
			t.Fatalf("second code: %d %v", code, res)
		}
		mailed2 := box.code(h.Email, "驗證碼：")
		if mailed2 == mailed {
			t.Fatal("the same code twice")
		}
		if code, res = again.jsonPost("/nhi-register/confirm", cardForm(h, "code", mailed2, "password", "Newer-2027", "password2", "Newer-2027")); code != http.StatusOK {
			t.Fatalf("reset: %d %v", code, res)
		}
		if code, _ = again.jsonPost("/login/nhi", cardForm(h, "password", "Holder-2026")); code == http.StatusOK {
			t.Fatal("the old password still works")
		}
		if code, res = e.cardClient().jsonPost("/login/nhi", cardForm(h, "password", "Newer-2027")); code != http.StatusOK {
			t.Fatalf("login with the new password: %d %v", code, res)
		}
	})
}

// The answer to a code request is the same for a clerk, a registered
// person, a person no unit assigned and an ID nobody uses.
func TestCodeRequestSaysTheSameForEveryone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	var h models.Clerk
	if err := e.db.NewSelect().Model(&h).Where("card_type = ? AND status = 'active'", models.CardNHI).Order("id").Limit(1).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	nobody := h
	nobody.IDNo, nobody.CardSerial = twid.MakeNationalID('K', 2, 2334455), "000000000001"
	var answers []string
	for _, x := range []models.Clerk{h, nobody} {
		code, res := e.cardClient().jsonPost("/nhi-register/code", cardForm(x))
		if code != http.StatusOK {
			t.Fatalf("%s: %d %v", x.IDNo, code, res)
		}
		answers = append(answers, res["message"].(string))
	}
	if answers[0] != answers[1] {
		t.Errorf("answers differ:\n%s\n%s", answers[0], answers[1])
	}
	// The login answers alike too: an unregistered ID and a wrong password.
	var logins []string
	for _, x := range []models.Clerk{h, nobody} {
		_, res := e.cardClient().jsonPost("/login/nhi", cardForm(x, "password", "Wrong-2026"))
		logins = append(logins, res["error"].(string))
	}
	if logins[0] != logins[1] {
		t.Errorf("login answers differ:\n%s\n%s", logins[0], logins[1])
	}
}

// The stranger registration the review found: unit code, 統一編號 and the
// responsible person's ID logged a stranger in as the unit. Now it needs
// the 開通碼 mailed to the unit's address on file.
func TestUnitRegistrationNeedsTheActivationCode(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		box := e.mailbox()
		ctx := context.Background()
		if _, err := e.db.NewUpdate().Table("units").Set("email = ?", "owner9@example.com.tw").Where("code = ?", demo.UnitCode(9)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		var u models.Unit
		if err := e.db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"unit_code": {u.Code}, "ban": {u.BAN}, "card_no": {"000012121212"}, "card_id_no": {*u.OwnerIDNo},
			"card_name": {u.OwnerName}, "password": {"Stranger-1"}, "password2": {"Stranger-1"}}
		stranger := e.cardClient()
		if code, res := stranger.jsonPost("/register/nhi", form); code != http.StatusUnprocessableEntity {
			t.Fatalf("without 開通碼: %d %v", code, res)
		}
		form.Set("activation_code", "ABCDEFGHJK")
		if code, res := stranger.jsonPost("/register/nhi", form); code != http.StatusUnprocessableEntity || !strings.Contains(res["error"].(string), "開通碼") {
			t.Fatalf("guessed 開通碼: %d %v", code, res)
		}
		if code, res := stranger.jsonPost("/register/nhi/code", form); code != http.StatusOK || res["message"] != models.UnitCodeSent {
			t.Fatalf("code request: %d %v", code, res)
		}
		wrong := url.Values{}
		for k, v := range form {
			wrong[k] = v
		}
		wrong.Set("ban", "00000000")
		if code, res := stranger.jsonPost("/register/nhi/code", wrong); code != http.StatusUnprocessableEntity && res["message"] != models.UnitCodeSent {
			t.Fatalf("code request with a wrong 統一編號: %d %v", code, res)
		}
		if a, _ := models.ActiveAccount(context.Background(), e.db, models.ScopeAll, u.ID); a != nil {
			t.Fatal("registered without the 開通碼")
		}
		owner := e.cardClient()
		form.Set("activation_code", box.code(u.Email, "開通碼："))
		form.Set("password", "Owner-2026")
		form.Set("password2", "Owner-2026")
		if code, res := owner.jsonPost("/register/nhi", form); code != http.StatusOK || res["redirect"] != "/portal" {
			t.Fatalf("with the mailed 開通碼: %d %v", code, res)
		}
		wantContains(t, owner.get("/portal"), u.Name)
	})
}

// Anonymous page views store nothing: the review's 2,000 cookie-less GET
// /login made 2,000 sessions. A login step stores the visitor's one.
func TestPageViewsStoreNoSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	count := func() int {
		n, err := e.db.NewSelect().Table("sessions").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	before := count()
	for i := 0; i < 200; i++ {
		for _, path := range []string{"/login", "/register", "/nhi-register", "/console/login"} {
			wantStatus(t, e.anonymous().get(path), http.StatusOK)
		}
	}
	if got := count(); got != before {
		t.Fatalf("800 anonymous page views made %d sessions", got-before)
	}
	c := e.cardClient()
	for i := 0; i < 3; i++ {
		if code, res := c.jsonPost("/login/nonce", url.Values{"purpose": {models.PurposeUnitLogin}}); code != http.StatusOK || res["nonce"] == "" {
			t.Fatalf("nonce: %d %v", code, res)
		}
	}
	if got := count(); got != before+1 {
		t.Fatalf("three nonces of one visitor made %d sessions, want 1", got-before)
	}
	// Without the page's token the nonce is refused (CSRF), and nothing is stored.
	bad := e.cardClient()
	bad.csrf = "x"
	if code, _ := bad.jsonPost("/login/nonce", url.Values{"purpose": {models.PurposeUnitLogin}}); code != http.StatusForbidden {
		t.Fatalf("nonce without the page's token: %d, want 403", code)
	}
	if got := count(); got != before+1 {
		t.Fatalf("a refused nonce stored a session")
	}
}
