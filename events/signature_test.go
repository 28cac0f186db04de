package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/docflow/docflow/events"
)

func TestSignature(t *testing.T) {
	t.Parallel()
	secret, body, now := events.NewSecret(), []byte(`{"id":"x"}`), time.Unix(1_800_000_000, 0)
	h := events.Sign(secret, now, body)
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		at     time.Time
		ok     bool
	}{
		{"valid", secret, h, body, now, true},
		{"within tolerance", secret, h, body, now.Add(4 * time.Minute), true},
		{"replayed later", secret, h, body, now.Add(6 * time.Minute), false},
		{"other body", secret, h, []byte(`{"id":"y"}`), now, false},
		{"other secret", events.NewSecret(), h, body, now, false},
		{"rotation: second v1 matches", secret, "t=1800000000,v1=00ff," + h[len("t=1800000000,"):], body, now, true},
		{"malformed", secret, "v1=abc", body, now, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := events.Verify(tc.secret, tc.header, tc.body, events.DefaultTolerance, tc.at)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, events.ErrSignature)) {
				t.Errorf("Verify = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for attempts := 1; attempts < 40; attempts++ {
		d := events.Backoff(10*time.Second, time.Hour, attempts)
		if d < 5*time.Second || d > time.Hour {
			t.Errorf("Backoff(%d) = %v", attempts, d)
		}
	}
	if d := events.Backoff(10*time.Second, time.Hour, 30); d < 30*time.Minute {
		t.Errorf("Backoff(30) = %v, want near the bound", d)
	}
}
