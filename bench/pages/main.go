// Command pages measures the pages people wait for, at national size: a
// running server on a demo database built with
// `multicert demo --units 100000 --filings 2000000`, under concurrent load
// over keep-alive connections, next to a bare Fiber handler measured in the
// same run (the ceiling of this machine and HTTP stack).
//
// It makes its own sessions in the database (staff, supervisor, auditor,
// a unit account and a filing handler), so it needs the database URL the
// server uses; it changes nothing else.
//
// Usage:
//
//	go run ./bench/pages --url http://127.0.0.1:8080 --db sqlite:data/multicert.db [--conns 64] [--duration 10s] [--only NAME,…]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/bench/internal/loadtest"
	"github.com/multicert/multicert/models"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/pages:", err)
		os.Exit(1)
	}
}

// page is one URL as one kind of user.
type page struct {
	name, who, path string
}

// result is one page's measurement.
type result struct {
	name           string
	reqs, errs     int64
	rps            float64
	p50, p99, pmax time.Duration
}

func run() error {
	base := flag.String("url", "http://127.0.0.1:8080", "the running server")
	dbURL := flag.String("db", "sqlite:data/multicert.db", "the server's database (sessions are made in it)")
	conns := flag.Int("conns", 64, "concurrent connections")
	duration := flag.Duration("duration", 10*time.Second, "load time per page")
	only := flag.String("only", "", "comma-separated page names to measure (default: all)")
	flag.Parse()
	ctx := context.Background()
	db, err := models.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer models.Close(db)
	cookies, ids, err := sessions(ctx, db)
	if err != nil {
		return err
	}
	pages := []page{
		{"console home (head office)", "hq.staff", "/console"},
		{"console home (臺北)", "taipei.staff", "/console"},
		{"unit search by name (head office)", "hq.staff", "/console/units?q=" + ids["name"]},
		{"unit search by name (臺北)", "taipei.staff", "/console/units?q=" + ids["name"]},
		{"unit search by code", "hq.staff", "/console/units?q=" + ids["code"]},
		{"unit page", "hq.staff", "/console/units/" + ids["unit"]},
		{"unit page (臺北)", "taipei.staff", "/console/units/" + ids["unit"]}, // the demo's first unit is 臺北's
		{"review queue", "hq.staff", "/console/reviews"},
		{"review queue (臺北)", "taipei.staff", "/console/reviews"},
		{"case queue", "hq.staff", "/console/cases"},
		{"case queue (臺北)", "taipei.staff", "/console/cases"},
		{"approval queue", "hq.super", "/console/approvals"},
		{"approval queue (臺北)", "taipei.super", "/console/approvals"},
		{"sample list", "hq.super", "/console/samples"},
		{"sample list (臺北)", "taipei.super", "/console/samples"},
		{"audit log", "hq.audit", "/console/audit"},
		{"audit log (臺北 auditor)", "taipei.audit", "/console/audit"},
		{"portal home", "unit", "/portal"},
		{"異動檢核後查詢", "filer", "/portal/filings"},
		{"print list", "filer", "/portal/print"},
		// The floor of the server's stack: no session, no database.
		{"/healthz", "", "/healthz"},
	}
	if *only != "" {
		keep := strings.Split(*only, ",")
		pages = slices.DeleteFunc(pages, func(p page) bool { return !slices.Contains(keep, p.name) })
	}
	bare, stop, err := bareFiber()
	if err != nil {
		return err
	}
	defer stop()
	results := []result{load("bare Fiber handler", bare+"/", "", *conns, *duration)}
	for _, p := range pages {
		results = append(results, load(p.name, *base+p.path, cookies[p.who], *conns, *duration))
	}
	fmt.Printf("\n%d connections, %s per page, %s\n\n", *conns, *duration, time.Now().Format(time.RFC3339))
	fmt.Println("| page | req/s | % of bare | p50 | p99 | max | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Printf("| %s | %.0f | %.1f %% | %s | %s | %s | %d |\n", r.name, r.rps, 100*r.rps/results[0].rps,
			r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.pmax.Round(100*time.Microsecond), r.errs)
	}
	return nil
}

// sessions makes a session for each kind of user the pages need and
// returns their cookies, with the ids the page URLs use.
func sessions(ctx context.Context, db *bun.DB) (map[string]string, map[string]string, error) {
	cookies, ids := map[string]string{}, map[string]string{}
	for _, name := range []string{"hq.staff", "taipei.staff", "hq.super", "taipei.super", "hq.audit", "taipei.audit"} {
		s, err := loadtest.StaffSession(ctx, db, name)
		if err != nil {
			return nil, nil, err
		}
		cookies[name] = s.Cookie
	}
	portals, err := loadtest.PortalSessions(ctx, db, 1)
	if err != nil {
		return nil, nil, err
	}
	p := portals[0]
	cookies["unit"], cookies["filer"] = p.Owner.Cookie, p.Filer.Cookie
	ids["unit"], ids["code"] = fmt.Sprint(p.UnitID), p.Code
	ids["name"] = string([]rune(p.Name)[:2]) // a name prefix, as a person types it
	return cookies, ids, nil
}

// bareFiber serves "ok" from an in-process Fiber app: the ceiling.
func bareFiber() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	go func() { _ = app.Listener(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = app.Shutdown() }, nil
}

// load requests url from conns connections for d and measures each answer.
func load(name, url, cookie string, conns int, d time.Duration) result {
	client := loadtest.NewClient(conns)
	defer client.CloseIdleConnections()
	var (
		mu   sync.Mutex
		all  loadtest.Latencies
		errs atomic.Int64
		wg   sync.WaitGroup
	)
	end := time.Now().Add(d)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine loadtest.Latencies
			for time.Now().Before(end) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				start := time.Now()
				res, _, err := loadtest.Do(client, req, cookie, false)
				mine.Add(time.Since(start))
				if err != nil || res.StatusCode != http.StatusOK {
					errs.Add(1)
				}
			}
			mu.Lock()
			all.Merge(&mine)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{name: name, reqs: int64(all.Len()), errs: errs.Load()}
	if all.Len() > 0 {
		r.rps = float64(all.Len()) / d.Seconds()
		r.p50, r.p99, r.pmax = all.Quantile(0.50), all.Quantile(0.99), all.Quantile(1)
	}
	fmt.Fprintf(os.Stderr, "%-36s %8.0f req/s  p50 %-10s p99 %-10s errors %d\n", name, r.rps, r.p50.Round(10*time.Microsecond),
		r.p99.Round(10*time.Microsecond), r.errs)
	return r
}
