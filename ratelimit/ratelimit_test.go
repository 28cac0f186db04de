package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	l := &Limiter{PerKey: Limit{Rate: 2, Burst: 3}, PerTenant: Limit{Rate: 4, Burst: 5}, Now: func() time.Time { return now }}
	for i := range 3 {
		if ok, _ := l.Allow("t1", "k1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("t1", "k1")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th request: ok %v, retry after %s; want refused, about 0.5 s", ok, wait)
	}
	// Another key of the same tenant: the tenant has 2 tokens left.
	for i := range 2 {
		if ok, _ := l.Allow("t1", "k2"); !ok {
			t.Fatalf("k2 request %d refused", i+1)
		}
	}
	if ok, _ := l.Allow("t1", "k2"); ok {
		t.Error("the tenant's bucket did not bound its keys together")
	}
	// Another tenant is not affected.
	if ok, _ := l.Allow("t2", "k3"); !ok {
		t.Error("another tenant was limited")
	}
	// Refill at the rate.
	now = now.Add(time.Second)
	if ok, _ := l.Allow("t1", "k1"); !ok {
		t.Error("no refill after a second")
	}
	// A refused request takes no token from the other bucket.
	l2 := &Limiter{PerKey: Limit{Rate: 1, Burst: 1}, PerTenant: Limit{Rate: 1, Burst: 2}, Now: func() time.Time { return now }}
	l2.Allow("t", "a")
	l2.Allow("t", "a") // refused by the key's bucket
	if ok, _ := l2.Allow("t", "b"); !ok {
		t.Error("a refused request spent the tenant's token")
	}
	// No limit set: always allowed.
	var none Limiter
	for range 100 {
		if ok, _ := none.Allow("t", "k"); !ok {
			t.Fatal("an unlimited limiter refused")
		}
	}
}
