package jobs

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

type markArgs struct {
	Mark string `json:"mark"`
}

func (markArgs) Kind() string { return "test_mark" }

// markWorker records the marks it ran and fails the first `fail` attempts
// of every job (fail < 0: every attempt).
type markWorker struct {
	river.WorkerDefaults[markArgs]
	mu   sync.Mutex
	runs []string
	fail int
}

func (w *markWorker) Work(ctx context.Context, job *river.Job[markArgs]) error {
	w.mu.Lock()
	w.runs = append(w.runs, job.Args.Mark)
	w.mu.Unlock()
	if w.fail < 0 || job.Attempt <= w.fail {
		return fmt.Errorf("attempt %d refused on purpose", job.Attempt)
	}
	return nil
}

func (w *markWorker) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.runs)
}

func testConfig() Config {
	return Config{
		Queues:            map[string]int{river.QueueDefault: 2},
		Backoff:           Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond},
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		testOnly:          true,
	}
}

// newQueue migrates River's tables and returns a queue with w registered,
// stopped when the test ends.
func newQueue(t *testing.T, db *store.DB, cfg Config, w *markWorker) *Queue {
	t.Helper()
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(q, river.Worker[markArgs](w)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return q
}

func waitIdle(t *testing.T, q *Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.WaitIdle(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestInsertTxRunsOnlyWhenCommitted(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &markWorker{}
		q := newQueue(t, db, testConfig(), w)

		// Both transactions come from the service's pool, not River's.
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := q.InsertTx(ctx, tx, markArgs{Mark: "committed"}, nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.InsertTx(ctx, tx, markArgs{Mark: "rolled back"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}

		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, q)
		if got := w.seen(); !slices.Equal(got, []string{"committed"}) {
			t.Fatalf("worker ran %q, want only [committed]", got)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("river_job holds %d rows, want 1", n)
		}
	})
}

func TestJobSurvivesStopAndNewQueue(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A node that runs, takes a job for a queue it does not work, and
		// shuts down.
		cfg := testConfig()
		cfg.Queues = map[string]int{"other": 1}
		first := newQueue(t, db, cfg, &markWorker{})
		if err := first.Start(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := first.Insert(ctx, markArgs{Mark: "left behind"}, &river.InsertOpts{Queue: river.QueueDefault})
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Stop(ctx); err != nil {
			t.Fatal(err)
		}

		w := &markWorker{}
		second := newQueue(t, db, testConfig(), w)
		if err := second.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, second)
		if got := w.seen(); !slices.Equal(got, []string{"left behind"}) {
			t.Fatalf("new queue ran %q, want [left behind]", got)
		}
		job, err := second.Get(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != rivertype.JobStateCompleted {
			t.Fatalf("job state %s, want completed", job.State)
		}
	})
}

func TestFailingJobIsRetriedThenDiscarded(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := testConfig()
		cfg.Kinds = map[string]KindPolicy{"test_mark": {MaxAttempts: 3}}
		w := &markWorker{fail: -1}
		q := newQueue(t, db, cfg, w)
		res, err := q.Insert(ctx, markArgs{Mark: "doomed"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Job.MaxAttempts != 3 {
			t.Fatalf("MaxAttempts %d, want the kind's 3", res.Job.MaxAttempts)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, q)
		job, err := q.Get(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != rivertype.JobStateDiscarded || job.Attempt != 3 {
			t.Fatalf("job state %s after %d attempts, want discarded after 3", job.State, job.Attempt)
		}
		if n := len(w.seen()); n != 3 {
			t.Fatalf("worker ran %d times, want 3", n)
		}
		if len(job.Errors) != 3 || !strings.Contains(job.Errors[2].Error, "refused on purpose") {
			t.Fatalf("recorded errors %+v, want three worker errors", job.Errors)
		}
	})
}

func TestFailingJobSucceedsOnRetry(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &markWorker{fail: 2}
		q := newQueue(t, db, testConfig(), w)
		res, err := q.Insert(ctx, markArgs{Mark: "flaky"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, q)
		job, err := q.Get(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != rivertype.JobStateCompleted || job.Attempt != 3 {
			t.Fatalf("job state %s after %d attempts, want completed on the 3rd", job.State, job.Attempt)
		}
	})
}

func TestUniqueInsertIsIdempotent(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := newQueue(t, db, testConfig(), &markWorker{})
		opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		var ids []int64
		for i := range 2 {
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				res, err := q.InsertTx(ctx, tx, markArgs{Mark: "once"}, opts)
				if err != nil {
					return err
				}
				if res.UniqueSkippedAsDuplicate != (i == 1) {
					t.Errorf("insert %d: UniqueSkippedAsDuplicate = %v", i, res.UniqueSkippedAsDuplicate)
				}
				ids = append(ids, res.Job.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if ids[0] != ids[1] {
			t.Fatalf("duplicate insert made job %d besides %d", ids[1], ids[0])
		}
		if _, err := q.Insert(ctx, markArgs{Mark: "other"}, opts); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("river_job holds %d rows, want 2", n)
		}
	})
}

// The crash test runs a worker in a child process (this test binary,
// re-executed), kills it with SIGKILL while the job runs, and checks that a
// fresh queue picks the job up again.
const childEnv = "FAXHAVEN_JOBS_TEST_CHILD_DB"

type hangArgs struct{}

func (hangArgs) Kind() string { return "test_hang" }

type hangWorker struct {
	river.WorkerDefaults[hangArgs]
	started func()
	done    chan int
}

func (w *hangWorker) Work(ctx context.Context, job *river.Job[hangArgs]) error {
	if w.started != nil {
		w.started()
		select {} // never returns: the parent kills us
	}
	w.done <- job.Attempt
	return nil
}

func TestChildWorker(t *testing.T) {
	u := os.Getenv(childEnv)
	if u == "" {
		t.Skip("helper for TestKilledWorkerJobIsRescued")
	}
	db, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	q, err := New(db, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	Register(q, river.Worker[hangArgs](&hangWorker{started: func() { fmt.Println("started") }}))
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The parent kills us long before this; the limit only keeps an
	// orphan from lingering if the parent itself died.
	time.Sleep(2 * time.Minute)
	os.Exit(1)
}

func TestKilledWorkerJobIsRescued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, u string) {
		db := storetest.Open(t, u)
		ctx := context.Background()
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		cfg := testConfig()
		cfg.JobTimeout = 500 * time.Millisecond
		cfg.RescueStuckJobsAfter = time.Second
		q, err := New(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		if err := Register(q, river.Worker[hangArgs](&hangWorker{done: done})); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Stop(context.Background()) })
		res, err := q.Insert(ctx, hangArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}

		child := exec.Command(os.Args[0], "-test.run=^TestChildWorker$")
		child.Env = append(os.Environ(), childEnv+"="+u)
		out, err := child.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		started := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "started" {
					started <- true
				}
			}
			close(started)
		}()
		select {
		case ok := <-started:
			if !ok {
				child.Wait()
				t.Fatal("child exited before starting the job")
			}
		case <-time.After(30 * time.Second):
			child.Process.Kill()
			t.Fatal("child never started the job")
		}
		child.Process.Kill() // SIGKILL: no clean shutdown, the job stays running
		child.Wait()

		job, err := q.Get(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != rivertype.JobStateRunning {
			t.Fatalf("after the kill the job is %s, want running", job.State)
		}
		// Let the job age past RescueStuckJobsAfter so the rescuer's
		// first pass, right after this queue becomes leader, takes it.
		time.Sleep(time.Until(job.AttemptedAt.Add(cfg.RescueStuckJobsAfter + 100*time.Millisecond)))
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case attempt := <-done:
			if attempt != 2 {
				t.Fatalf("rescued job ran as attempt %d, want 2", attempt)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("the killed worker's job was never run again")
		}
	})
}

func TestRegisterAfterUseFails(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	q := newQueue(t, db, testConfig(), &markWorker{})
	if _, err := q.Insert(context.Background(), markArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	err := Register(q, river.Worker[hangArgs](&hangWorker{}))
	if err == nil || !strings.Contains(err.Error(), "before the first insert") {
		t.Fatalf("Register after use: err = %v, want a refusal that says when to register", err)
	}
}

func TestConfigValidation(t *testing.T) {
	db := &store.DB{}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"rescue below timeout", Config{JobTimeout: time.Minute, RescueStuckJobsAfter: time.Second}, "must exceed JobTimeout"},
		{"kind timeout too long", Config{RescueStuckJobsAfter: time.Hour, JobTimeout: time.Minute,
			Kinds: map[string]KindPolicy{"fax_send": {Timeout: 2 * time.Hour}}}, `kind "fax_send"`},
		{"no workers", Config{Queues: map[string]int{"mail": 0}}, `queue "mail" has 0 workers`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(db, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	cfg := Config{Kinds: map[string]KindPolicy{"fax_send": {Timeout: 2 * time.Hour}}}.withDefaults()
	if cfg.RescueStuckJobsAfter <= 2*time.Hour {
		t.Fatalf("default RescueStuckJobsAfter %v does not cover the longest kind timeout", cfg.RescueStuckJobsAfter)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 10 * time.Second, Multiplier: 3}
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, time.Second}, {1, time.Second}, {2, 3 * time.Second}, {3, 9 * time.Second}, {4, 10 * time.Second}, {40, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := b.Delay(tt.attempt); got != tt.want {
			t.Errorf("Delay(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	b.Jitter = 0.5
	for range 100 {
		if d := b.Delay(2); d < 1500*time.Millisecond || d > 4500*time.Millisecond {
			t.Fatalf("Delay(2) with 50%% jitter = %v, outside 1.5s..4.5s", d)
		}
	}
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "test_slow" }

// slowWorker reports how long its context had left, then fails.
type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	left chan time.Duration
}

func (w *slowWorker) Work(ctx context.Context, job *river.Job[slowArgs]) error {
	d, ok := ctx.Deadline()
	if !ok {
		w.left <- -1
	} else {
		w.left <- time.Until(d)
	}
	return errors.New("failing to see the backoff")
}

func TestKindPolicyTimeoutAndBackoff(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		cfg := testConfig()
		cfg.Kinds = map[string]KindPolicy{"test_slow": {
			Timeout: 300 * time.Millisecond,
			Backoff: Backoff{Initial: time.Hour, Max: time.Hour},
		}}
		q, err := New(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		w := &slowWorker{left: make(chan time.Duration, 1)}
		if err := Register(q, river.Worker[slowArgs](w)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Stop(context.Background()) })
		res, err := q.Insert(ctx, slowArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case left := <-w.left:
			if left <= 0 || left > 300*time.Millisecond {
				t.Fatalf("job context had %v left, want the kind's 300ms timeout", left)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the job never ran")
		}
		waitIdle(t, q) // a retry an hour away does not count as busy
		job, err := q.Get(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		wait := time.Until(job.ScheduledAt)
		if job.State != rivertype.JobStateRetryable || wait < 59*time.Minute || wait > 61*time.Minute {
			t.Fatalf("job %s, next try in %v; want retryable in the kind's 1h", job.State, wait)
		}
	})
}

func TestPeriodicJobRuns(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := testConfig()
		cfg.Periodic = []*river.PeriodicJob{river.NewPeriodicJob(
			river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return markArgs{Mark: "purge"}, nil },
			&river.PeriodicJobOpts{RunOnStart: true},
		)}
		w := &markWorker{}
		q := newQueue(t, db, cfg, w)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(w.seen()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the periodic job never ran")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := w.seen(); !slices.Equal(got, []string{"purge"}) {
			t.Fatalf("worker ran %q, want [purge] once", got)
		}
	})
}

type napArgs struct{}

func (napArgs) Kind() string { return "test_nap" }

// napWorker takes a while and ignores cancellation, like a job finishing
// its last step during shutdown.
type napWorker struct {
	river.WorkerDefaults[napArgs]
	started chan struct{}
}

func (w *napWorker) Work(ctx context.Context, job *river.Job[napArgs]) error {
	close(w.started)
	time.Sleep(300 * time.Millisecond)
	return nil
}

func TestStopAfterStartContextEndsKeepsResults(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		q, err := New(db, testConfig())
		if err != nil {
			t.Fatal(err)
		}
		w := &napWorker{started: make(chan struct{})}
		if err := Register(q, river.Worker[napArgs](w)); err != nil {
			t.Fatal(err)
		}
		res, err := q.Insert(ctx, napArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		if err := q.Start(runCtx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-w.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the job never started")
		}
		cancel() // as a signal does to "faxhaven serve"
		if err := q.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		var state string
		if err := db.QueryRowContext(ctx, "SELECT state FROM river_job WHERE id = $1", res.Job.ID).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state != string(rivertype.JobStateCompleted) {
			t.Fatalf("after Stop the job is %s, want completed (its result was lost)", state)
		}
	})
}
