package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
)

// scrapeTimeout bounds the queries of one scrape.
const scrapeTimeout = 5 * time.Second

// jobStates are River's job states; each kind gets a series for each, so
// that a queue emptied reads 0 instead of vanishing.
var jobStates = []string{"available", "scheduled", "pending", "retryable", "running", "completed", "cancelled", "discarded"}

// dbCollector reads River's jobs and the nightly validation's progress
// from the database at each scrape: they change in other instances too, so
// counting in this process would see only its own share.
type dbCollector struct {
	db *bun.DB

	jobs, batchValidated, batchChanged, batchStarted, batchDuration, batchRunning *prometheus.Desc

	crlNext, crlFetched, crlSerials *prometheus.Desc
}

func newDBCollector(db *bun.DB) *dbCollector {
	return &dbCollector{
		db: db,
		jobs: prometheus.NewDesc("multicert_river_jobs",
			"River's jobs by state and kind: available, scheduled and retryable are the queue; completed, cancelled and discarded count the outcomes River still keeps (about a day).",
			[]string{"state", "kind"}, nil),
		batchValidated: prometheus.NewDesc("multicert_nightly_batch_validated_filings",
			"Filings checked by the latest nightly validation (so far, while it runs).", nil, nil),
		batchChanged: prometheus.NewDesc("multicert_nightly_batch_changed_filings",
			"Filings whose result the latest nightly validation changed.", nil, nil),
		batchStarted: prometheus.NewDesc("multicert_nightly_batch_started_timestamp_seconds",
			"When the latest nightly validation started (Unix time).", nil, nil),
		batchDuration: prometheus.NewDesc("multicert_nightly_batch_duration_seconds",
			"How long the latest nightly validation took, or has taken so far while it runs.", nil, nil),
		batchRunning: prometheus.NewDesc("multicert_nightly_batch_running",
			"1 while the latest nightly validation has not finished.", nil, nil),
		crlNext: prometheus.NewDesc("multicert_crl_next_update_timestamp_seconds",
			"nextUpdate of the CRL stored for each CA (Unix time; 0 when it has none): after it, the CA's certificates are refused until a newer CRL is loaded.",
			crlLabels, nil),
		crlFetched: prometheus.NewDesc("multicert_crl_fetched_timestamp_seconds",
			"When the CRL of each CA was last read from its source and checked, changed or not (Unix time).", crlLabels, nil),
		crlSerials: prometheus.NewDesc("multicert_crl_revoked_serials",
			"Serials on the CRL stored for each CA.", crlLabels, nil),
	}
}

func (d *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{d.jobs, d.batchValidated, d.batchChanged, d.batchStarted, d.batchDuration, d.batchRunning,
		d.crlNext, d.crlFetched, d.crlSerials} {
		ch <- desc
	}
}

func (d *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	d.collectJobs(ctx, ch)
	d.collectBatch(ctx, ch)
	d.collectCRLs(ctx, ch)
}

// crlLabels name a CA: its name, and the start of its issuer key, which
// tells apart two keys of one name (a CA renewed).
var crlLabels = []string{"issuer", "key"}

// CRLKeyLabel is the key label of a CA's CRL metrics: the first 12 hex
// digits of its certlogin.IssuerID.
func CRLKeyLabel(issuerKey string) string { return issuerKey[:min(12, len(issuerKey))] }

// collectCRLs reports the stored CRLs, labelled with their CA (a CA, never
// a person).
func (d *dbCollector) collectCRLs(ctx context.Context, ch chan<- prometheus.Metric) {
	lists, err := models.CRLLists(ctx, d.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d.crlNext, err)
		return
	}
	for _, l := range lists {
		next := 0.0
		if l.NextUpdate != nil {
			next = float64(l.NextUpdate.Unix())
		}
		key := CRLKeyLabel(l.IssuerKey)
		ch <- prometheus.MustNewConstMetric(d.crlNext, prometheus.GaugeValue, next, l.Issuer, key)
		ch <- prometheus.MustNewConstMetric(d.crlFetched, prometheus.GaugeValue, float64(l.FetchedAt.UnixMilli())/1000, l.Issuer, key)
		ch <- prometheus.MustNewConstMetric(d.crlSerials, prometheus.GaugeValue, float64(l.Serials), l.Issuer, key)
	}
}

func (d *dbCollector) collectJobs(ctx context.Context, ch chan<- prometheus.Metric) {
	counts, err := models.JobCounts(ctx, d.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d.jobs, err)
		return
	}
	n := map[[2]string]int64{}
	kinds := map[string]bool{}
	for _, c := range counts {
		n[[2]string{c.State, c.Kind}] += c.N
		kinds[c.Kind] = true
	}
	for kind := range kinds {
		for _, st := range jobStates {
			ch <- prometheus.MustNewConstMetric(d.jobs, prometheus.GaugeValue, float64(n[[2]string{st, kind}]), st, kind)
			delete(n, [2]string{st, kind})
		}
	}
	for k, v := range n { // a state River added after this list
		ch <- prometheus.MustNewConstMetric(d.jobs, prometheus.GaugeValue, float64(v), k[0], k[1])
	}
}

func (d *dbCollector) collectBatch(ctx context.Context, ch chan<- prometheus.Metric) {
	b, err := models.LatestBatch(ctx, d.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d.batchValidated, err)
		return
	}
	if b == nil {
		return // never ran: no series rather than a misleading zero
	}
	end, running := time.Now(), 1.0
	if b.FinishedAt != nil {
		end, running = *b.FinishedAt, 0
	}
	gauge := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v)
	}
	gauge(d.batchValidated, float64(b.Validated))
	gauge(d.batchChanged, float64(b.Changed))
	gauge(d.batchStarted, float64(b.StartedAt.UnixMilli())/1000)
	gauge(d.batchDuration, max(end.Sub(b.StartedAt).Seconds(), 0))
	gauge(d.batchRunning, running)
}
