package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/multicert/multicert/models"
)

// Job kinds, as stored in river_job.kind.
const (
	KindNightlyValidate = "nightly_validate"
	KindApplyDueChanges = "apply_due_changes"
	KindSendMail        = "send_mail"
	KindAuditCheckpoint = "audit_checkpoint"
	KindLoadCRLs        = "load_crls"
)

// busyStates are the states in which a periodic job blocks another of its
// kind: one at a time, so that two SendDue calls never send the same mail
// twice, and a failing job waits for its retries instead of piling up.
// Finished jobs do not count: the next tick runs again.
var busyStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// NightlyValidateArgs is the nightly validation of one Taipei date.
type NightlyValidateArgs struct {
	Date string `json:"date"` // 2006-01-02
}

// Kind is "nightly_validate".
func (NightlyValidateArgs) Kind() string { return KindNightlyValidate }

// InsertOpts enqueue a date once: while its job waits, runs or is kept
// after it finished (a day), the same date is skipped. Ten attempts with
// River's backoff span about four hours.
func (NightlyValidateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueNightly, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ApplyDueChangesArgs applies the change requests that are due.
type ApplyDueChangesArgs struct{}

// Kind is "apply_due_changes".
func (ApplyDueChangesArgs) Kind() string { return KindApplyDueChanges }

// InsertOpts allow one such job at a time; the schedule is the long-term
// retry, River's backoff (about 1 s, then 16 s) the short-term one.
func (ApplyDueChangesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: busyStates}}
}

// SendMailArgs sends the due mail of the outbox. Enqueue it after adding
// mail to have it sent before the next tick.
type SendMailArgs struct{}

// Kind is "send_mail".
func (SendMailArgs) Kind() string { return KindSendMail }

// InsertOpts allow one such job at a time, like ApplyDueChangesArgs.
func (SendMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: busyStates}}
}

type nightlyWorker struct {
	river.WorkerDefaults[NightlyValidateArgs]
	work Work
	log  *slog.Logger
}

func (w *nightlyWorker) Timeout(*river.Job[NightlyValidateArgs]) time.Duration {
	return nightlyTimeout
}

func (w *nightlyWorker) Work(ctx context.Context, job *river.Job[NightlyValidateArgs]) error {
	on, err := time.Parse(time.DateOnly, job.Args.Date)
	if err != nil {
		// Retrying cannot fix the arguments.
		return river.JobCancel(fmt.Errorf("jobs: nightly validation: bad date %q: %w", job.Args.Date, err))
	}
	start := time.Now()
	n, err := w.work.NightlyValidate(ctx, on)
	if err != nil {
		return fmt.Errorf("jobs: nightly validation of %s: %w", job.Args.Date, err)
	}
	w.log.InfoContext(ctx, "jobs: nightly validation done", "date", job.Args.Date, "filings", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

type applyWorker struct {
	river.WorkerDefaults[ApplyDueChangesArgs]
	work Work
	log  *slog.Logger
}

func (w *applyWorker) Work(ctx context.Context, _ *river.Job[ApplyDueChangesArgs]) error {
	n, err := w.work.ApplyDueChanges(ctx)
	if err != nil {
		return fmt.Errorf("jobs: apply due changes (%d applied): %w", n, err)
	}
	if n > 0 {
		w.log.InfoContext(ctx, "jobs: due changes applied", "count", n)
	}
	return nil
}

type mailWorker struct {
	river.WorkerDefaults[SendMailArgs]
	work   Work
	sender models.Sender // nil: mail stays in the outbox
	log    *slog.Logger
}

func (w *mailWorker) Timeout(*river.Job[SendMailArgs]) time.Duration { return mailTimeout }

func (w *mailWorker) Work(ctx context.Context, _ *river.Job[SendMailArgs]) error {
	if w.sender == nil {
		return nil
	}
	total := 0
	for {
		// A full batch means more may be due. Failed mails are moved into
		// the future by SendDue, so the loop ends.
		n, err := w.work.SendDue(ctx, w.sender, mailBatch)
		total += n
		if err != nil {
			return fmt.Errorf("jobs: send mail (%d sent): %w", total, err)
		}
		if n < mailBatch {
			break
		}
	}
	if total > 0 {
		w.log.InfoContext(ctx, "jobs: mail sent", "count", total)
	}
	return nil
}

// AuditCheckpointArgs checkpoints the audit chain; with Mail, the
// checkpoint also goes to the auditors.
type AuditCheckpointArgs struct {
	Mail bool `json:"mail"`
}

// Kind is "audit_checkpoint".
func (AuditCheckpointArgs) Kind() string { return KindAuditCheckpoint }

// InsertOpts allow one such job of each kind at a time. A checkpoint that
// fails (a broken chain) is not retried soon: the next hour tries again.
func (AuditCheckpointArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: busyStates}}
}

type auditWorker struct {
	river.WorkerDefaults[AuditCheckpointArgs]
	audit AuditCheckpointer
	log   *slog.Logger
}

func (w *auditWorker) Work(ctx context.Context, job *river.Job[AuditCheckpointArgs]) error {
	cp, err := w.audit.Checkpoint(ctx, job.Args.Mail)
	if err != nil {
		w.log.ErrorContext(ctx, "jobs: the audit chain did not verify; the checkpoint file is unchanged", "err", err)
		return fmt.Errorf("jobs: audit checkpoint: %w", err)
	}
	w.log.InfoContext(ctx, "jobs: audit checkpoint written", "seq", cp.Seq, "key_id", cp.KeyID, "mailed", job.Args.Mail)
	return nil
}

// LoadCRLsArgs loads the configured CRLs into the database.
type LoadCRLsArgs struct{}

// Kind is "load_crls".
func (LoadCRLsArgs) Kind() string { return KindLoadCRLs }

// InsertOpts allow one such job at a time: two loads of a list of half a
// million serials would only wait for each other. A failed load is retried
// soon (River's backoff: about 1 s, then 16 s) and then at the next tick.
func (LoadCRLsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: busyStates}}
}

type crlWorker struct {
	river.WorkerDefaults[LoadCRLsArgs]
	crls CRLLoader
	log  *slog.Logger
}

func (w *crlWorker) Timeout(*river.Job[LoadCRLsArgs]) time.Duration { return crlTimeout }

func (w *crlWorker) Work(ctx context.Context, _ *river.Job[LoadCRLsArgs]) error {
	start := time.Now()
	if err := w.crls.LoadCRLs(ctx); err != nil {
		return fmt.Errorf("jobs: load CRLs: %w", err)
	}
	w.log.DebugContext(ctx, "jobs: CRLs loaded", "took", time.Since(start).Round(time.Millisecond))
	return nil
}
