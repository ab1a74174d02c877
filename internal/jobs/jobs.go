// Package jobs runs the background work on River (github.com/riverqueue/river)
// in the application's own database, SQLite or PostgreSQL, so that several
// server instances share one queue and a job can be enqueued in the same
// transaction as the change that calls for it.
//
// Three kinds of job exist: nightly_validate re-validates one day's filings
// (from a cron schedule read in Taipei time, or on demand), apply_due_changes
// applies the change requests whose effective date has come (every 10
// minutes and at start), and send_mail empties the outbox (every 15 seconds,
// when a Sender is configured). With an AuditCheckpointer, audit_checkpoint
// writes a signed checkpoint of the audit chain every hour and mails one to
// the auditors each morning. With a CRLLoader, load_crls stores the
// configured CRLs in the database at start and then every CRLEvery (an
// hour by default), so that logins look revocation up in a table instead
// of parsing lists of half a million serials. River keeps its own tables (river_job,
// river_leader, …), created by Migrate; only the elected leader among the
// instances enqueues the periodic jobs.
//
// On SQLite the database has one connection (models.Open): River and the
// application queue for it. Never call a Runner method that takes no
// transaction (RunNightlyNow) from inside a transaction on the same
// database: it would wait forever for the connection the transaction holds.
// Use InsertTx there.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/robfig/cron/v3"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
)

// Work is what the jobs do; *models.Store implements it.
type Work interface {
	// NightlyValidate re-validates the filings of the day on (a Taipei date,
	// at 00:00 UTC) and returns how many it validated. It is idempotent and
	// resumable: a retried or repeated run finishes what is left.
	NightlyValidate(ctx context.Context, on time.Time) (int, error)
	// ApplyDueChanges applies the approved change requests that are due.
	ApplyDueChanges(ctx context.Context) (int, error)
	// SendDue sends at most limit due mails of the outbox through snd.
	SendDue(ctx context.Context, snd models.Sender, limit int) (int, error)
	// NightlyMissed reports whether the nightly validation of the day on
	// is still to do on a system that has run it before.
	NightlyMissed(ctx context.Context, on time.Time) (bool, error)
}

// Config says what the runner works on and how often.
type Config struct {
	DB     *bun.DB // from models.Open; River's tables go beside the application's
	Work   Work
	Sender models.Sender // nil: mail stays in the outbox
	Log    *slog.Logger  // nil: slog.Default()
	// Nightly is the cron spec (minute hour day month weekday) of the
	// nightly validation, read in Taipei time; default DefaultNightly. Each
	// run validates the Taipei day that ended last (see NightlyDate).
	Nightly string
	// Now gives the time the nightly job's date is taken from; default
	// time.Now.
	Now func() time.Time
	// Audit, when set, checkpoints the audit chain every hour and mails
	// the day's checkpoint to the auditors at AuditMail (cron, Taipei time;
	// default DefaultAuditMail).
	Audit     AuditCheckpointer
	AuditMail string
	// CRLs, when set, loads the configured CRLs into the database at start
	// and every CRLEvery (default DefaultCRLEvery).
	CRLs     CRLLoader
	CRLEvery time.Duration
	// PollInterval is how often idle workers look for new jobs. Jobs
	// inserted by any instance are normally noticed at once (LISTEN/NOTIFY
	// on PostgreSQL, a 50 ms poll of River's notification table on SQLite);
	// this is the fallback. 0 keeps River's default, 1 s.
	PollInterval time.Duration
	// InsertOnly makes a client that only enqueues jobs (an instance with
	// --role web): it is never started, so it works no job, takes no part
	// in leader election and enqueues no periodic job. Another instance
	// (worker or all) on the same database runs them.
	InsertOnly bool

	testOnly bool // River starts its maintenance at once instead of staggered (export_test.go)
}

// AuditCheckpointer writes a signed checkpoint of the audit chain's head
// outside the database; *models.AuditCheckpointer implements it.
type AuditCheckpointer interface {
	// Checkpoint verifies the events since the last checkpoint and writes a
	// new one; with mail it also mails it to the auditors (or an alert).
	Checkpoint(ctx context.Context, mail bool) (*models.AuditCheckpoint, error)
}

// CRLLoader stores the configured CRLs in the database; *models.CRLLoader
// implements it.
type CRLLoader interface {
	// LoadCRLs reads, checks and stores every configured CRL. A CRL that
	// fails leaves its CA's stored list as it was; the error says which.
	LoadCRLs(ctx context.Context) error
}

// DefaultCRLEvery is how often the CRLs are loaded again: CAs publish a
// new CRL daily or more often, and a list is good only until its
// nextUpdate, so an hour leaves time to retry before one goes stale.
const DefaultCRLEvery = time.Hour

// DefaultAuditMail is 07:10 in Taipei: the auditors find the day's
// checkpoint (taken after the nightly batch) when they start work.
const DefaultAuditMail = "10 7 * * *"

// DefaultNightly is 01:30 in Taipei: after midnight, so the day's filings are
// complete, and outside 02:00–03:00, the hour a DST change skips or repeats
// in zones that have one.
const DefaultNightly = "30 1 * * *"

const (
	applyEvery      = 10 * time.Minute
	mailEvery       = 15 * time.Second
	auditEvery      = time.Hour
	nightlyTimeout  = 2 * time.Hour
	mailTimeout     = 5 * time.Minute
	crlTimeout      = 30 * time.Minute
	mailBatch       = 100 // mails per SendDue call
	queueNightly    = "nightly"
	defaultWorkers  = 2
	softStopTimeout = 30 * time.Second // then River cancels running jobs
	hardStopTimeout = 10 * time.Second // for cancelled jobs to return
	migrateLockKey  = 7432002          // models uses 7432001 for its own migrations
	// A running job is taken for stuck (and run again) only after the
	// longest timeout has passed.
	rescueStuckAfter = nightlyTimeout + 30*time.Minute
)

// Runner is a started River client with multicert's workers.
type Runner struct {
	client     *river.Client[*sql.Tx]
	log        *slog.Logger
	insertOnly bool
}

// Start migrates River's tables and starts a client that works the three
// kinds of job and enqueues the periodic ones (with InsertOnly, a client
// that only enqueues). The runner lives until Stop; ctx only bounds the
// migration and the start.
func Start(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.DB == nil {
		return nil, errors.New("jobs: start: no database")
	}
	if cfg.Work == nil {
		return nil, errors.New("jobs: start: no work")
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	spec := cfg.Nightly
	if spec == "" {
		spec = DefaultNightly
	}
	nightly, err := parseNightly(spec)
	if err != nil {
		return nil, err
	}
	if cfg.PollInterval < 0 {
		return nil, fmt.Errorf("jobs: start: negative poll interval %s", cfg.PollInterval)
	}
	if err := migrate(ctx, cfg.DB, log); err != nil {
		return nil, err
	}
	if cfg.InsertOnly {
		// River wants no queues, workers or periodic jobs on a client that
		// is never started; inserting needs none of them.
		client, err := river.NewClient(newDriver(cfg.DB, false), &river.Config{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("jobs: start: %w", err)
		}
		log.InfoContext(ctx, "jobs: this instance only enqueues jobs; a worker instance runs them")
		return &Runner{client: client, log: log, insertOnly: true}, nil
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &nightlyWorker{work: cfg.Work, log: log})
	river.AddWorker(workers, &applyWorker{work: cfg.Work, log: log})
	// Registered even without a sender, so that callers may enqueue
	// send_mail whether or not mail is configured.
	river.AddWorker(workers, &mailWorker{work: cfg.Work, sender: cfg.Sender, log: log})

	if cfg.Audit != nil {
		river.AddWorker(workers, &auditWorker{audit: cfg.Audit, log: log})
	}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(nightly, func() (river.JobArgs, *river.InsertOpts) {
			return NightlyValidateArgs{Date: NightlyDate(now()).Format(time.DateOnly)}, nil
		}, &river.PeriodicJobOpts{ID: KindNightlyValidate}),
		river.NewPeriodicJob(river.PeriodicInterval(applyEvery), func() (river.JobArgs, *river.InsertOpts) {
			return ApplyDueChangesArgs{}, nil
		}, &river.PeriodicJobOpts{ID: KindApplyDueChanges, RunOnStart: true}),
	}
	if cfg.Sender != nil {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(mailEvery), func() (river.JobArgs, *river.InsertOpts) {
			return SendMailArgs{}, nil
		}, &river.PeriodicJobOpts{ID: KindSendMail, RunOnStart: true}))
	}

	if cfg.Audit != nil {
		spec := cfg.AuditMail
		if spec == "" {
			spec = DefaultAuditMail
		}
		daily, err := parseNightly(spec)
		if err != nil {
			return nil, err
		}
		periodic = append(periodic,
			river.NewPeriodicJob(river.PeriodicInterval(auditEvery), func() (river.JobArgs, *river.InsertOpts) {
				return AuditCheckpointArgs{}, nil
			}, &river.PeriodicJobOpts{ID: KindAuditCheckpoint, RunOnStart: true}),
			river.NewPeriodicJob(daily, func() (river.JobArgs, *river.InsertOpts) {
				return AuditCheckpointArgs{Mail: true}, nil
			}, &river.PeriodicJobOpts{ID: KindAuditCheckpoint + "_mail"}))
	}

	if cfg.CRLs != nil {
		every := cfg.CRLEvery
		if every <= 0 {
			every = DefaultCRLEvery
		}
		river.AddWorker(workers, &crlWorker{crls: cfg.CRLs, log: log})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
			return LoadCRLsArgs{}, nil
		}, &river.PeriodicJobOpts{ID: KindLoadCRLs, RunOnStart: true}))
	}

	queue := river.QueueConfig{MaxWorkers: defaultWorkers}
	nightlyQueue := river.QueueConfig{MaxWorkers: 1}
	rc := &river.Config{
		Logger:       log,
		Workers:      workers,
		PeriodicJobs: periodic,
		// The nightly batch has a queue of its own so that its hours do not
		// hold up mail and effective-dated changes.
		Queues:               map[string]river.QueueConfig{river.QueueDefault: queue, queueNightly: nightlyQueue},
		RescueStuckJobsAfter: rescueStuckAfter,
		SoftStopTimeout:      softStopTimeout,
		TestOnly:             cfg.testOnly,
	}
	if cfg.PollInterval > 0 {
		// River wants FetchPollInterval ≥ FetchCooldown.
		rc.FetchPollInterval = cfg.PollInterval
		rc.FetchCooldown = min(river.FetchCooldownDefault, cfg.PollInterval)
	}
	client, err := river.NewClient(newDriver(cfg.DB, true), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: start: %w", err)
	}
	// River cancels running jobs when its start context ends: the runner's
	// life is decided by Stop, not by the caller's ctx.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("jobs: start: %w", err)
	}
	r := &Runner{client: client, log: log}
	r.catchUp(ctx, cfg.Work, nightly, now())
	return r, nil
}

// catchUp enqueues the nightly validation that the schedule last called
// for when it did not run (the server was down at the time), so that
// filers do not wait another night for it. Earlier missed nights are not
// run: each night re-validates every filing of the query horizon, so the
// latest run stands for them. A failure here is logged; the next night
// runs as scheduled.
func (r *Runner) catchUp(ctx context.Context, w Work, sched cron.Schedule, now time.Time) {
	fire, ok := lastFire(sched, now)
	if !ok {
		return
	}
	day := NightlyDate(fire)
	missed, err := w.NightlyMissed(ctx, day)
	if err != nil {
		r.log.WarnContext(ctx, "jobs: cannot tell whether a nightly validation was missed", "date", day.Format(time.DateOnly), "err", err)
		return
	}
	if !missed {
		return
	}
	res, err := r.client.Insert(ctx, NightlyValidateArgs{Date: day.Format(time.DateOnly)}, nil)
	if err != nil {
		r.log.WarnContext(ctx, "jobs: cannot catch up the missed nightly validation", "date", day.Format(time.DateOnly), "err", err)
		return
	}
	if !res.UniqueSkippedAsDuplicate {
		r.log.InfoContext(ctx, "jobs: catching up the nightly validation missed while the server was down",
			"date", day.Format(time.DateOnly), "scheduled", fire.In(taipei).Format(time.DateTime))
	}
}

// lastFire returns the latest time, at most two days before now and not
// after it, at which sched fires.
func lastFire(sched cron.Schedule, now time.Time) (time.Time, bool) {
	var last time.Time
	for t := sched.Next(now.Add(-48 * time.Hour)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last, !last.IsZero()
}

// Running reports why the runner works no jobs, or nil when its client
// runs: for /readyz on the instances that run jobs.
func (r *Runner) Running() error {
	if r.insertOnly {
		return errors.New("jobs: this instance only enqueues jobs")
	}
	select {
	case <-r.client.Stopped():
		return errors.New("jobs: the job client has stopped")
	default:
		return nil
	}
}

// Stop stops fetching jobs and waits for the running ones. When ctx ends
// first, it cancels them (every job is safe to run again) and waits a few
// seconds more for them to return.
func (r *Runner) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	r.log.WarnContext(ctx, "jobs: stop: cancelling running jobs", "reason", err)
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopTimeout)
	defer cancel()
	if err := r.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// RunNightlyNow enqueues the nightly validation of the Taipei date of on. A
// date already enqueued, running or done (River keeps finished jobs for a
// day) is not enqueued again. Not for use inside a transaction on the same
// database: see InsertTx.
func (r *Runner) RunNightlyNow(ctx context.Context, on time.Time) error {
	res, err := r.client.Insert(ctx, NightlyValidateArgs{Date: TaipeiDate(on).Format(time.DateOnly)}, nil)
	if err != nil {
		return fmt.Errorf("jobs: run nightly validation: %w", err)
	}
	if res.UniqueSkippedAsDuplicate {
		r.log.InfoContext(ctx, "jobs: nightly validation already enqueued", "date", TaipeiDate(on).Format(time.DateOnly))
	}
	return nil
}

// InsertTx enqueues a job in the caller's transaction: it runs only if the
// transaction commits. A unique job that already exists is not enqueued again.
func (r *Runner) InsertTx(ctx context.Context, tx bun.Tx, args river.JobArgs) error {
	if _, err := r.client.InsertTx(ctx, tx.Tx, args, nil); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return nil
}

// Migrate creates or updates River's tables; running it again is a no-op.
func Migrate(ctx context.Context, db *bun.DB) error {
	return migrate(ctx, db, slog.Default())
}

func migrate(ctx context.Context, db *bun.DB, log *slog.Logger) error {
	m, err := rivermigrate.New(newDriver(db, false), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if models.DialectOf(db) == models.Postgres {
		// Several instances may start at once: the first migrates while the
		// others wait on this lock, held by a transaction of its own (River
		// runs each version in a transaction on another connection).
		lock, err := db.DB.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		defer lock.Rollback() //nolint:errcheck // only releases the lock
		if _, err := lock.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
			return fmt.Errorf("jobs: migrate: lock: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		return nil
	}
	// SQLite: the database has one connection, so nothing can be held
	// beside the migration; instead all versions go in one transaction,
	// begun IMMEDIATE (models.Open), which also keeps other processes on the
	// same file out until it commits. River deprecates MigrateTx because
	// some PostgreSQL versions cannot share a transaction; its SQLite
	// versions can.
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		//lint:ignore SA1019 River's SQLite versions can share one transaction (see above).
		_, err := m.MigrateTx(ctx, tx.Tx, rivermigrate.DirectionUp, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// newDriver returns River's driver for db. Both work on database/sql, so
// that a job can be inserted in bun's *sql.Tx. On PostgreSQL the pgx pool
// behind db, when there is one, carries LISTEN/NOTIFY.
func newDriver(db *bun.DB, listen bool) riverdriver.Driver[*sql.Tx] {
	if models.DialectOf(db) == models.Postgres {
		if pool := models.PgxPool(db); listen && pool != nil {
			return riverdatabasesql.NewWithPgxListener(db.DB, pool)
		}
		return riverdatabasesql.New(db.DB)
	}
	return riversqlite.New(db.DB)
}

// taipei has had no daylight saving time since 1979; a fixed zone needs no
// tzdata.
var taipei = time.FixedZone("Asia/Taipei", 8*60*60)

// parseNightly reads a standard cron spec in Taipei time; a spec that names
// its zone (CRON_TZ=…) keeps it.
func parseNightly(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("jobs: nightly schedule %q: %w", spec, err)
	}
	named := strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=")
	if ss, ok := s.(*cron.SpecSchedule); ok && !named {
		ss.Location = taipei
	}
	return s, nil
}

// TaipeiDate returns the date of t in Taipei, at 00:00 UTC. A date already
// in that form (00:00 UTC is 08:00 in Taipei) is returned unchanged.
func TaipeiDate(t time.Time) time.Time {
	y, m, d := t.In(taipei).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// NightlyDate returns the day a nightly run at now validates: the Taipei day
// that ended last, i.e. yesterday in Taipei, at 00:00 UTC.
func NightlyDate(now time.Time) time.Time {
	return TaipeiDate(now).AddDate(0, 0, -1)
}
