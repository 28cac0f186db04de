package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

var _ crosscheck.BreakerState = postgres.BreakerState{}

var providerDown = fmt.Errorf("%w: 503", derrors.Transient)

// fakeClock is the processes' common clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingState counts the reads of the shared state.
type countingState struct {
	crosscheck.BreakerState
	loads atomic.Int64
}

func (s *countingState) Load(ctx context.Context, name string) (time.Time, time.Time, error) {
	s.loads.Add(1)
	return s.BreakerState.Load(ctx, name)
}

// processes returns two breakers over one database, each on its own pool,
// as in two worker processes.
func processes(t *testing.T, clock *fakeClock, syncEvery time.Duration) (a, b *crosscheck.Breaker, loadsB *countingState) {
	t.Helper()
	url := dbtest.PostgresURL(t)
	breaker := func(st crosscheck.BreakerState) *crosscheck.Breaker {
		return &crosscheck.Breaker{Threshold: 3, Cooldown: time.Minute, Now: clock.Now,
			State: st, Name: "openai/gpt-test", SyncEvery: syncEvery}
	}
	pool := func() *postgres.BreakerState {
		p, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		s := postgres.NewBreakerState(p)
		return &s
	}
	loadsB = &countingState{BreakerState: pool()}
	return breaker(pool()), breaker(loadsB), loadsB
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

// TestBreakerOpeningIsShared: once process A has opened the breaker,
// process B stops asking the provider within its sync interval, without a
// failure of its own; a closed breaker reads the database at most once
// per interval.
func TestBreakerOpeningIsShared(t *testing.T) {
	t.Parallel()
	clock := newClock()
	a, b, st := processes(t, clock, 0) // the default interval, 1 s
	for range 100 {
		if !b.Allow() {
			t.Fatal("B: a closed breaker refuses")
		}
		b.Success()
	}
	if n := st.loads.Load(); n != 1 {
		t.Errorf("B read the shared state %d times in one second, want once", n)
	}
	for range 3 {
		if !a.Allow() {
			t.Fatal("A refuses before its third failure")
		}
		a.Failure(providerDown)
	}
	if !a.Open() || a.Allow() {
		t.Fatal("A is not open after three failures")
	}
	clock.Add(999 * time.Millisecond)
	if !b.Allow() || st.loads.Load() != 1 {
		t.Errorf("B read the shared state within the interval (%d reads)", st.loads.Load())
	}
	b.Success() // the call B made: it cannot close what B has not seen
	clock.Add(time.Millisecond)
	if b.Allow() {
		t.Fatal("B asks the provider one second after A opened the breaker")
	}
	if !b.Open() || b.RetryIn() != 59*time.Second {
		t.Errorf("B: open %v, retry in %s, want 59s", b.Open(), b.RetryIn())
	}
	if n := st.loads.Load(); n != 2 {
		t.Errorf("B read the shared state %d times, want 2", n)
	}
	if !a.Open() || a.Allow() {
		t.Error("A was closed by B's call from before the opening")
	}
}

// allowed counts the calls allowed among n concurrent ones in each breaker.
func allowed(n int, bs ...*crosscheck.Breaker) (int, []int) {
	var wg sync.WaitGroup
	per := make([]atomic.Int64, len(bs))
	for i, b := range bs {
		for range n {
			wg.Go(func() {
				if b.Allow() {
					per[i].Add(1)
				}
			})
		}
	}
	wg.Wait()
	total, each := 0, make([]int, len(bs))
	for i := range per {
		each[i] = int(per[i].Load())
		total += each[i]
	}
	return total, each
}

// TestBreakerProbeIsShared: after the cooldown one probe goes, from one of
// the processes only; its failure opens the breaker again everywhere, and
// its success closes it everywhere.
func TestBreakerProbeIsShared(t *testing.T) {
	t.Parallel()
	clock := newClock()
	a, b, _ := processes(t, clock, -1) // read on every call
	for range 3 {
		a.Failure(providerDown)
	}
	if b.Allow() || a.Allow() {
		t.Fatal("open in A, yet a call is allowed")
	}
	clock.Add(time.Minute)
	gotA, gotB := a.Allow(), b.Allow()
	if gotA == gotB {
		t.Fatalf("half-open: A allowed %v, B allowed %v, want exactly one probe", gotA, gotB)
	}
	if a.Allow() || b.Allow() {
		t.Fatal("a second probe while the first is in flight")
	}
	probe, other := a, b
	if gotB {
		probe, other = b, a
	}
	probe.Failure(providerDown)
	for name, br := range map[string]*crosscheck.Breaker{"prober": probe, "other": other} {
		if br.Allow() || !br.Open() || br.RetryIn() != time.Minute {
			t.Fatalf("%s: a failed probe did not open the breaker again for a cooldown (retry in %s)", name, br.RetryIn())
		}
	}

	clock.Add(time.Minute)
	if total, each := allowed(50, a, b); total != 1 {
		t.Fatalf("second cooldown over: %d probes (A %d, B %d), want 1", total, each[0], each[1])
	}
	clock.Add(time.Minute + time.Second) // the probe never reported: it is lost
	total, each := allowed(50, a, b)
	if total != 1 {
		t.Fatalf("probe lost: %d probes (A %d, B %d), want 1", total, each[0], each[1])
	}
	probe, other = a, b
	if each[1] == 1 {
		probe, other = b, a
	}
	probe.Success()
	for name, br := range map[string]*crosscheck.Breaker{"prober": probe, "other": other} {
		if !br.Allow() || !br.Allow() || br.Open() || br.RetryIn() != 0 {
			t.Errorf("%s: not closed after the probe's success", name)
		}
	}
	// Closed everywhere, with nothing left over: it opens again as new.
	for range 2 {
		other.Failure(providerDown)
	}
	if other.Open() || !probe.Allow() {
		t.Error("open again before the threshold")
	}
}

// TestBreakerStateClaimOnce: of many concurrent claims of a probe, one
// wins; none before the cooldown's end, none while a claim runs, none
// while closed.
func TestBreakerStateClaimOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := postgres.NewBreakerState(dbtest.Postgres(t))
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if ok, err := st.ClaimProbe(ctx, "x", now, now.Add(time.Minute)); ok || err != nil {
		t.Fatalf("claimed a probe of a breaker never opened (%v)", err)
	}
	if err := st.Opened(ctx, "x", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if until, at, err := st.Load(ctx, "x"); err != nil || !until.Equal(now.Add(time.Minute)) || !at.Equal(now) {
		t.Fatalf("Load = %s %s %v", until, at, err)
	}
	if ok, _ := st.ClaimProbe(ctx, "x", now.Add(59*time.Second), now.Add(2*time.Minute)); ok {
		t.Fatal("claimed before the cooldown's end")
	}
	claim := func(at time.Time) int {
		var wins atomic.Int64
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				ok, err := st.ClaimProbe(ctx, "x", at, at.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		return int(wins.Load())
	}
	if n := claim(now.Add(time.Minute)); n != 1 {
		t.Fatalf("%d claims won, want 1", n)
	}
	if n := claim(now.Add(90 * time.Second)); n != 0 {
		t.Fatalf("%d claims won while the first runs, want 0", n)
	}
	if n := claim(now.Add(2 * time.Minute)); n != 1 {
		t.Fatalf("%d claims won after the first ran out, want 1", n)
	}
	if err := st.Closed(ctx, "x", now.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if until, at, err := st.Load(ctx, "x"); err != nil || !until.IsZero() || !at.Equal(now.Add(3*time.Minute)) {
		t.Fatalf("Load after Closed = %s %s %v", until, at, err)
	}
	if n := claim(now.Add(time.Hour)); n != 0 {
		t.Fatalf("%d claims of a closed breaker won", n)
	}
	if until, _, err := st.Load(ctx, "y"); err != nil || !until.IsZero() {
		t.Errorf("a breaker never recorded: %s %v", until, err)
	}
}

// TestBreakerStateDown: with its database gone, a breaker works in its
// process alone, and says so once.
func TestBreakerStateDown(t *testing.T) {
	// Not parallel: it replaces the default logger.
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))

	pool := dbtest.Postgres(t)
	pool.Close()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	b := &crosscheck.Breaker{Threshold: 2, Cooldown: time.Minute, Now: func() time.Time { return now },
		State: postgres.NewBreakerState(pool), SyncEvery: -1}
	b.Failure(providerDown)
	if !b.Allow() || b.Open() {
		t.Fatal("open after one failure of two")
	}
	if !b.Failure(providerDown) || b.Allow() || b.RetryIn() != time.Minute {
		t.Fatalf("not open after two failures (retry in %s)", b.RetryIn())
	}
	now = now.Add(time.Minute)
	if !b.Allow() || b.Allow() {
		t.Fatal("half-open: want one probe, and only one")
	}
	b.Failure(providerDown)
	if b.Allow() || b.RetryIn() != time.Minute {
		t.Fatal("a failed probe did not open the breaker again")
	}
	now = now.Add(time.Minute)
	if !b.Allow() {
		t.Fatal("no probe after the second cooldown")
	}
	b.Success()
	if !b.Allow() || !b.Allow() || b.Open() {
		t.Fatal("not closed after the probe's success")
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "shared state unavailable") {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}

	// The database goes while the breaker is open: the probe goes from
	// this process.
	logs.Reset()
	pool = dbtest.Postgres(t)
	b = &crosscheck.Breaker{Threshold: 1, Cooldown: time.Minute, Now: func() time.Time { return now },
		State: postgres.NewBreakerState(pool), SyncEvery: -1}
	if !b.Failure(providerDown) || b.Allow() {
		t.Fatal("not open after a failure of one")
	}
	if until, _, err := postgres.NewBreakerState(pool).Load(context.Background(), "llm"); err != nil || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("the opening is not recorded under the default name: %s %v", until, err)
	}
	pool.Close()
	now = now.Add(time.Minute)
	if !b.Allow() || b.Allow() {
		t.Fatal("half-open, database gone: want one probe, and only one")
	}
	b.Success()
	if !b.Allow() || b.Open() {
		t.Fatal("not closed after the probe's success")
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
}

// TestReleasedProbeGoesToAnyProcess: a probe claimed by process A that
// did not reach the provider (an answer from a cache) is given back: B,
// or A again, may probe at once instead of waiting for the claim to run
// out; a verdict then holds for both.
func TestReleasedProbeGoesToAnyProcess(t *testing.T) {
	t.Parallel()
	clock := newClock()
	a, b, _ := processes(t, clock, -1) // read the state at every call
	for range 3 {
		a.Allow()
		a.Failure(providerDown)
	}
	clock.Add(time.Minute + time.Second)
	if !a.Allow() {
		t.Fatal("A: no probe after the cooldown")
	}
	if b.Allow() {
		t.Fatal("B probes while A holds the claim")
	}
	a.Release()
	if !b.Allow() {
		t.Fatal("B may not probe after A gave its claim back")
	}
	if a.Allow() {
		t.Error("A probes while B holds the claim")
	}
	b.Success()
	if !a.Allow() || a.Open() {
		t.Error("A still open after B's probe succeeded")
	}
}
