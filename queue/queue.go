// Package queue adapts the pipeline's stages to River: job argument types,
// thin workers that call pipeline.Service, the mapping of failures onto
// River's retry controls, and the enqueuer that the PostgreSQL store uses
// to insert jobs inside its transactions.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/tracing"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// MaxAttempts bounds the retries of a stage before the document fails.
const MaxAttempts = 5

// ProcessArgs runs read to decide for one document.
type ProcessArgs struct {
	TenantID   string `json:"tenant_id"`
	DocumentID string `json:"document_id"`
	// TraceParent continues the trace of the work that enqueued the job
	// (W3C traceparent; empty when not traced).
	TraceParent string `json:"traceparent,omitempty"`
}

// Kind names the job in River's tables.
func (ProcessArgs) Kind() string { return pipeline.JobProcess }

// InsertOpts bounds the attempts.
func (ProcessArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: MaxAttempts} }

// CommitArgs writes an approved document to the system of record.
type CommitArgs struct {
	TenantID   string `json:"tenant_id"`
	DocumentID string `json:"document_id"`
	// TraceParent continues the trace of the work that enqueued the job
	// (W3C traceparent; empty when not traced).
	TraceParent string `json:"traceparent,omitempty"`
}

// Kind names the job in River's tables.
func (CommitArgs) Kind() string { return pipeline.JobCommit }

// InsertOpts bounds the attempts.
func (CommitArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: MaxAttempts} }

// RevalidateArgs re-validates the timesheets waiting for a contract that
// was just committed.
type RevalidateArgs struct {
	TenantID   string `json:"tenant_id"`
	DocumentID string `json:"document_id"`
	// TraceParent continues the trace of the work that enqueued the job
	// (W3C traceparent; empty when not traced).
	TraceParent string `json:"traceparent,omitempty"`
}

// Kind names the job in River's tables.
func (RevalidateArgs) Kind() string { return pipeline.JobRevalidate }

// InsertOpts bounds the attempts.
func (RevalidateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts}
}

// RevalidateWorker runs pipeline.Service.RevalidateWaiting.
type RevalidateWorker struct {
	river.WorkerDefaults[RevalidateArgs]
	Service *pipeline.Service
	Outage  OutagePolicy
}

// Work re-validates and maps the outcome onto River.
func (w *RevalidateWorker) Work(ctx context.Context, job *river.Job[RevalidateArgs]) (err error) {
	ctx, end := startJob(ctx, job.JobRow, job.Args.TraceParent, job.Args.TenantID, job.Args.DocumentID)
	defer func() { end(err) }()
	err = w.Service.RevalidateWaiting(ctx, job.Args.TenantID, job.Args.DocumentID)
	ctl, _ := w.Outage.controls(job.JobRow, err, time.Now())
	return ctl
}

// ProcessWorker runs pipeline.Service.Process.
type ProcessWorker struct {
	river.WorkerDefaults[ProcessArgs]
	Service *pipeline.Service
	Outage  OutagePolicy
}

// Work processes the document and maps the outcome onto River.
func (w *ProcessWorker) Work(ctx context.Context, job *river.Job[ProcessArgs]) (err error) {
	ctx, end := startJob(ctx, job.JobRow, job.Args.TraceParent, job.Args.TenantID, job.Args.DocumentID)
	defer func() { end(err) }()
	final := job.Attempt >= job.MaxAttempts
	err = w.Service.Process(ctx, job.Args.TenantID, job.Args.DocumentID, final)
	return w.Outage.finish(ctx, w.Service, job.JobRow, job.Args.TenantID, job.Args.DocumentID, err)
}

// CommitWorker runs pipeline.Service.Commit.
type CommitWorker struct {
	river.WorkerDefaults[CommitArgs]
	Service *pipeline.Service
	Outage  OutagePolicy
}

// Work commits the document and maps the outcome onto River.
func (w *CommitWorker) Work(ctx context.Context, job *river.Job[CommitArgs]) (err error) {
	ctx, end := startJob(ctx, job.JobRow, job.Args.TraceParent, job.Args.TenantID, job.Args.DocumentID)
	defer func() { end(err) }()
	err = w.Service.Commit(ctx, job.Args.TenantID, job.Args.DocumentID)
	return w.Outage.finish(ctx, w.Service, job.JobRow, job.Args.TenantID, job.Args.DocumentID, err)
}

// OutagePolicy is how a job waits out an outage of a backing service
// (derrors.IsUnavailable: PostgreSQL or MariaDB down, restarting, or out
// of connections): it is snoozed, which spends none of its attempts, for
// Backoff doubling up to MaxBackoff, until it is MaxAge old; then its
// document is marked failed (code "unavailable"), never left processing.
type OutagePolicy struct {
	// Backoff is the first snooze (default 5s).
	Backoff time.Duration
	// MaxBackoff caps the snoozes (default 5m).
	MaxBackoff time.Duration
	// MaxAge bounds the wait, counted from the job's creation (default 24h).
	MaxAge time.Duration
}

// Outage defaults.
const (
	DefaultOutageBackoff    = 5 * time.Second
	DefaultOutageMaxBackoff = 5 * time.Minute
	DefaultOutageMaxAge     = 24 * time.Hour
)

func (o OutagePolicy) withDefaults() OutagePolicy {
	if o.Backoff <= 0 {
		o.Backoff = DefaultOutageBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultOutageMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Backoff)
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultOutageMaxAge
	}
	return o
}

// delay is the snooze after snoozes earlier ones: Backoff doubled that
// many times, at most MaxBackoff.
func (o OutagePolicy) delay(snoozes int64) time.Duration {
	o = o.withDefaults()
	d := o.Backoff
	for i := int64(0); i < snoozes && d < o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxBackoff)
}

// snoozes is how many times River snoozed the job (its metadata's
// "snoozes" count).
func snoozes(job *rivertype.JobRow) int64 {
	var m struct {
		Snoozes int64 `json:"snoozes"`
	}
	if job == nil || len(job.Metadata) == 0 || json.Unmarshal(job.Metadata, &m) != nil {
		return 0
	}
	return m.Snoozes
}

// controls maps a stage's error onto River: permanent failures cancel the
// job (the reason is stored on the document), a rate limit snoozes it for
// the time the provider asked, an outage of a backing service snoozes it
// with backoff until the policy's MaxAge, others are retried with backoff.
// giveUp is set (with the cause to record) when the job must not run again
// without its document being marked failed: the outage lasted past MaxAge,
// or the failure came on the last attempt.
func (o OutagePolicy) controls(job *rivertype.JobRow, err error, now time.Time) (ctl error, giveUp error) {
	if err == nil {
		return nil, nil
	}
	if derrors.IsPermanent(err) {
		return river.JobCancel(err), nil
	}
	var rl *derrors.RateLimited
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return river.JobSnooze(rl.RetryAfter), nil
	}
	if derrors.IsUnavailable(err) {
		o = o.withDefaults()
		age := time.Duration(0)
		if job != nil && !job.CreatedAt.IsZero() {
			age = now.Sub(job.CreatedAt)
		}
		if age < o.MaxAge {
			return river.JobSnooze(o.delay(snoozes(job))), nil
		}
		return err, fmt.Errorf("gave up after %s of outage (bound %s): %w", age.Round(time.Second), o.MaxAge, derrors.Classify(err))
	}
	if job != nil && job.Attempt >= job.MaxAttempts {
		return err, err
	}
	return err, nil
}

// finish maps a stage's error onto River and, when the job gives up,
// marks its document failed first; the job is then cancelled. When the
// document cannot be marked (PostgreSQL down too), the job is retried.
// The marking runs on a context of its own (pipeline.Bookkeeping): the
// job's may have ended (River's JobTimeout, StopAndCancel), and a last
// attempt whose document cannot be marked is discarded by River with the
// document left processing.
func (o OutagePolicy) finish(ctx context.Context, svc *pipeline.Service, job *rivertype.JobRow, tenantID, id string, err error) error {
	ctl, cause := o.controls(job, err, time.Now())
	if cause == nil {
		return ctl
	}
	ctx, cancel := pipeline.Bookkeeping(ctx)
	defer cancel()
	if gerr := svc.GiveUp(ctx, tenantID, id, cause); gerr != nil {
		return errors.Join(cause, gerr)
	}
	return river.JobCancel(cause)
}

// Config sets up the River client.
type Config struct {
	// Workers is how many jobs run at once; 0 makes an insert-only client
	// (docflow serve --api-only).
	Workers int
	// JobTimeout bounds one attempt of a job (default 5 minutes, or four
	// fifths of a shorter RescueAfter).
	JobTimeout time.Duration
	// RescueAfter is how long a running job may go without finishing
	// before it is considered stuck (its worker died) and run again; more
	// than JobTimeout (when not, JobTimeout plus a minute).
	RescueAfter time.Duration
	// LLMWorkers, when above 0, runs the process stage in its own queue,
	// QueueLLM, with this concurrency: a model's latency and rate limits
	// then hold only that queue, never the commits and re-validations.
	LLMWorkers int
	// FetchCooldown is the least time between two fetches of jobs while
	// work is waiting (default 10ms; River's own default of 100ms caps a
	// client at ten fetches, so Workers*10 jobs, a second).
	FetchCooldown time.Duration
	// FetchPoll is how often an idle worker polls when notifications are
	// missed; 0 keeps River's default.
	FetchPoll time.Duration
	// Outage is how jobs wait out an outage of PostgreSQL or MariaDB
	// (zero values take the defaults: 5s doubling to 5m, for 24h).
	Outage OutagePolicy
}

// NewClient returns a River client whose workers call svc.
func NewClient(pool *pgxpool.Pool, svc *pipeline.Service, cfg Config) (*river.Client[pgx.Tx], error) {
	cfg.JobTimeout, cfg.RescueAfter = timeouts(cfg.JobTimeout, cfg.RescueAfter)
	rc := &river.Config{JobTimeout: cfg.JobTimeout, RescueStuckJobsAfter: cfg.RescueAfter}
	if cfg.Workers > 0 {
		workers := river.NewWorkers()
		outage := cfg.Outage.withDefaults()
		river.AddWorker(workers, &ProcessWorker{Service: svc, Outage: outage})
		river.AddWorker(workers, &CommitWorker{Service: svc, Outage: outage})
		river.AddWorker(workers, &RevalidateWorker{Service: svc, Outage: outage})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		if cfg.LLMWorkers > 0 {
			rc.Queues[QueueLLM] = river.QueueConfig{MaxWorkers: cfg.LLMWorkers}
		}
		rc.FetchPollInterval = cfg.FetchPoll
		rc.FetchCooldown = cfg.FetchCooldown
		if rc.FetchCooldown <= 0 {
			rc.FetchCooldown = 10 * time.Millisecond
		}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("river: %w", err)
	}
	return client, nil
}

// DefaultJobTimeout bounds an attempt when neither Config.JobTimeout nor a
// shorter Config.RescueAfter is set.
const DefaultJobTimeout = 5 * time.Minute

// timeouts returns the bound of an attempt and the time after which a
// running job is taken as stuck, the second always strictly larger than
// the first: a job is rescued (run again) only once its attempt has
// certainly timed out, so a live job never runs twice at once.
//
// A short rescue time (DOCFLOW_RESCUE_AFTER) shortens the default bound of
// an attempt to four fifths of it rather than being raised past it, so a
// killed worker's jobs come back after the time the operator chose. An
// explicit job timeout at least the rescue time raises the rescue time to
// the timeout plus a minute.
func timeouts(jobTimeout, rescueAfter time.Duration) (time.Duration, time.Duration) {
	if jobTimeout <= 0 {
		jobTimeout = DefaultJobTimeout
		if rescueAfter > 0 && rescueAfter*4/5 < jobTimeout {
			jobTimeout = max(rescueAfter*4/5, time.Millisecond)
		}
	}
	if rescueAfter <= jobTimeout {
		rescueAfter = jobTimeout + time.Minute
	}
	return jobTimeout, rescueAfter
}

// QueueLLM is the queue of the process stage when a model is configured.
const QueueLLM = "llm"

// Inserter enqueues pipeline jobs with River inside a transaction.
type Inserter struct {
	Client *river.Client[pgx.Tx]
	// ProcessQueue is the queue of process jobs ("" for River's default).
	ProcessQueue string
}

// EnqueueTx inserts the job in tx.
func (i Inserter) EnqueueTx(ctx context.Context, tx pgx.Tx, job pipeline.Job) error {
	var args river.JobArgs
	tp := tracing.TraceParent(ctx)
	switch job.Kind {
	case pipeline.JobProcess:
		args = ProcessArgs{TenantID: job.TenantID, DocumentID: job.DocumentID, TraceParent: tp}
	case pipeline.JobCommit:
		args = CommitArgs{TenantID: job.TenantID, DocumentID: job.DocumentID, TraceParent: tp}
	case pipeline.JobRevalidate:
		args = RevalidateArgs{TenantID: job.TenantID, DocumentID: job.DocumentID, TraceParent: tp}
	default:
		return fmt.Errorf("queue: unknown job kind %q", job.Kind)
	}
	var opts *river.InsertOpts
	if _, ok := args.(ProcessArgs); ok && i.ProcessQueue != "" {
		opts = &river.InsertOpts{Queue: i.ProcessQueue, MaxAttempts: MaxAttempts}
	}
	_, err := i.Client.InsertTx(ctx, tx, args, opts)
	return err
}
