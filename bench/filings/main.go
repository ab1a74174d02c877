// Command filings measures the filing workload on a demo database built
// with `multicert demo --units 100000 --filings 2000000`:
//
//   - the nightly re-validation's throughput (filings per second) and its
//     ratio to a bare scan of the same rows;
//   - the latency (p50, p99) of the 異動檢核後查詢 page under concurrent load,
//     through the real HTTP stack;
//   - the submission of one filing.
//
// Usage: go run ./bench/filings --db sqlite:PATH (or postgres://…) [--workers 16] [--duration 10s]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/policy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	dbURL := flag.String("db", "", "database URL of a demo database")
	workers := flag.Int("workers", 16, "concurrent clients of the query page")
	duration := flag.Duration("duration", 10*time.Second, "how long to load the query page")
	skipBatch := flag.Bool("skip-batch", false, "skip the nightly batch measurement")
	keyFile := flag.String("audit-key-file", "data/audit.key", "the audit key file of the demo database (multicert demo made it in its data directory)")
	flag.Parse()
	keyText, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	keys, err := models.ParseAuditKeys(string(keyText))
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := models.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer models.Close(db)
	store := models.NewStore(db)
	store.AuditKeys = keys
	var total int
	if err := db.NewSelect().Table("filings").ColumnExpr("COUNT(*)").Scan(ctx, &total); err != nil {
		return err
	}
	fmt.Printf("database %s: %d filings\n", models.DialectOf(db), total)

	if !*skipBatch {
		// Bare scan: read every row of the horizon in the batch's chunks.
		start := time.Now()
		var after int64
		scanned := 0
		for {
			var fs []models.Filing
			if err := db.NewSelect().Model(&fs).Where("id > ?", after).Order("id").Limit(2000).Scan(ctx); err != nil {
				return err
			}
			scanned += len(fs)
			if len(fs) < 2000 {
				break
			}
			after = fs[len(fs)-1].ID
		}
		scan := time.Since(start)
		fmt.Printf("bare scan: %d rows in %s (%.0f rows/s)\n", scanned, scan.Round(time.Millisecond), float64(scanned)/scan.Seconds())

		// The nightly batch for a day no batch has run yet.
		day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		start = time.Now()
		n, err := store.NightlyValidate(ctx, day)
		if err != nil {
			return err
		}
		batch := time.Since(start)
		fmt.Printf("nightly batch: %d filings in %s (%.0f filings/s), %.2f× the bare scan's time\n",
			n, batch.Round(time.Millisecond), float64(n)/batch.Seconds(), batch.Seconds()/scan.Seconds())
	}

	// The query page under load: the unit with the most filings.
	var unitID int64
	if err := db.NewSelect().Table("filings").Column("unit_id").Group("unit_id").OrderExpr("COUNT(*) DESC").Limit(1).Scan(ctx, &unitID); err != nil {
		return err
	}
	acct, err := models.ActiveAccount(ctx, db, models.ScopeAll, unitID)
	if err != nil || acct == nil {
		return fmt.Errorf("unit %d has no account: %v", unitID, err)
	}
	app, _, err := handlers.New(handlers.Deps{Store: store, Enforcer: policy.MustNew(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go app.Listener(ln)  //nolint:errcheck
	defer app.Shutdown() //nolint:errcheck
	tok, _, err := store.NewSession(ctx, db, models.Session{Kind: models.SessionUnit, Role: models.RoleUnitOwner, UnitID: &unitID, AccountID: &acct.ID})
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + "/portal/filings"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers}}
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	errs := 0
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.AddCookie(&http.Cookie{Name: "mc_session", Value: tok})
				t0 := time.Now()
				res, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, res.Body) //nolint:errcheck
					res.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				if err != nil || res.StatusCode != http.StatusOK {
					errs++
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return fmt.Errorf("no successful request (%d errors)", errs)
	}
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("異動檢核後查詢 (unit %d, %d workers, %s): %d requests (%.0f/s), p50 %s, p99 %s, %d errors\n",
		unitID, *workers, *duration, len(lat), float64(len(lat))/duration.Seconds(), q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), errs)

	// One filing submitted: validated and stored.
	// New people each run: serials after those earlier runs enrolled.
	const n = 200
	var earlier int
	if err := db.NewSelect().Table("coverage").ColumnExpr("COUNT(*)").Where("unit_id = ? AND insured_id LIKE 'Q1%'", unitID).Scan(ctx, &earlier); err != nil {
		return err
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		f := rules.Filing{Kind: rules.KindAdd, Person: rules.PersonInsured, InsuredID: twid.MakeNationalID('Q', 1, 1_000_000+earlier+i),
			Name: "測試", Sex: "M", Birth: time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC), Reason: "A1", Amount: 30300,
			EffectiveDate: time.Now().UTC().Truncate(24 * time.Hour)}
		if _, err := store.SubmitFiling(ctx, models.Filer{Actor: models.SystemActor, UnitID: unitID, Source: "web"}, f); err != nil {
			return fmt.Errorf("submit %d: %w", i, err)
		}
	}
	fmt.Printf("submission of one filing (validate + store + audit): %s each\n", (time.Since(start) / n).Round(time.Microsecond))
	return nil
}
