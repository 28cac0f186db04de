package crosscheck_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/extractors/crosscheck"
)

// memState is a BreakerState in memory that checks that every call is
// bounded by StateTimeout.
type memState struct {
	t                    *testing.T
	mu                   sync.Mutex
	openUntil, at, probe time.Time
	calls                int
}

func (s *memState) check(ctx context.Context) {
	s.calls++
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > crosscheck.StateTimeout {
		s.t.Errorf("a call to the shared state without a deadline within %s", crosscheck.StateTimeout)
	}
}

func (s *memState) Load(ctx context.Context, name string) (time.Time, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check(ctx)
	return s.openUntil, s.at, nil
}

func (s *memState) Opened(ctx context.Context, name string, at, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check(ctx)
	s.openUntil, s.at, s.probe = until, at, time.Time{}
	return nil
}

func (s *memState) Closed(ctx context.Context, name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check(ctx)
	s.openUntil, s.at, s.probe = time.Time{}, at, time.Time{}
	return nil
}

func (s *memState) ClaimProbe(ctx context.Context, name string, now, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check(ctx)
	if s.openUntil.IsZero() || now.Before(s.openUntil) || now.Before(s.probe) {
		return false, nil
	}
	s.probe = until
	return true, nil
}

func (s *memState) ReleaseProbe(ctx context.Context, name string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check(ctx)
	if s.probe.Equal(until) {
		s.probe = time.Time{}
	}
	return nil
}

// TestBreakerSharedStateBounded: with a shared state, the breaker opens,
// probes once and closes through it, each call to it bounded in time; a
// closed breaker reads it once per SyncEvery.
func TestBreakerSharedStateBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	st := &memState{t: t}
	b := &crosscheck.Breaker{Threshold: 1, Cooldown: time.Minute, Now: func() time.Time { return now }, State: st}
	other := &crosscheck.Breaker{Threshold: 1, Cooldown: time.Minute, Now: func() time.Time { return now }, State: st}
	for range 10 {
		if !b.Allow() {
			t.Fatal("closed, yet refused")
		}
	}
	if st.calls != 1 {
		t.Errorf("%d calls to the shared state, want 1 read", st.calls)
	}
	other.Allow()
	b.Failure(fmt.Errorf("%w: 503", derrors.Transient))
	now = now.Add(time.Minute)
	if !other.Allow() || other.Allow() || b.Allow() {
		t.Fatal("half-open: want one probe, from the process that claims it")
	}
	other.Success()
	now = now.Add(time.Second)
	if !b.Allow() || b.Open() {
		t.Error("the probe's success elsewhere did not close the breaker")
	}
}
