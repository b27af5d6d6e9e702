// Package jobs is the service's durable work queue. It runs River on the
// service database, so a caller can commit its own rows and the work that
// follows from them in one transaction: if the transaction rolls back, the
// job was never queued; once it commits, the job runs at least once, even if
// the process that was running it is killed.
//
// River's own types (river.JobArgs, river.Worker, river.InsertOpts,
// rivertype.JobRow) are used as they are; this package adds the wiring for
// both databases, per-kind retry policies and a way for tests to wait until
// the queue is idle.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Config tunes a Queue. The zero value is the embedded default: one
// "default" queue with four workers, ten attempts per job, exponential
// backoff from 15 seconds to an hour, a ten-minute job timeout and rescue of
// jobs left running for fifteen minutes.
type Config struct {
	// Queues maps queue names to the number of jobs of that queue this
	// process runs at once. Default: {"default": 4}.
	Queues map[string]int

	// MaxAttempts is how many times a job is tried before it is discarded,
	// unless its kind or its insert options say otherwise. Default 10.
	MaxAttempts int

	// Backoff spaces the retries of failed jobs whose kind has no policy of
	// its own. Default: DefaultBackoff.
	Backoff Backoff

	// JobTimeout cancels the context of a job that runs longer, unless its
	// kind or worker says otherwise. Default 10 minutes.
	JobTimeout time.Duration

	// RescueStuckJobsAfter is how long a job may stay "running" before it is
	// taken for dead (its process crashed or was killed) and retried. It
	// must exceed every job timeout. Default: the longest timeout plus five
	// minutes.
	RescueStuckJobsAfter time.Duration

	// Kinds holds per-kind policies, keyed by the job kind (JobArgs.Kind).
	Kinds map[string]KindPolicy

	// FetchPollInterval is how often idle workers look for new jobs when no
	// notification arrives. Default 1 second.
	FetchPollInterval time.Duration

	// CompletedRetention is how long finished jobs are kept for inspection.
	// Default 24 hours.
	CompletedRetention time.Duration

	// DiscardedRetention is how long jobs that ran out of attempts are kept.
	// Default 7 days.
	DiscardedRetention time.Duration

	// Logger receives River's log output. Default: slog.Default().
	Logger *slog.Logger

	// Periodic lists jobs River inserts on a schedule, such as retention
	// purges; the elected leader among the nodes inserts them, so each
	// runs once per period across the cluster.
	Periodic []*river.PeriodicJob

	// testOnly trims River's start-up jitter; set by tests in this package.
	testOnly bool
}

// KindPolicy overrides the queue-wide defaults for one job kind. Zero
// fields fall back to the Config values.
type KindPolicy struct {
	// MaxAttempts is how many times a job of this kind is tried.
	MaxAttempts int
	// Backoff spaces this kind's retries.
	Backoff Backoff
	// Timeout bounds one attempt of this kind.
	Timeout time.Duration
}

// Backoff describes exponential retry spacing: the n-th retry waits
// Initial × Multiplier^(n-1), at most Max, spread by ±Jitter of itself so
// that many jobs failing together do not retry together.
type Backoff struct {
	// Initial is the wait before the first retry.
	Initial time.Duration
	// Max caps the wait.
	Max time.Duration
	// Multiplier grows the wait per attempt. Default 2.
	Multiplier float64
	// Jitter is the fraction (0..1) by which a wait is randomly shortened
	// or lengthened. Zero means no jitter.
	Jitter float64
}

// DefaultBackoff is the queue-wide retry spacing when none is configured.
var DefaultBackoff = Backoff{Initial: 15 * time.Second, Max: time.Hour, Multiplier: 2, Jitter: 0.1}

func (b Backoff) isZero() bool { return b.Initial == 0 && b.Max == 0 }

// Delay returns the wait before retrying after the given attempt (1 = the
// first run failed).
func (b Backoff) Delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	m := b.Multiplier
	if m < 1 {
		m = 2
	}
	d := float64(b.Initial) * math.Pow(m, float64(attempt-1))
	if b.Max > 0 && d > float64(b.Max) {
		d = float64(b.Max)
	}
	if b.Jitter > 0 {
		d += d * b.Jitter * (2*rand.Float64() - 1)
	}
	if d < 0 {
		d = 0
	}
	return time.Duration(d)
}

func (c Config) withDefaults() Config {
	if len(c.Queues) == 0 {
		c.Queues = map[string]int{river.QueueDefault: 4}
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Backoff.isZero() {
		c.Backoff = DefaultBackoff
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 10 * time.Minute
	}
	if c.RescueStuckJobsAfter <= 0 {
		longest := c.JobTimeout
		for _, k := range c.Kinds {
			longest = max(longest, k.Timeout)
		}
		c.RescueStuckJobsAfter = longest + 5*time.Minute
	}
	if c.FetchPollInterval <= 0 {
		c.FetchPollInterval = time.Second
	}
	if c.CompletedRetention <= 0 {
		c.CompletedRetention = 24 * time.Hour
	}
	if c.DiscardedRetention <= 0 {
		c.DiscardedRetention = 7 * 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) validate() error {
	for name, n := range c.Queues {
		if n < 1 {
			return fmt.Errorf("jobs: queue %q has %d workers; give it at least 1", name, n)
		}
	}
	if c.JobTimeout >= c.RescueStuckJobsAfter {
		return fmt.Errorf("jobs: RescueStuckJobsAfter (%v) must exceed JobTimeout (%v), or running jobs would be rescued while alive",
			c.RescueStuckJobsAfter, c.JobTimeout)
	}
	for kind, k := range c.Kinds {
		if k.Timeout >= c.RescueStuckJobsAfter {
			return fmt.Errorf("jobs: kind %q: timeout %v must be below RescueStuckJobsAfter (%v)", kind, k.Timeout, c.RescueStuckJobsAfter)
		}
	}
	return nil
}

// Queue is the job queue of one process. Register workers first, then
// insert and start; a Queue that is never started can still insert jobs
// for other processes to run.
type Queue struct {
	db  *store.DB
	cfg Config

	mu       sync.Mutex
	workers  *river.Workers
	client   *river.Client[*sql.Tx]
	ownDB    *sql.DB       // SQLite: River's one-connection pool
	listener *pgxpool.Pool // PostgreSQL: LISTEN connection
	started  bool
}

// New returns a queue on db. It opens no connection until first used. On
// SQLite the queue opens a second pool on db.DSN, so the database must be a
// file, not ":memory:".
func New(db *store.DB, cfg Config) (*Queue, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Queue{db: db, cfg: cfg, workers: river.NewWorkers()}, nil
}

// Register adds the worker for jobs of kind T. All workers must be
// registered before the queue is first used (insert or start).
func Register[T river.JobArgs](q *Queue, w river.Worker[T]) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	if q.client != nil {
		return fmt.Errorf("jobs: register %q: the queue is already in use; register every worker before the first insert or Start", zero.Kind())
	}
	p := q.cfg.Kinds[zero.Kind()]
	wrapped := &policyWorker[T]{Worker: w, timeout: p.Timeout, backoff: p.Backoff}
	if err := river.AddWorkerSafely(q.workers, river.Worker[T](wrapped)); err != nil {
		return fmt.Errorf("jobs: register %q: %w", zero.Kind(), err)
	}
	return nil
}

// policyWorker applies a kind's timeout and backoff unless the worker
// itself overrides them.
type policyWorker[T river.JobArgs] struct {
	river.Worker[T]
	timeout time.Duration
	backoff Backoff
}

// Timeout prefers the worker's own timeout, then the kind's.
func (w *policyWorker[T]) Timeout(job *river.Job[T]) time.Duration {
	if d := w.Worker.Timeout(job); d != 0 {
		return d
	}
	return w.timeout
}

// NextRetry prefers the worker's own schedule, then the kind's backoff.
func (w *policyWorker[T]) NextRetry(job *river.Job[T]) time.Time {
	if t := w.Worker.NextRetry(job); !t.IsZero() {
		return t
	}
	if w.backoff.isZero() {
		return time.Time{} // the client's policy decides
	}
	return time.Now().Add(w.backoff.Delay(job.Attempt))
}

// retryPolicy is the queue-wide backoff.
type retryPolicy struct{ b Backoff }

// NextRetry implements river.ClientRetryPolicy.
func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(p.b.Delay(job.Attempt))
}

// Client returns the River client, creating it on first use, for the
// operations this package does not wrap (JobGet, JobList, JobCancel...).
func (q *Queue) Client() (*river.Client[*sql.Tx], error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.clientLocked()
}

func (q *Queue) clientLocked() (*river.Client[*sql.Tx], error) {
	if q.client != nil {
		return q.client, nil
	}
	driver, err := q.driver(context.Background())
	if err != nil {
		return nil, err
	}
	queues := make(map[string]river.QueueConfig, len(q.cfg.Queues))
	for name, n := range q.cfg.Queues {
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	c, err := river.NewClient(driver, &river.Config{
		Queues:                      queues,
		Workers:                     q.workers,
		MaxAttempts:                 q.cfg.MaxAttempts,
		RetryPolicy:                 retryPolicy{q.cfg.Backoff},
		JobTimeout:                  q.cfg.JobTimeout,
		RescueStuckJobsAfter:        q.cfg.RescueStuckJobsAfter,
		FetchPollInterval:           q.cfg.FetchPollInterval,
		FetchCooldown:               min(100*time.Millisecond, q.cfg.FetchPollInterval),
		CompletedJobRetentionPeriod: q.cfg.CompletedRetention,
		DiscardedJobRetentionPeriod: q.cfg.DiscardedRetention,
		Logger:                      q.cfg.Logger,
		PeriodicJobs:                q.cfg.Periodic,
		TestOnly:                    q.cfg.testOnly,
	})
	if err != nil {
		q.closePools()
		return nil, fmt.Errorf("jobs: start River client: %w", err)
	}
	q.client = c
	return c, nil
}

// driver picks River's driver for the dialect. Both take *sql.Tx, so
// InsertTx accepts a transaction from the service's own pool on either
// database.
func (q *Queue) driver(ctx context.Context) (riverdriver.Driver[*sql.Tx], error) {
	if q.db.Dialect == store.SQLite {
		// River runs several maintenance loops at once; on its own pool
		// of one connection they queue up instead of failing with
		// SQLITE_BUSY. The service keeps its pool, and a caller's
		// transaction from that pool can still insert jobs.
		own, err := sql.Open("sqlite", q.db.DSN)
		if err != nil {
			return nil, fmt.Errorf("jobs: open SQLite pool: %w", err)
		}
		own.SetMaxOpenConns(1)
		q.ownDB = own
		return riversqlite.New(own), nil
	}
	pcfg, err := pgxpool.ParseConfig(q.db.DSN)
	if err != nil {
		return nil, fmt.Errorf("jobs: PostgreSQL listener: %w", err)
	}
	pcfg.MinConns = 0
	pcfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: PostgreSQL listener: %w", err)
	}
	q.listener = pool
	return riverdatabasesql.NewWithPgxListener(q.db.DB, pool), nil
}

func (q *Queue) closePools() {
	if q.ownDB != nil {
		q.ownDB.Close()
		q.ownDB = nil
	}
	if q.listener != nil {
		q.listener.Close()
		q.listener = nil
	}
}

// Start begins working jobs. It returns once the workers run; they stop
// when Stop is called or ctx is cancelled.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	c, err := q.clientLocked()
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	q.started = true
	return nil
}

// Stop waits for running jobs to finish and their results to be recorded,
// then releases the queue's connections. If ctx ends first, running jobs
// are cancelled (they will be retried) and Stop returns ctx's error. It
// also waits out a stop begun by cancelling Start's context. A stopped
// queue cannot be reused; make a new one.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var err error
	if c := q.client; c != nil && q.started {
		// Stop returns at once when a stop is already under way, so wait
		// for the end as well: closing the pools earlier would lose the
		// results of jobs still finishing.
		if err = c.Stop(ctx); err == nil {
			select {
			case <-c.Stopped():
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		if err != nil && ctx.Err() != nil {
			hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if herr := c.StopAndCancel(hard); herr != nil {
				err = errors.Join(err, herr)
			}
			cancel()
		}
		q.started = false
	}
	q.closePools()
	if err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// InsertTx queues a job inside tx, which may come from the service's own
// pool: the job exists if and only if tx commits. opts may be nil. With
// unique options (opts.UniqueOpts) a duplicate insert returns the existing
// job with UniqueSkippedAsDuplicate set.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := q.Client()
	if err != nil {
		return nil, err
	}
	res, err := c.InsertTx(ctx, tx, args, q.opts(args, opts))
	if err != nil {
		return nil, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Insert queues a job on its own, committed at once.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := q.Client()
	if err != nil {
		return nil, err
	}
	res, err := c.Insert(ctx, args, q.opts(args, opts))
	if err != nil {
		return nil, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return res, nil
}

// opts applies the kind's MaxAttempts unless the caller or the args set one.
func (q *Queue) opts(args river.JobArgs, opts *river.InsertOpts) *river.InsertOpts {
	p, ok := q.cfg.Kinds[args.Kind()]
	if !ok || p.MaxAttempts == 0 || (opts != nil && opts.MaxAttempts != 0) {
		return opts
	}
	if a, ok := args.(river.JobArgsWithInsertOpts); ok && a.InsertOpts().MaxAttempts != 0 {
		return opts
	}
	var o river.InsertOpts
	if opts != nil {
		o = *opts
	}
	o.MaxAttempts = p.MaxAttempts
	return &o
}

// WaitIdle blocks until no job is available or running and no job waits
// for a retry or a schedule due within the next `within`. Tests use it to
// run the queue until there is nothing left to do.
func (q *Queue) WaitIdle(ctx context.Context, within time.Duration) error {
	c, err := q.Client()
	if err != nil {
		return err
	}
	for {
		busy, err := q.busy(ctx, c, within)
		if err != nil {
			return err
		}
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jobs: wait for idle queue: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (q *Queue) busy(ctx context.Context, c *river.Client[*sql.Tx], within time.Duration) (bool, error) {
	now, err := c.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateAvailable, rivertype.JobStateRunning).First(1))
	if err != nil {
		return false, fmt.Errorf("jobs: list jobs: %w", err)
	}
	if len(now.Jobs) > 0 {
		return true, nil
	}
	later, err := c.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateRetryable, rivertype.JobStateScheduled).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).First(1))
	if err != nil {
		return false, fmt.Errorf("jobs: list jobs: %w", err)
	}
	return len(later.Jobs) > 0 && time.Until(later.Jobs[0].ScheduledAt) < within, nil
}

// ErrNoRows is returned by Get when no job has the id.
var ErrNoRows = errors.New("jobs: no such job")

// Get returns the stored state of a job.
func (q *Queue) Get(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	c, err := q.Client()
	if err != nil {
		return nil, err
	}
	j, err := c.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("jobs: job %d: %w", id, ErrNoRows)
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: job %d: %w", id, err)
	}
	return j, nil
}
