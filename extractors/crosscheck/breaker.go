package crosscheck

import (
	"errors"
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
type Breaker struct {
	Threshold int
	Cooldown  time.Duration
	// Now returns the time; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	failures int
	// open is true from the Threshold-th failure until a success.
	open bool
	// openUntil ends the cooldown; from then a probe may go.
	openUntil time.Time
	// probeSince is when the probe in flight went, zero when none is.
	probeSince time.Time
}

func (b *Breaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Allow reports whether the provider may be asked now: always while the
// breaker is closed; while it is half-open, only for one probe at a time
// (a probe that has not reported back within Cooldown is taken as lost,
// and another may go). A caller that is allowed must report the call's
// outcome with Success or Failure.
func (b *Breaker) Allow() bool {
	if b == nil {
		return true
	}
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
// It has no effect on the breaker.
func (b *Breaker) Open() bool {
	if b == nil {
		return false
	}
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
		}
		return true
	}
	b.failures++
	if b.failures >= max(1, b.Threshold) {
		b.open, b.openUntil, b.probeSince, b.failures = true, now.Add(b.Cooldown), time.Time{}, 0
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
	b.failures, b.open, b.openUntil, b.probeSince = 0, false, time.Time{}, time.Time{}
}
