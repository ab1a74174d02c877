// Package metrics is multicert's Prometheus instrumentation: HTTP requests
// by route template, logins, the database pool, River's jobs and the
// nightly validation. Each Metrics has a registry of its own, so that tests
// may build as many as they like; the server serves one at /metrics.
//
// Labels never carry identifiers (unit codes, ids, raw paths): a route is
// its template (/console/units/:id), a status its class (4xx).
package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"
)

// Unrouted is the route label of requests answered before any route was
// reached: a path that matches none (404) or a refusal by the middleware
// that runs first (CSRF, body limits).
const Unrouted = "unrouted"

// Login kinds, the kind label of multicert_logins_total.
const (
	LoginStaff            = "staff"
	LoginUnitCertificate  = "unit_certificate"
	LoginUnitNHI          = "unit_nhi"
	LoginClerkCertificate = "clerk_certificate"
	LoginClerkNHI         = "clerk_nhi"
)

// Login outcomes, the outcome label of multicert_logins_total.
const (
	LoginSuccess = "success"
	LoginFailure = "failure" // wrong credentials, unknown card, closed unit
	LoginLocked  = "locked"  // refused unchecked: too many failures (the throttle)
	LoginError   = "error"   // the server failed
)

// Metrics holds the collectors of one server.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	logins   *prometheus.CounterVec
	log      *slog.Logger
}

// New returns the metrics of a server on db: the Go runtime and the
// process, db's connection pool, and River's jobs and the nightly
// validation read from db at each scrape. log may be nil.
func New(db *bun.DB, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multicert_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status class.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "multicert_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route template and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "multicert_http_requests_in_flight",
			Help: "HTTP requests being answered.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multicert_logins_total",
			Help: "Login attempts by kind (staff, unit_certificate, unit_nhi, clerk_certificate, clerk_nhi) and outcome (success, failure, locked, error).",
		}, []string{"kind", "outcome"}),
		log: log,
	}
	// Every login series exists from the start, so that rate() and alerts
	// see a zero rather than nothing.
	for _, k := range []string{LoginStaff, LoginUnitCertificate, LoginUnitNHI, LoginClerkCertificate, LoginClerkNHI} {
		for _, o := range []string{LoginSuccess, LoginFailure, LoginLocked, LoginError} {
			m.logins.WithLabelValues(k, o)
		}
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.logins,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "main"),
		newDBCollector(db),
	)
	return m
}

// Handler serves the metrics in Prometheus' text format. A collector that
// fails (the database is away) leaves its metrics out and is logged; the
// others are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      errorLog{m.log},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// Registry is the registry the metrics are in, for tests and for adding
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Begin counts a request in flight; call the function it returns when the
// request is answered.
func (m *Metrics) Begin() func() {
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// Request records one answered request. route must be a route template or
// Unrouted, never a raw path.
func (m *Metrics) Request(method, route string, status int, took time.Duration) {
	class := StatusClass(status)
	m.requests.WithLabelValues(method, route, class).Inc()
	m.duration.WithLabelValues(method, route, class).Observe(took.Seconds())
}

// Login records one login attempt.
func (m *Metrics) Login(kind, outcome string) {
	m.logins.WithLabelValues(kind, outcome).Inc()
}

// StatusClass returns "2xx" for 200–299 and so on.
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// errorLog passes promhttp's errors to slog.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Println(v ...any) { e.log.Warn("metrics: " + fmt.Sprint(v...)) }
