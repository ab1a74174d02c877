package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/jobs"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Main(m)) }

// fakeWork records what the jobs asked of it.
type fakeWork struct {
	mu       sync.Mutex
	nightly  []time.Time
	applied  int
	senders  []models.Sender
	applyErr error
	block    bool // NightlyValidate waits for its context to end
	missed   bool // what NightlyMissed answers
}

func (f *fakeWork) NightlyMissed(context.Context, time.Time) (bool, error) { return f.missed, nil }

func (f *fakeWork) NightlyValidate(ctx context.Context, on time.Time) (int, error) {
	f.mu.Lock()
	f.nightly = append(f.nightly, on)
	block := f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return 3, nil
}

func (f *fakeWork) ApplyDueChanges(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied++
	return 0, f.applyErr
}

func (f *fakeWork) SendDue(_ context.Context, snd models.Sender, _ int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.senders = append(f.senders, snd)
	return 0, nil
}

// nightlyCalls counts the calls for the date on.
func (f *fakeWork) nightlyCalls(on time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, d := range f.nightly {
		if d.Equal(on) {
			n++
		}
	}
	return n
}

func (f *fakeWork) applyCalls() int { f.mu.Lock(); defer f.mu.Unlock(); return f.applied }

func (f *fakeWork) sendCalls() []models.Sender {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.senders)
}

type nopSender struct{}

func (nopSender) Send(context.Context, *models.Mail) error { return nil }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustStart starts a runner on db with short polls and stops it when the
// test ends.
func mustStart(tb testing.TB, db *bun.DB, w jobs.Work, snd models.Sender) *jobs.Runner {
	tb.Helper()
	r, err := jobs.Start(context.Background(), jobs.Fast(jobs.Config{
		DB: db, Work: w, Sender: snd, Log: quiet,
		Now: func() time.Time { return modelstest.Clock }, PollInterval: 20 * time.Millisecond,
	}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			tb.Errorf("stop: %v", err)
		}
	})
	return r
}

// waitFor polls cond for up to 15 seconds: ample even under -race on a busy
// machine; a passing run takes a fraction of a second.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// count runs a SELECT count(*) query.
func count(tb testing.TB, db *bun.DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrate(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"river_migration", "river_job", "river_leader", "river_queue"} {
			count(t, db, "SELECT count(*) FROM "+table) // fails when the table is missing
		}
		versions := count(t, db, "SELECT count(*) FROM river_migration")
		if versions == 0 {
			t.Fatal("no River migration recorded")
		}
		if err := jobs.Migrate(ctx, db); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if got := count(t, db, "SELECT count(*) FROM river_migration"); got != versions {
			t.Errorf("second migrate: %d versions recorded, want %d", got, versions)
		}
		// The application's own schema is untouched.
		count(t, db, "SELECT count(*) FROM outbox")
	})
}

// Several instances starting at once migrate once; the others wait (a lock on
// PostgreSQL) or retry (SQLite).
func TestMigrateConcurrently(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		errs := make(chan error, 3)
		for range cap(errs) {
			go func() { errs <- jobs.Migrate(context.Background(), db) }()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		count(t, db, "SELECT count(*) FROM river_job")
	})
}

// Two processes on one SQLite file: each has its own connection.
func TestMigrateSharedSQLiteFile(t *testing.T) {
	url := modelstest.URLSQLite(t)
	errs := make(chan error, 2)
	for range cap(errs) {
		db, err := models.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { models.Close(db) })
		go func() { errs <- jobs.Migrate(context.Background(), db) }()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestRunNightlyNow(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		w := &fakeWork{}
		r := mustStart(t, db, w, nil)
		ctx := context.Background()
		on := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
		if err := r.RunNightlyNow(ctx, on); err != nil {
			t.Fatal(err)
		}
		// Same Taipei date (23:00 there): skipped as a duplicate.
		if err := r.RunNightlyNow(ctx, time.Date(2026, 2, 27, 15, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the nightly validation", func() bool { return w.nightlyCalls(on) > 0 })
		waitFor(t, "the job to complete", func() bool {
			return count(t, db, "SELECT count(*) FROM river_job WHERE kind = ? AND state = 'completed'", jobs.KindNightlyValidate) == 1
		})
		// Also once done, the date is not enqueued again.
		if err := r.RunNightlyNow(ctx, on); err != nil {
			t.Fatal(err)
		}
		if got := count(t, db, "SELECT count(*) FROM river_job WHERE kind = ?", jobs.KindNightlyValidate); got != 1 {
			t.Errorf("%d nightly jobs, want 1", got)
		}
		if got := w.nightlyCalls(on); got != 1 {
			t.Errorf("NightlyValidate(%s) called %d times, want 1", on.Format(time.DateOnly), got)
		}
		// Another date is another job.
		next := on.AddDate(0, 0, 1)
		if err := r.RunNightlyNow(ctx, next); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the next date's validation", func() bool { return w.nightlyCalls(next) == 1 })
	})
}

func TestApplyDueChangesAtStart(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		w := &fakeWork{}
		mustStart(t, db, w, nil)
		waitFor(t, "ApplyDueChanges", func() bool { return w.applyCalls() > 0 })
		waitFor(t, "the job to complete", func() bool {
			return count(t, db, "SELECT count(*) FROM river_job WHERE kind = ? AND state = 'completed'", jobs.KindApplyDueChanges) == 1
		})
		if got := w.sendCalls(); len(got) != 0 {
			t.Errorf("SendDue called %d times without a sender, want 0", len(got))
		}
		if got := count(t, db, "SELECT count(*) FROM river_job WHERE kind = ?", jobs.KindSendMail); got != 0 {
			t.Errorf("%d send_mail jobs without a sender, want 0", got)
		}
	})
}

func TestWorkErrorGoesToRiver(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		w := &fakeWork{applyErr: errors.New("database gone")}
		mustStart(t, db, w, nil)
		// Tried once and back in the queue for a retry (River makes a retry
		// due within seconds "available" at once, with a later scheduled_at).
		waitFor(t, "the failed job to wait for its retry", func() bool {
			return count(t, db, "SELECT count(*) FROM river_job WHERE kind = ? AND attempt = 1 AND state IN ('available', 'retryable')", jobs.KindApplyDueChanges) == 1
		})
		if got := count(t, db, "SELECT count(*) FROM river_job WHERE kind = ? AND state = 'completed'", jobs.KindApplyDueChanges); got != 0 {
			t.Errorf("%d failed jobs completed, want 0", got)
		}
	})
}

func TestSendMail(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		w := &fakeWork{}
		snd := nopSender{}
		r := mustStart(t, db, w, snd)
		waitFor(t, "SendDue at start", func() bool { return len(w.sendCalls()) == 1 })
		if got := w.sendCalls()[0]; got != models.Sender(snd) {
			t.Errorf("SendDue got sender %v, want the configured one", got)
		}
		waitFor(t, "the first send_mail job to complete", func() bool {
			return count(t, db, "SELECT count(*) FROM river_job WHERE kind = ? AND state <> 'completed'", jobs.KindSendMail) == 0
		})
		// Enqueued in a transaction: runs after the commit, not after a
		// rollback. The deadline turns a deadlock on SQLite's single
		// connection into a failure.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rollback := errors.New("rollback")
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := r.InsertTx(ctx, tx, jobs.SendMailArgs{}); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("rolled back transaction: %v", err)
		}
		if got := count(t, db, "SELECT count(*) FROM river_job WHERE kind = ?", jobs.KindSendMail); got != 1 {
			t.Fatalf("%d send_mail jobs after a rollback, want 1", got)
		}
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return r.InsertTx(ctx, tx, jobs.SendMailArgs{})
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "SendDue after the commit", func() bool { return len(w.sendCalls()) == 2 })
	})
}

func TestStopCancelsLongJob(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		w := &fakeWork{block: true}
		r, err := jobs.Start(context.Background(), jobs.Fast(jobs.Config{DB: db, Work: w, Log: quiet, PollInterval: 20 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		on := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		if err := r.RunNightlyNow(context.Background(), on); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the nightly validation to start", func() bool { return w.nightlyCalls(on) == 1 })
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := r.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		// Without cancelling, Stop would wait for River's soft stop timeout
		// (30 s) or the job's (2 h).
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("stop took %s with a running job, want about 200ms", took)
		}
	})
}

func TestStopIdle(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		w := &fakeWork{}
		r, err := jobs.Start(context.Background(), jobs.Fast(jobs.Config{DB: db, Work: w, Log: quiet, PollInterval: 20 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "ApplyDueChanges", func() bool { return w.applyCalls() > 0 })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := r.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("stop took %s, want well under a second", took)
		}
	})
}

func TestStartErrors(t *testing.T) {
	db := modelstest.MustOpenSQLite(t)
	ctx := context.Background()
	for name, cfg := range map[string]jobs.Config{
		"NoDB":        {Work: &fakeWork{}},
		"NoWork":      {DB: db},
		"BadSchedule": {DB: db, Work: &fakeWork{}, Nightly: "30 1 * *"},
	} {
		t.Run(name, func(t *testing.T) {
			if r, err := jobs.Start(ctx, cfg); err == nil {
				r.Stop(ctx) //nolint:errcheck // the test failed already
				t.Fatal("Start succeeded, want an error")
			}
		})
	}
}

func TestNightlyDate(t *testing.T) {
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{modelstest.Clock, "2026-03-01"},                              // 09:00 on 2 March in Taipei
		{time.Date(2026, 3, 1, 17, 30, 0, 0, time.UTC), "2026-03-01"}, // 01:30 on 2 March in Taipei
		{time.Date(2026, 3, 1, 15, 59, 0, 0, time.UTC), "2026-02-28"}, // 23:59 on 1 March in Taipei
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2025-12-31"},
	} {
		got := jobs.NightlyDate(tc.now)
		if got.Format(time.RFC3339) != tc.want+"T00:00:00Z" {
			t.Errorf("NightlyDate(%s) = %s, want %s at 00:00 UTC", tc.now.Format(time.RFC3339), got.Format(time.RFC3339), tc.want)
		}
	}
}

func TestTaipeiDate(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), "2026-03-02"},   // already a date
		{time.Date(2026, 3, 2, 15, 59, 0, 0, time.UTC), "2026-03-02"}, // 23:59 in Taipei
		{time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC), "2026-03-03"},  // midnight in Taipei
	} {
		if got := jobs.TaipeiDate(tc.t); got.Format(time.RFC3339) != tc.want+"T00:00:00Z" {
			t.Errorf("TaipeiDate(%s) = %s, want %s", tc.t.Format(time.RFC3339), got.Format(time.RFC3339), tc.want)
		}
	}
}

// TestCatchUpMissedNight: a server that was down at the nightly hour runs
// the missed validation when it starts, once; a new database has nothing
// to catch up. Real store, real River.
func TestCatchUpMissedNight(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		store.Now = func() time.Time { return modelstest.Clock }
		nightlyJobs := func() int {
			return count(t, db, "SELECT count(*) FROM river_job WHERE kind = ?", jobs.KindNightlyValidate)
		}
		// Clock is 09:00 on 2 March in Taipei: the 01:30 run that morning
		// validates 1 March.
		missedDay := "2026-03-01"
		finished := func() int {
			return count(t, db, "SELECT count(*) FROM filing_batches WHERE batch_on = ? AND finished_at IS NOT NULL", missedDay)
		}

		r := startStore(t, db, store)
		if got := nightlyJobs(); got != 0 {
			t.Fatalf("a new database started with %d nightly jobs, want 0", got)
		}
		stop(t, r)

		// The system ran its batch on earlier nights, then was down.
		if _, err := store.NightlyValidate(ctx, time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		r = startStore(t, db, store)
		waitFor(t, "the missed night's validation", func() bool { return finished() == 1 })
		waitFor(t, "the job to complete", func() bool {
			return count(t, db, "SELECT count(*) FROM river_job WHERE kind = ? AND state = 'completed'", jobs.KindNightlyValidate) == 1
		})
		stop(t, r)

		// Started again: nothing is missed any more.
		r = startStore(t, db, store)
		if got := nightlyJobs(); got != 1 {
			t.Errorf("%d nightly jobs after a restart, want the 1 already done", got)
		}
		stop(t, r)
	})
}

// startStore starts a runner working on the real store.
func startStore(tb testing.TB, db *bun.DB, store *models.Store) *jobs.Runner {
	tb.Helper()
	r, err := jobs.Start(context.Background(), jobs.Fast(jobs.Config{
		DB: db, Work: store, Log: quiet,
		Now: func() time.Time { return modelstest.Clock }, PollInterval: 20 * time.Millisecond,
	}))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func stop(tb testing.TB, r *jobs.Runner) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		tb.Errorf("stop: %v", err)
	}
}

// An insert-only runner (--role web) enqueues but works nothing; a full
// runner on the same database works what it enqueued.
func TestInsertOnly(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		w := &fakeWork{}
		web, err := jobs.Start(ctx, jobs.Config{DB: db, Work: w, Log: quiet, InsertOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := web.Running(); err == nil {
			t.Error("Running on an insert-only runner: want an error")
		}
		on := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
		if err := web.RunNightlyNow(ctx, on); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if n := w.nightlyCalls(on); n != 0 || count(t, db, "SELECT count(*) FROM river_job WHERE state = 'available'") != 1 {
			t.Fatalf("the insert-only runner worked the job (%d calls)", n)
		}
		if err := web.Stop(ctx); err != nil {
			t.Errorf("stop an insert-only runner: %v", err)
		}
		r := mustStart(t, db, w, nil)
		if err := r.Running(); err != nil {
			t.Errorf("Running = %v", err)
		}
		waitFor(t, "the worker to run the web's job", func() bool { return w.nightlyCalls(on) == 1 })
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := r.Stop(sctx); err != nil {
			t.Fatal(err)
		}
		if err := r.Running(); err == nil {
			t.Error("Running after Stop: want an error")
		}
	})
}
