package crosscheck

import (
	"errors"
	"sync"
	"time"

	"github.com/docflow/docflow/derrors"
)

// Breaker is a circuit breaker for the model provider: after Threshold
// transient failures in a row it opens for Cooldown, during which the
// provider is not asked; then one call tries it again. A nil Breaker never
// opens. It is safe for concurrent use.
type Breaker struct {
	Threshold int
	Cooldown  time.Duration
	// Now returns the time; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
}

func (b *Breaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Allow reports whether the provider may be asked now.
func (b *Breaker) Allow() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.now().Before(b.openUntil)
}

// Open reports whether the breaker is open now (the provider is not
// asked), for the operators' metrics.
func (b *Breaker) Open() bool { return !b.Allow() }

// Failure records a failed call and reports whether the breaker is open
// now, so that the caller falls back instead of failing. Only transient
// failures count (a rate limit, a 5xx, a timeout); a bad answer does not.
func (b *Breaker) Failure(err error) bool {
	if b == nil || !errors.Is(err, derrors.Transient) {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.failures >= max(1, b.Threshold) {
		b.openUntil = b.now().Add(b.Cooldown)
		b.failures = 0
		return true
	}
	return false
}

// Success records a call that worked.
func (b *Breaker) Success() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures = 0
}
