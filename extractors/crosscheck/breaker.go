package crosscheck

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/docflow/docflow/derrors"
)

// Breaker is a circuit breaker for the model provider: after Threshold
// transient failures in a row it opens for Cooldown, during which the
// provider is not asked; then it is half-open: one call at a time (a
// probe) tries the provider again, and its success closes the breaker
// while its failure opens it for another Cooldown. A nil Breaker never
// opens. It is safe for concurrent use.
//
// Without State the breaker is this process's alone. With State, the
// worker processes that share it share the breaker: an opening, a closing
// and the half-open probe are recorded there, so that one process's
// finding holds for all (within SyncEvery), and only one probe goes per
// Cooldown across them. The failures that open it are still counted per
// process.
type Breaker struct {
	Threshold int
	Cooldown  time.Duration
	// Now returns the time; nil means time.Now.
	Now func() time.Time

	// State, when set, is the breaker's state shared between processes
	// (storage/postgres BreakerState). While it fails (its database is
	// down), the breaker works in this process alone, and a warning is
	// logged once per outage. A call to it never takes longer than
	// StateTimeout.
	State BreakerState
	// Name is the breaker's key in State, e.g. the provider and its model;
	// empty means "llm".
	Name string
	// SyncEvery is how often State is read to learn what other processes
	// found (the time between reads, on the breaker's clock): zero means
	// DefaultSyncEvery, a negative value reads it on every call. A closed
	// breaker costs no more than one read per SyncEvery.
	SyncEvery time.Duration

	mu       sync.Mutex
	failures int
	// open is true from the Threshold-th failure until a success.
	open bool
	// openUntil ends the cooldown; from then a probe may go.
	openUntil time.Time
	// probeSince is when the probe in flight went, zero when none is.
	probeSince time.Time

	// Shared state (State set) only.
	// changedAt is when this process last opened or closed the breaker, or
	// when the state it took from State changed there.
	changedAt time.Time
	// gen counts this process's openings and closings, so that a read of
	// State that was under way during one is not taken.
	gen uint64
	// dirty is true while this process's last change could not be
	// recorded in State.
	dirty bool
	// syncing is true while a read of State is under way; syncedAt is
	// when the last one began.
	syncing  bool
	syncedAt time.Time
	// claimAfter is when this process may try again to claim the probe
	// that another process holds.
	claimAfter time.Time
	// claimUntil ends the probe claim this process holds in State, zero
	// when it holds none (Release gives it back).
	claimUntil time.Time
	// stateDown is true from a failure of State to its next success.
	stateDown bool
}

// BreakerState keeps the state of circuit breakers shared between
// processes, by name. Times are the caller's, so that every process
// compares the same values. Implementations must be safe for concurrent
// use by several processes.
type BreakerState interface {
	// Load returns when the breaker's cooldown ends (zero while it is
	// closed, or was never recorded) and when it last opened or closed.
	Load(ctx context.Context, name string) (openUntil, changedAt time.Time, err error)
	// Opened records that the breaker opened (or opened again) at at, for
	// a cooldown until until; no probe is in flight.
	Opened(ctx context.Context, name string, at, until time.Time) error
	// Closed records that the breaker closed at at.
	Closed(ctx context.Context, name string, at time.Time) error
	// ClaimProbe claims the half-open breaker's probe at now, until until,
	// and reports whether the caller got it: only when the breaker is
	// open, its cooldown has ended by now, and no other claim runs past
	// now. One claimant at most wins, across processes.
	ClaimProbe(ctx context.Context, name string, now, until time.Time) (bool, error)
	// ReleaseProbe gives back the claim that ended at until, if it is
	// still the one recorded (a probe that did not reach the provider).
	ReleaseProbe(ctx context.Context, name string, until time.Time) error
}

// DefaultSyncEvery is how often a breaker with a State reads it, unless
// SyncEvery says otherwise.
const DefaultSyncEvery = time.Second

// StateTimeout bounds each call of a Breaker to its State, so that a
// database that does not answer holds a model call for no longer.
const StateTimeout = time.Second

func (b *Breaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Breaker) name() string {
	if b.Name == "" {
		return "llm"
	}
	return b.Name
}

func (b *Breaker) syncEvery() time.Duration {
	if b.SyncEvery == 0 {
		return DefaultSyncEvery
	}
	return b.SyncEvery
}

// Allow reports whether the provider may be asked now: always while the
// breaker is closed; while it is half-open, only for one probe at a time
// (a probe that has not reported back within Cooldown is taken as lost,
// and another may go). A caller that is allowed must report the call's
// outcome with Success or Failure, or Release when the provider was not
// asked.
func (b *Breaker) Allow() bool {
	if b == nil {
		return true
	}
	b.sync()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true
	}
	now := b.now()
	if now.Before(b.openUntil) {
		return false
	}
	if !b.probeSince.IsZero() && now.Sub(b.probeSince) < b.Cooldown {
		return false
	}
	if b.State != nil && !b.dirty {
		// The probe is the one of all the processes that claims it.
		if now.Before(b.claimAfter) {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), StateTimeout)
		claimed, err := b.State.ClaimProbe(ctx, b.name(), now, now.Add(b.Cooldown))
		cancel()
		b.report(err)
		if err == nil && !claimed {
			// Another process probes (or the state changed there): ask
			// again once it has been read again.
			b.claimAfter = now.Add(max(b.syncEvery(), 0))
			return false
		}
		if err == nil {
			b.claimUntil = now.Add(b.Cooldown)
		}
		// Claimed, or the state is unavailable: the probe goes from here.
	}
	b.probeSince = now
	return true
}

// RetryIn is how long until the provider may be asked again: the rest of
// the cooldown while the breaker is open, else 0 (closed, or half-open:
// the probe's outcome may come any moment).
func (b *Breaker) RetryIn() time.Duration {
	if b == nil {
		return 0
	}
	b.sync()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return 0
	}
	now := b.now()
	if now.Before(b.openUntil) {
		return b.openUntil.Sub(now)
	}
	return 0
}

// Open reports whether the breaker is open or half-open now (the
// provider is not asked, or only by a probe), for the operators' metrics.
// It has no effect on the breaker (with a State, it may read it).
func (b *Breaker) Open() bool {
	if b == nil {
		return false
	}
	b.sync()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

// Failure records a failed call and reports whether the breaker is open
// now. Only transient failures count (a rate limit, a 5xx, a timeout); any
// other failure means the provider answered, and counts as a success of
// the breaker's.
func (b *Breaker) Failure(err error) bool {
	if b == nil {
		return false
	}
	if !errors.Is(err, derrors.Transient) {
		b.Success()
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if b.open {
		if !now.Before(b.openUntil) {
			// The probe (or a call from before the opening) failed:
			// another cooldown.
			b.openUntil, b.probeSince = now.Add(b.Cooldown), time.Time{}
			b.changed(now)
		}
		return true
	}
	b.failures++
	if b.failures >= max(1, b.Threshold) {
		b.open, b.openUntil, b.probeSince, b.failures = true, now.Add(b.Cooldown), time.Time{}, 0
		b.changed(now)
		return true
	}
	return false
}

// Success records a call that worked: the breaker closes.
func (b *Breaker) Success() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	wasOpen := b.open
	b.failures, b.open, b.openUntil, b.probeSince = 0, false, time.Time{}, time.Time{}
	if wasOpen {
		b.changed(b.now())
	}
}

// Release gives back the half-open breaker's probe of a call that did not
// reach the provider (an answer from a cache): no verdict, the breaker
// stays as it is, and the next call allowed (from any process, with State)
// probes. A closed breaker is left as it is (its count of failures in a
// row too).
func (b *Breaker) Release() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probeSince = time.Time{}
	if b.State != nil && !b.claimUntil.IsZero() {
		ctx, cancel := context.WithTimeout(context.Background(), StateTimeout)
		b.report(b.State.ReleaseProbe(ctx, b.name(), b.claimUntil))
		cancel()
		b.claimUntil = time.Time{}
	}
}

// changed records in State that this process opened or closed the
// breaker at now. b.mu is held: changes are recorded in their order.
func (b *Breaker) changed(now time.Time) {
	if b.State == nil {
		return
	}
	b.gen++
	b.changedAt = now
	b.claimAfter, b.claimUntil = time.Time{}, time.Time{}
	b.dirty = b.record() != nil
}

// record writes the breaker's state to State. b.mu is held.
func (b *Breaker) record() error {
	ctx, cancel := context.WithTimeout(context.Background(), StateTimeout)
	defer cancel()
	var err error
	if b.open {
		err = b.State.Opened(ctx, b.name(), b.changedAt, b.openUntil)
	} else {
		err = b.State.Closed(ctx, b.name(), b.changedAt)
	}
	b.report(err)
	return err
}

// sync reads State when SyncEvery has passed since the last read, and
// takes what other processes found: an opening (or another cooldown), a
// closing. One read at a time: meanwhile the other callers use the state
// last read. A change of this process's that could not be recorded is
// recorded then, unless State changed since.
func (b *Breaker) sync() {
	if b.State == nil {
		return
	}
	b.mu.Lock()
	now := b.now()
	every := b.syncEvery()
	if b.syncing || (!b.syncedAt.IsZero() && every >= 0 && now.Sub(b.syncedAt) < every && !now.Before(b.syncedAt)) {
		b.mu.Unlock()
		return
	}
	b.syncing, b.syncedAt = true, now
	gen := b.gen
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), StateTimeout)
	openUntil, changedAt, err := b.State.Load(ctx, b.name())
	cancel()

	b.mu.Lock()
	defer b.mu.Unlock()
	b.syncing = false
	b.report(err)
	if err != nil || b.gen != gen {
		// Unavailable: keep the state this process has. Or it changed
		// here meanwhile: that change is newer than what was read.
		return
	}
	if b.dirty {
		if b.changedAt.After(changedAt) {
			b.dirty = b.record() != nil
			return
		}
		b.dirty = false
	}
	b.changedAt = changedAt
	if openUntil.IsZero() {
		if b.open {
			b.failures, b.open, b.openUntil, b.probeSince = 0, false, time.Time{}, time.Time{}
		}
		return
	}
	if !b.open {
		b.open, b.failures, b.openUntil, b.probeSince = true, 0, openUntil, time.Time{}
		return
	}
	// The database keeps microseconds.
	if d := openUntil.Sub(b.openUntil); d >= time.Microsecond || d <= -time.Microsecond {
		// Opened again elsewhere: a probe from here is not this cooldown's.
		b.openUntil, b.probeSince = openUntil, time.Time{}
	}
}

// report logs the first failure of State after a success (once per
// outage: the breaker works in this process alone meanwhile), and its
// return. b.mu is held.
func (b *Breaker) report(err error) {
	switch {
	case err != nil && !b.stateDown:
		b.stateDown = true
		slog.Warn("circuit breaker: shared state unavailable, the breaker works in this process alone until it is back",
			"breaker", b.name(), "err", err)
	case err == nil && b.stateDown:
		b.stateDown = false
		slog.Info("circuit breaker: shared state available again", "breaker", b.name())
	}
}
