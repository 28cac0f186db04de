package cassette

import (
	"context"
	"sync"
	"time"
)

// Meter counts the model calls made under one context (one document),
// with their latency: as measured for a live call, as recorded for a
// replayed one, so that a replay reports what the recording cost. It is
// safe for concurrent use.
type Meter struct {
	mu       sync.Mutex
	calls    int
	replayed int
	latency  time.Duration
	spent    time.Duration
}

type meterKey struct{}

// WithMeter returns a context whose calls through a Backend are counted
// by the returned Meter.
func WithMeter(ctx context.Context) (context.Context, *Meter) {
	m := &Meter{}
	return context.WithValue(ctx, meterKey{}, m), m
}

func meterOf(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}

// add counts one call that took spent here and latency at the provider.
func (m *Meter) add(replayed bool, latency, spent time.Duration) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if replayed {
		m.replayed++
	}
	m.latency += latency
	m.spent += spent
}

// Calls is the number of model calls, replayed ones included.
func (m *Meter) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// Replayed is the number of calls answered from the cassettes.
func (m *Meter) Replayed() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.replayed
}

// Latency is the calls' total latency at the provider: measured for live
// calls, recorded for replayed ones.
func (m *Meter) Latency() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latency
}

// Spent is the time the calls took in this process; subtract it from a
// wall-clock time and add Latency to get what the time would have been
// against the provider.
func (m *Meter) Spent() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spent
}
