// Command soak keeps a running server under the mixed load of a
// month-start morning for a long time and says whether it stayed healthy:
// no errors, and memory and goroutines flat.
//
// The mix: staff logging in through the login form, portal pages and
// console pages and queues, filings entered through the form and its
// field checks, small CSV uploads, prints of filings to PDF, and staff
// closing and reopening units. Units and clerks log in with cards, so
// their sessions are made in the server's database (--db), as bench/pages
// does; the people filed for are new (resident certificate numbers the
// demo never uses). The database must be a demo database
// (`multicert demo`); the soak adds filings, sessions and audit events to
// it and leaves the units it closed open again.
//
// First a closed-loop calibration measures the maximum throughput of the
// mix; the soak then sends requests at a fixed arrival rate (open loop),
// by default 70 % of that maximum, and reports each minute: requests,
// errors (any answer other than the one wanted, except an expected
// refusal), p50 and p99 per kind, the server's RSS (from /proc, with
// --pid) and goroutines (from its /metrics, when it has them). It ends
// with a verdict and exits 1 when it fails: an error, or the last minute's
// mean anonymous RSS (or its fewest goroutines) more than 20 % above the
// second's.
//
// Usage:
//
//	go run ./bench/soak --url http://127.0.0.1:8080 --db sqlite:data/multicert.db --pid PID [--duration 10m] [--rate N | --share 0.7]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/multicert/multicert/demo"
)

func main() {
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run() (bool, error) {
	cfg := config{Password: demo.Password}
	flag.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the running server")
	flag.StringVar(&cfg.DB, "db", "sqlite:data/multicert.db", "the server's database (portal sessions are made in it)")
	flag.IntVar(&cfg.PID, "pid", 0, "the server's process id, for its memory (0: not measured)")
	flag.StringVar(&cfg.Metrics, "metrics", "", "the server's Prometheus metrics, for its goroutines (default: --url + /metrics)")
	flag.Float64Var(&cfg.Rate, "rate", 0, "requests a second (0: --share of the calibrated maximum)")
	flag.Float64Var(&cfg.Share, "share", 0.7, "share of the calibrated maximum to soak at")
	flag.DurationVar(&cfg.Calibrate, "calibrate", 20*time.Second, "length of the closed-loop calibration")
	flag.IntVar(&cfg.Conns, "conns", 32, "clients of the calibration")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Minute, "length of the soak")
	flag.DurationVar(&cfg.Every, "every", time.Minute, "report period")
	flag.Float64Var(&cfg.Flat, "flat", 0.2, "memory growth allowed from the second period to the last")
	flag.IntVar(&cfg.Portals, "portals", 200, "units the portal's requests and filings are spread over (on a month-start morning many units file)")
	flag.IntVar(&cfg.MaxFlight, "max-in-flight", 2000, "requests in flight before arrivals are dropped (and counted as errors)")
	skip := flag.String("skip", "", "comma-separated kinds to leave out of the mix, e.g. print where the PDF font is not installed")
	flag.Parse()
	if cfg.Metrics == "" {
		cfg.Metrics = strings.TrimSuffix(cfg.URL, "/") + "/metrics"
	}
	if *skip != "" {
		cfg.Skip = strings.Split(*skip, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return soak(ctx, cfg, os.Stdout)
}
