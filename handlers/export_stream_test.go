package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

// The exports are streamed: a database error mid-stream cannot change the
// status any more. These tests break a row so that reading it fails, the
// way a lost connection or a bad page would, and check that the error is
// logged, that the file says it is incomplete and that the download fails.
// They run on SQLite only: it stores a value of the wrong type where
// PostgreSQL's typed columns refuse it.

const exportIncomplete = "匯出中斷：資料不完整，請重新下載。"

// lockedBuffer is a log destination safe for the streaming goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// liveServer serves a second app on e's store over a real connection, as a
// browser sees it (app.Test cannot show a body that breaks off), logging to
// the returned buffer.
func liveServer(t *testing.T, e *env) (string, *lockedBuffer) {
	t.Helper()
	log := &lockedBuffer{}
	app, _, err := handlers.New(handlers.Deps{Store: e.store, Enforcer: policy.MustNew(), Version: "test",
		Log: slog.New(slog.NewTextHandler(log, nil)), Downloads: t.TempDir(), Cards: testCards(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln) //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() { app.Shutdown() })
	return "http://" + ln.Addr().String(), log
}

// download sends req with c's session and reads the whole body; it returns
// the body read and the error that ended the read (nil: the file is whole).
func download(t *testing.T, c *client, req *http.Request) (*http.Response, string, error) {
	t.Helper()
	req.AddCookie(&http.Cookie{Name: "mc_session", Value: c.cookie})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, string(b), err
}

// wantBrokenOff checks a download that failed mid-stream: rows records
// after the header, then the incomplete line, then a broken connection.
func wantBrokenOff(t *testing.T, res *http.Response, body string, readErr error, rows int, log string) {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 (the stream had started)", res.StatusCode)
	}
	if readErr == nil || !errors.Is(readErr, io.ErrUnexpectedEOF) {
		t.Errorf("reading the body ended with %v, want io.ErrUnexpectedEOF: the download must fail", readErr)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF")))
	r.FieldsPerRecord = -1 // the incomplete line has one field
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the partial file is not CSV: %v\n%s", err, body[:min(len(body), 2000)])
	}
	if got, want := len(recs), 1+rows+1; got != want {
		t.Errorf("%d records, want the header, %d rows and the incomplete line", got, rows)
	}
	if last := recs[len(recs)-1]; len(last) != 1 || last[0] != exportIncomplete {
		t.Errorf("last record %q, want %q", last, exportIncomplete)
	}
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "export interrupted") {
		t.Errorf("the error was not logged:\n%s", log)
	}
}

func TestFilingsExportBrokenOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	unitID := e.unitID(ownUnit)
	// One page of the export's reads (1,000 rows) is sent, then the
	// second page fails on the broken row.
	const good = 1000
	fs := make([]models.Filing, good+1)
	for i := range fs {
		fs[i] = models.Filing{UnitID: unitID, FiledBy: "測試", Source: "web", Kind: "add", Person: "insured", Operation: "health",
			InsuredID: twid.MakeNationalID('A', 1, 1000000+i), Name: "陳志明", Sex: "M", Birth: "1985-06-01", Reason: "A1",
			Amount: 30300, EffectiveDate: "2026-03-02", Category: "1", FiledAt: modelstest.Clock, FiledOn: "2026-03-02",
			Status: models.FilingValidated, ValidatedAt: modelstest.Clock}
	}
	for lo := 0; lo < len(fs); lo += 200 {
		chunk := fs[lo:min(lo+200, len(fs))]
		if _, err := e.db.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.ExecContext(ctx, "UPDATE filings SET amount = 'not a number' WHERE id = ?", fs[good].ID); err != nil {
		t.Fatal(err)
	}

	base, log := liveServer(t, e)
	c := e.unitClient(ownUnit, models.RoleClerkFiler)
	req, _ := http.NewRequest(http.MethodGet, base+"/portal/filings/export", nil)
	res, body, err := download(t, c, req)
	wantBrokenOff(t, res, body, err, good, log.String())
	if !strings.Contains(log.String(), "export=filings") {
		t.Errorf("the log does not name the export:\n%s", log.String())
	}
}

func TestAuditExportBrokenOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	// The oldest event cannot be read: the export's first page fails after
	// the header has gone out.
	var n int
	if err := e.db.NewRaw("SELECT count(*) FROM audit_events").Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n >= 1000 {
		t.Fatalf("%d demo events: the test wants the broken one on the export's first page", n)
	}
	for _, q := range []string{
		"DROP TRIGGER audit_events_no_update",
		"UPDATE audit_events SET at = 'not a time' WHERE seq = (SELECT min(seq) FROM audit_events)",
	} {
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	base, log := liveServer(t, e)
	c := e.staffClient("hq.super")
	form := url.Values{"_csrf": {c.csrf}}
	req, _ := http.NewRequest(http.MethodPost, base+"/console/audit/export", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, body, err := download(t, c, req)
	wantBrokenOff(t, res, body, err, 0, log.String())
	if !strings.Contains(log.String(), "export=audit") {
		t.Errorf("the log does not name the export:\n%s", log.String())
	}
}

func TestRosterExportBrokenOff(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	ctx := context.Background()
	unitID := e.unitID(ownUnit)
	// One chunk of the roster's reads (1,000 rows) is sent, then the
	// second fails on the broken enrollment, which sorts last.
	const good = 1000
	fs := make([]models.Filing, good+1)
	for i := range fs {
		fs[i] = models.Filing{UnitID: unitID, FiledBy: "測試", Source: "web", Kind: "add", Person: "insured", Operation: "health",
			InsuredID: twid.MakeNationalID('A', 1, 1000000+i), Name: "陳志明", Sex: "M", Birth: "1985-06-01", Reason: "A1",
			Amount: 30300, EffectiveDate: "2026-03-02", Category: "1", FiledAt: modelstest.Clock, FiledOn: "2026-03-02",
			Status: models.FilingValidated, ValidatedAt: modelstest.Clock}
	}
	type coverage struct {
		bun.BaseModel `bun:"table:coverage"`
		UnitID        int64  `bun:"unit_id"`
		PersonID      string `bun:"person_id"`
		InsuredID     string `bun:"insured_id"`
		Birth         string `bun:"birth"`
		Since         string `bun:"since"`
		AddFilingID   int64  `bun:"add_filing_id"`
	}
	for lo := 0; lo < len(fs); lo += 200 {
		chunk := fs[lo:min(lo+200, len(fs))]
		if _, err := e.db.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		cov := make([]coverage, len(chunk))
		for i, f := range chunk {
			cov[i] = coverage{UnitID: unitID, PersonID: f.InsuredID, InsuredID: f.InsuredID, Birth: f.Birth, Since: f.EffectiveDate, AddFilingID: f.ID}
		}
		if _, err := e.db.NewInsert().Model(&cov).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.ExecContext(ctx, "UPDATE filings SET amount = 'not a number' WHERE id = ?", fs[good].ID); err != nil {
		t.Fatal(err)
	}

	base, log := liveServer(t, e)
	c := e.unitClient(ownUnit, models.RoleClerk)
	req, _ := http.NewRequest(http.MethodGet, base+"/portal/roster/export?on=115/03/02", nil)
	res, body, err := download(t, c, req)
	wantBrokenOff(t, res, body, err, good, log.String())
	if !strings.Contains(log.String(), "export=roster") {
		t.Errorf("the log does not name the export:\n%s", log.String())
	}
}
