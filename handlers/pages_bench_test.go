package handlers_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

// EnvBenchDB names a demo database for BenchmarkPages, made beforehand with
// `multicert demo --units 100000 --filings 2000000`: sqlite:PATH or postgres://….
const EnvBenchDB = "MULTICERT_BENCH_DB"

// BenchmarkPages serves the pages bench/pages loads through the app without
// the network: the server's own time and allocations per page. On the
// test's small demo database it catches a cost per request (policy, menus,
// templates, compression); on a national-size one (EnvBenchDB) also the
// queries. cpu-ns/op is the process's CPU time per page (user and system,
// the database's work included on SQLite), steadier than ns/op on a busy
// machine; -cpuprofile shows where the time goes. Where even CPU time
// wanders (a shared virtual machine), count instructions: run one page
// under valgrind --tool=callgrind with GOGC=off and
// GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off (valgrind cannot run the
// runtime's RDTSCP) at -benchtime 5x and 25x, and divide the difference of
// the two totals by 20. -run '^$', not -run X, which runs the tests with
// an X in their names first. On a national-size database the setup
// (opening it, PRAGMA optimize) can vary by more than 20 pages: check
// that the 25x total exceeds the 5x one.
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	var store *models.Store
	if url := os.Getenv(EnvBenchDB); url != "" {
		db, err := models.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { models.Close(db) })
		store = models.NewStore(db)
		store.AuditKeys = modelstest.AuditKeys
		if store.Reads, err = models.OpenReads(ctx, db, 2*runtime.GOMAXPROCS(0)); err != nil {
			b.Fatal(err)
		}
		if store.Reads != nil {
			b.Cleanup(func() { models.Close(store.Reads) })
		}
	} else {
		db := modelstest.MustOpenSQLite(b)
		store = models.NewStore(db)
		store.AuditKeys = modelstest.AuditKeys
		reads, err := models.OpenReads(ctx, db, 2*runtime.GOMAXPROCS(0))
		if err != nil {
			b.Fatal(err)
		}
		store.Reads = reads
		b.Cleanup(func() { models.Close(reads) })
		if _, err := demo.Seed(ctx, store, 24); err != nil {
			b.Fatal(err)
		}
		if _, err := demo.SeedFilings(ctx, store, 480); err != nil {
			b.Fatal(err)
		}
		if _, err := demo.SeedWork(ctx, store, -1); err != nil {
			b.Fatal(err)
		}
	}
	app, _, err := handlers.New(handlers.Deps{Store: store, Enforcer: policy.MustNew(), Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	pages, err := benchPages(ctx, store)
	if err != nil {
		b.Fatal(err)
	}
	serve := app.Handler()
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			var bytes int
			cpu := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var rc fasthttp.RequestCtx
				var req fasthttp.Request
				req.SetRequestURI(p.path)
				req.Header.Set("Cookie", "mc_session="+p.token)
				req.Header.Set("Accept-Encoding", "gzip")
				rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}, nil)
				for pb.Next() {
					rc.Response.Reset()
					serve(&rc)
					if code := rc.Response.StatusCode(); code != fasthttp.StatusOK {
						b.Errorf("%s: status %d", p.path, code)
						return
					}
					bytes = len(rc.Response.Body())
				}
			})
			if used := cpuTime() - cpu; used > 0 {
				b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
			b.ReportMetric(float64(bytes), "B/page")
		})
	}
}

type benchPage struct{ name, path, token string }

// benchPages makes the sessions the pages need and lists the pages, as
// bench/pages does.
func benchPages(ctx context.Context, store *models.Store) ([]benchPage, error) {
	db := store.DB
	staff := map[string]string{}
	for _, name := range []string{"hq.staff", "taipei.staff", "hq.super", "taipei.super", "hq.audit", "taipei.audit"} {
		st, err := models.StaffByUsername(ctx, db, name)
		if err != nil {
			return nil, fmt.Errorf("staff %s: %w", name, err)
		}
		tok, _, err := store.NewSession(ctx, db, models.Session{Kind: models.SessionStaff, Role: st.Role, StaffID: &st.ID})
		if err != nil {
			return nil, err
		}
		staff[name] = tok
	}
	var u struct {
		UnitID    int64  `bun:"unit_id"`
		Code      string `bun:"code"`
		Name      string `bun:"name"`
		AccountID int64  `bun:"account_id"`
		ClerkID   int64  `bun:"clerk_id"`
	}
	err := db.NewRaw(`SELECT u.id AS unit_id, u.code, u.name,
		(SELECT MIN(a.id) FROM unit_accounts AS a WHERE a.unit_id = u.id AND a.status = 'active') AS account_id,
		(SELECT MIN(h.id) FROM clerks AS h WHERE h.unit_id = u.id AND h.status = 'active' AND h.may_file) AS clerk_id
		FROM units AS u WHERE u.status = 'active'
		AND EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = u.id AND a.status = 'active')
		AND EXISTS (SELECT 1 FROM clerks AS h WHERE h.unit_id = u.id AND h.status = 'active' AND h.may_file)
		AND EXISTS (SELECT 1 FROM filings AS f WHERE f.unit_id = u.id)
		ORDER BY u.id LIMIT 1`).Scan(ctx, &u)
	if err != nil {
		return nil, fmt.Errorf("a unit with filings and a filing clerk: %w", err)
	}
	owner, _, err := store.NewSession(ctx, db, models.Session{Kind: models.SessionUnit, Role: models.RoleUnitOwner,
		UnitID: &u.UnitID, AccountID: &u.AccountID})
	if err != nil {
		return nil, err
	}
	filer, _, err := store.NewSession(ctx, db, models.Session{Kind: models.SessionClerk, Role: models.RoleClerkFiler,
		UnitID: &u.UnitID, AccountID: &u.AccountID, ClerkID: &u.ClerkID})
	if err != nil {
		return nil, err
	}
	name := string([]rune(u.Name)[:2])
	return []benchPage{
		{"console_home_hq", "/console", staff["hq.staff"]},
		{"console_home_branch", "/console", staff["taipei.staff"]},
		{"unit_search_name_hq", "/console/units?q=" + name, staff["hq.staff"]},
		{"unit_search_name_branch", "/console/units?q=" + name, staff["taipei.staff"]},
		{"unit_search_code", "/console/units?q=" + u.Code, staff["hq.staff"]},
		{"unit_page", fmt.Sprintf("/console/units/%d", u.UnitID), staff["hq.staff"]},
		{"review_queue", "/console/reviews", staff["hq.staff"]},
		{"case_queue", "/console/cases", staff["hq.staff"]},
		{"approval_queue", "/console/approvals", staff["hq.super"]},
		{"case_queue_branch", "/console/cases", staff["taipei.staff"]},
		{"sample_list", "/console/samples", staff["hq.super"]},
		{"sample_list_branch", "/console/samples", staff["taipei.super"]},
		{"audit_log", "/console/audit", staff["hq.audit"]},
		{"audit_log_branch", "/console/audit", staff["taipei.audit"]},
		{"portal_home", "/portal", owner},
		{"filings", "/portal/filings", filer},
		{"print_list", "/portal/print", filer},
		{"healthz", "/healthz", ""},
	}, nil
}
