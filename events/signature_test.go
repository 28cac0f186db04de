package events_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
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

func TestWebhooksDoNotReachPrivateAddresses(t *testing.T) {
	t.Parallel()
	for addr, public := range map[string]bool{"93.184.216.34": true, "2606:4700::1111": true, "127.0.0.1": false, "10.1.2.3": false,
		"192.168.0.1": false, "172.16.5.4": false, "169.254.169.254": false, "::1": false, "fe80::1": false, "0.0.0.0": false,
		"100.64.0.1": false, "::ffff:127.0.0.1": false, "fd00::1": false, "198.18.0.1": false, "240.0.0.1": false,
		"255.255.255.255": false, "64:ff9b::a00:1": false, "2002:a00:1::1": false, "fec0::1": false, "192.0.0.8": false} {
		if got := events.PublicAddr(netip.MustParseAddr(addr)); got != public {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, public)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	if _, err := events.NewHTTPClient(false).Get(srv.URL); err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("a webhook to %s: %v, want refused", srv.URL, err)
	}
	resp, err := events.NewHTTPClient(true).Get(srv.URL)
	if err != nil {
		t.Fatalf("with private addresses allowed: %v", err)
	}
	resp.Body.Close()
}
