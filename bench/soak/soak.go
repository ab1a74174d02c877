package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/multicert/multicert/bench/internal/loadtest"
	"github.com/multicert/multicert/models"
)

// config is what one soak does.
type config struct {
	URL, DB   string
	Password  string        // the demo staff's
	PID       int           // the server's process, for its memory (0: not measured)
	Metrics   string        // the server's Prometheus endpoint, for its goroutines
	Rate      float64       // requests a second; 0: Share of the calibrated maximum
	Share     float64       // of the maximum
	Calibrate time.Duration // the closed-loop measurement of the maximum
	Conns     int           // clients of the calibration
	Duration  time.Duration // of the soak
	Every     time.Duration // a report each
	Flat      float64       // the memory growth allowed from the second report to the last
	Portals   int           // units the portal's requests are spread over
	Skip      []string      // kinds left out of the mix
	MaxFlight int           // requests in flight before arrivals are dropped
}

// tally is one kind's answers in one report period.
type tally struct {
	lat            loadtest.Latencies
	errs, refusals int
}

// period is one report's figures.
type period struct {
	no          int
	by          map[string]*tally
	rss, anon   int64 // kB, the mean of the period's samples; -1: not measured
	goroutines  int   // the fewest of the period's samples; -1: not measured
	reqs, errs  int
	refusals    int
	p50, p99    time.Duration
	elapsedSecs float64
}

// recorder collects answers as they come and keeps a sample of the errors.
type recorder struct {
	mu      sync.Mutex
	cur     map[string]*tally
	samples map[string]*sample
	dropped atomic.Int64
}

func newRecorder() *recorder {
	return &recorder{cur: map[string]*tally{}, samples: map[string]*sample{}}
}

// sample is one kind of error: how often, and its first message.
type sample struct {
	n     int
	first string
}

func (r *recorder) record(kind string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.cur[kind]
	if t == nil {
		t = &tally{}
		r.cur[kind] = t
	}
	var ref refusal
	switch {
	case err == nil:
		t.lat.Add(d)
	case errors.As(err, &ref):
		t.refusals++
		t.lat.Add(d)
	default:
		t.errs++
		// One sample per kind of fault: the same answer to the same
		// route, whatever the page said (it names a request ID), or the
		// same transport error, whatever the URL.
		key := kind + ": " + err.Error()
		var se statusError
		var ue *url.Error
		switch {
		case errors.As(err, &se):
			key = fmt.Sprintf("%s: %s %s: %d", kind, se.method, se.path, se.status)
		case errors.As(err, &ue):
			key = kind + ": " + ue.Op + ": " + ue.Err.Error()
		}
		if s, ok := r.samples[key]; ok {
			s.n++
		} else if len(r.samples) < 20 {
			r.samples[key] = &sample{n: 1, first: kind + ": " + err.Error()}
		}
	}
}

// take returns the tallies since the last take.
func (r *recorder) take() map[string]*tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.cur
	r.cur = map[string]*tally{}
	return t
}

// mix picks kinds by weight.
type mix struct {
	kinds []kind
	total int
}

func newMix(all []kind, skip []string) mix {
	m := mix{}
	for _, k := range all {
		if !slices.Contains(skip, k.name) {
			m.kinds = append(m.kinds, k)
			m.total += k.weight
		}
	}
	return m
}

func (m mix) pick() kind {
	n := rand.IntN(m.total)
	for _, k := range m.kinds {
		if n -= k.weight; n < 0 {
			return k
		}
	}
	return m.kinds[len(m.kinds)-1]
}

// soak runs the whole soak and writes its report to out: the setup, the
// calibration, a report each period, the summary and the verdict. It
// returns whether the verdict is a pass.
func soak(ctx context.Context, cfg config, out io.Writer) (bool, error) {
	db, err := models.Open(ctx, cfg.DB)
	if err != nil {
		return false, err
	}
	w, err := newWorkload(ctx, db, cfg.URL, cfg.Password, cfg.Portals)
	models.Close(db)
	if err != nil {
		return false, err
	}
	m := newMix(w.kinds(), cfg.Skip)
	pr := newProbe(cfg.PID, cfg.Metrics)
	fmt.Fprintf(out, "soak of %s: %d kinds of request, %d units in the portal, %d staff logged in through the form\n",
		cfg.URL, len(m.kinds), len(w.portals), len(w.staff.by))

	var calErrs int
	rate := cfg.Rate
	if rate == 0 {
		rec := newRecorder()
		n := closedLoop(ctx, m, rec, cfg.Conns, cfg.Calibrate)
		max := float64(n) / cfg.Calibrate.Seconds()
		for _, t := range rec.take() {
			calErrs += t.errs
		}
		rate = cfg.Share * max
		fmt.Fprintf(out, "calibration: %d clients, closed loop for %s: %.0f req/s (%d errors); soak at %.0f %%: %.0f req/s\n",
			cfg.Conns, cfg.Calibrate, max, calErrs, 100*cfg.Share, rate)
		printSamples(out, rec)
		if rate < 1 {
			return false, fmt.Errorf("soak: the calibration measured %.1f req/s", max)
		}
	}
	rss0, anon0 := pr.rss()
	fmt.Fprintf(out, "start: server RSS %s (anonymous %s), goroutines %s\n", kB(rss0), kB(anon0), count(pr.goroutines()))

	rec := newRecorder()
	var periods []period
	done := make(chan struct{})
	go func() {
		defer close(done)
		openLoop(ctx, m, rec, rate, cfg.Duration, cfg.MaxFlight)
	}()
	mem := pr.sample(done)
	start := time.Now()
	tick := time.NewTicker(cfg.Every)
	for running := true; running; {
		select {
		case <-tick.C:
		case <-done:
			running = false
		}
		by, elapsed := rec.take(), time.Since(start).Seconds()
		if !running && len(periods) > 0 && elapsed-periods[len(periods)-1].elapsedSecs < cfg.Every.Seconds()/2 {
			// The answers still in flight at the last report: they belong to it.
			last := &periods[len(periods)-1]
			for n, t := range by {
				if last.by[n] == nil {
					last.by[n] = &tally{}
				}
				last.by[n].lat.Merge(&t.lat)
				last.by[n].errs += t.errs
				last.by[n].refusals += t.refusals
			}
			*last = summarize(last.no, last.by, last.elapsedSecs, last)
			break
		}
		p := summarize(len(periods)+1, by, elapsed, nil)
		p.rss, p.anon, p.goroutines = mem.take()
		periods = append(periods, p)
		printPeriod(out, p, cfg.Every)
	}
	tick.Stop()
	if err := w.finish(ctx); err != nil {
		fmt.Fprintln(out, err)
	}

	dropped := int(rec.dropped.Load())
	printSummary(out, periods, rate, cfg.Every)
	printSamples(out, rec)
	fails := verdict(periods, calErrs, dropped, cfg.Flat)
	if len(fails) == 0 {
		fmt.Fprintln(out, "verdict: PASS (no errors, memory flat)")
		return true, nil
	}
	fmt.Fprintln(out, "verdict: FAIL: "+strings.Join(fails, "; "))
	return false, nil
}

// closedLoop sends requests from conns clients, each waiting for its
// answer, for d; it returns how many were answered.
func closedLoop(ctx context.Context, m mix, rec *recorder, conns int, d time.Duration) int64 {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				k := m.pick()
				start := time.Now()
				err := k.do(ctx)
				if ctx.Err() != nil {
					return // cut short by the end: neither counted nor an error
				}
				rec.record(k.name, time.Since(start), err)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load()
}

// openLoop starts requests at a fixed rate for d whether or not earlier
// ones were answered, as independent users do. Latency counts from the
// moment a request was due, so a server that falls behind shows it.
// Arrivals beyond maxFlight requests in flight are dropped and counted.
func openLoop(ctx context.Context, m mix, rec *recorder, rate float64, d time.Duration, maxFlight int) {
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	end := start.Add(d)
	flight := make(chan struct{}, maxFlight)
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(end) || ctx.Err() != nil {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case flight <- struct{}{}:
		default:
			rec.dropped.Add(1)
			continue
		}
		k := m.pick()
		wg.Go(func() {
			defer func() { <-flight }()
			err := k.do(ctx)
			rec.record(k.name, time.Since(due), err)
		})
	}
	wg.Wait()
}

// summarize adds up a period's tallies; the memory and goroutines are
// those of was, when given.
func summarize(no int, by map[string]*tally, elapsed float64, was *period) period {
	p := period{no: no, by: by, elapsedSecs: elapsed}
	if was != nil {
		p.rss, p.anon, p.goroutines = was.rss, was.anon, was.goroutines
	}
	var all loadtest.Latencies
	for _, t := range by {
		p.reqs += t.lat.Len() + t.errs
		p.errs += t.errs
		p.refusals += t.refusals
		all.Merge(&t.lat)
	}
	p.p50, p.p99 = all.Quantile(0.50), all.Quantile(0.99)
	return p
}

// verdict lists what failed: any error, and memory (the server's
// anonymous RSS: heap and stacks, not the database file's mapped pages)
// growing from the second period to the last by more than flat.
func verdict(ps []period, calErrs, dropped int, flat float64) []string {
	var fails []string
	errs := calErrs
	for _, p := range ps {
		errs += p.errs
	}
	if errs > 0 {
		fails = append(fails, fmt.Sprintf("%d errors", errs))
	}
	if dropped > 0 {
		fails = append(fails, fmt.Sprintf("%d arrivals dropped (too many requests in flight: the server fell behind)", dropped))
	}
	if len(ps) == 0 {
		return append(fails, "no period measured")
	}
	first, last := ps[min(1, len(ps)-1)], ps[len(ps)-1]
	if first.anon > 0 && float64(last.anon) > float64(first.anon)*(1+flat) {
		fails = append(fails, fmt.Sprintf("memory grew: anonymous RSS %s in period %d, %s in period %d (allowed: +%.0f %%)",
			kB(first.anon), first.no, kB(last.anon), last.no, 100*flat))
	}
	// Goroutines are reported, not judged: each idle keep-alive connection
	// the client keeps after a slow moment holds one, so their count
	// follows the backlog (116 → 376 in a clean 10-minute run), not leaks;
	// a leak shows in the anonymous memory above.
	return fails
}

func printPeriod(out io.Writer, p period, every time.Duration) {
	fmt.Fprintf(out, "\n%s %d (%.0f s): %d requests (%.0f/s), %d errors, %d refused; RSS %s (anonymous %s), goroutines %s (fewest)\n",
		periodName(every), p.no, p.elapsedSecs, p.reqs, float64(p.reqs)/every.Seconds(), p.errs, p.refusals, kB(p.rss), kB(p.anon), count(p.goroutines))
	names := make([]string, 0, len(p.by))
	for n := range p.by {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		t := p.by[n]
		fmt.Fprintf(out, "  %-22s %7d  errors %-4d p50 %-9s p99 %s\n", n, t.lat.Len()+t.errs, t.errs, ms(t.lat.Quantile(0.5)), ms(t.lat.Quantile(0.99)))
	}
}

func printSummary(out io.Writer, ps []period, rate float64, every time.Duration) {
	fmt.Fprintf(out, "\ntarget %.0f req/s\n\n| %s | requests | req/s | errors | refused | p50 | p99 | RSS | anon. RSS | goroutines (fewest) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
		rate, strings.ToLower(periodName(every)))
	total := map[string]*tally{}
	prev := 0.0
	for _, p := range ps {
		fmt.Fprintf(out, "| %d | %d | %.0f | %d | %d | %s | %s | %s | %s | %s |\n", p.no, p.reqs, float64(p.reqs)/(p.elapsedSecs-prev), p.errs,
			p.refusals, ms(p.p50), ms(p.p99), kB(p.rss), kB(p.anon), count(p.goroutines))
		prev = p.elapsedSecs
		for n, t := range p.by {
			if total[n] == nil {
				total[n] = &tally{}
			}
			total[n].lat.Merge(&t.lat)
			total[n].errs += t.errs
			total[n].refusals += t.refusals
		}
	}
	names := make([]string, 0, len(total))
	for n := range total {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return total[b].lat.Len() - total[a].lat.Len() })
	fmt.Fprintf(out, "\n| kind | requests | errors | refused | p50 | p99 |\n|---|---:|---:|---:|---:|---:|\n")
	for _, n := range names {
		t := total[n]
		fmt.Fprintf(out, "| %s | %d | %d | %d | %s | %s |\n", n, t.lat.Len()+t.errs, t.errs, t.refusals, ms(t.lat.Quantile(0.5)), ms(t.lat.Quantile(0.99)))
	}
}

func printSamples(out io.Writer, rec *recorder) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, s := range rec.samples {
		fmt.Fprintf(out, "  error ×%d, the first: %s\n", s.n, s.first)
	}
	clear(rec.samples)
}

func periodName(every time.Duration) string {
	if every == time.Minute {
		return "Minute"
	}
	return "Period"
}

func ms(d time.Duration) string {
	if d >= 100*time.Millisecond {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}

func kB(n int64) string {
	if n < 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MB", float64(n)/1024)
}

func count(n int) string {
	if n < 0 {
		return "—"
	}
	return fmt.Sprint(n)
}
