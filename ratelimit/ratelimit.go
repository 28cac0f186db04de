// Package ratelimit bounds how fast each API key and each tenant may call
// the API: token buckets kept in memory, per process. With several API
// processes behind a load balancer, each applies the limits on its own
// (the effective limit is the per-process one times the processes).
package ratelimit

import (
	"sync"
	"time"
)

// Limit is a rate: Rate tokens a second, up to Burst at once. A zero Rate
// means no limit.
type Limit struct {
	Rate  float64
	Burst int
}

// Limiter keeps one bucket per API key and one per tenant.
type Limiter struct {
	PerKey, PerTenant Limit
	// Now returns the time; nil means time.Now (tests set it).
	Now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Allow takes a token from the key's bucket and the tenant's. It returns
// false and how long to wait when either is empty; then neither is taken.
func (l *Limiter) Allow(tenantID, keyID string) (ok bool, retryAfter time.Duration) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	l.evict(now)
	type take struct {
		b   *bucket
		lim Limit
	}
	var takes []take
	for _, c := range []struct {
		id  string
		lim Limit
	}{{"key:" + keyID, l.PerKey}, {"tenant:" + tenantID, l.PerTenant}} {
		if c.lim.Rate <= 0 {
			continue
		}
		b := l.buckets[c.id]
		if b == nil {
			b = &bucket{tokens: float64(max(c.lim.Burst, 1)), last: now}
			l.buckets[c.id] = b
		}
		b.tokens = min(float64(max(c.lim.Burst, 1)), b.tokens+now.Sub(b.last).Seconds()*c.lim.Rate)
		b.last = now
		if b.tokens < 1 {
			wait := time.Duration((1 - b.tokens) / c.lim.Rate * float64(time.Second))
			retryAfter = max(retryAfter, wait)
			ok = false
		}
		takes = append(takes, take{b, c.lim})
	}
	if retryAfter > 0 {
		return false, retryAfter
	}
	for _, t := range takes {
		t.b.tokens--
	}
	return true, 0
}

// evict drops buckets idle for long enough to be full again, once a minute.
func (l *Limiter) evict(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	for id, b := range l.buckets {
		if now.Sub(b.last) > 10*time.Minute {
			delete(l.buckets, id)
		}
	}
}
