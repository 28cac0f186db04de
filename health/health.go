// Package health answers the readiness probe: each dependency that a
// docflow process needs to do its work (PostgreSQL and MariaDB reachable
// with current migrations, a writable file store) is checked with a short
// timeout, and the report tells which one failed.
package health

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// DefaultTimeout bounds each check.
const DefaultTimeout = 2 * time.Second

// Check is one readiness check. Run returns nil when the dependency is
// ready; its error is logged, and only Name and a plain reason are shown.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Checker runs the checks.
type Checker struct {
	Checks []Check
	// Timeout bounds each check (DefaultTimeout when 0).
	Timeout time.Duration
}

// Result is one check's outcome.
type Result struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Report is the outcome of every check: Status is ready when all passed.
type Report struct {
	Status string   `json:"status"`
	Checks []Result `json:"checks"`
}

// Ready reports whether every check passed.
func (r Report) Ready() bool { return r.Status == "ready" }

// Run runs the checks at once, each under the timeout.
func (c *Checker) Run(ctx context.Context) Report {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	results := make([]Result, len(c.Checks))
	var wg sync.WaitGroup
	for i, ch := range c.Checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			results[i] = Result{Name: ch.Name, OK: true}
			if err := ch.Run(cctx); err != nil {
				slog.Warn("readiness check failed", "check", ch.Name, "err", err)
				results[i] = Result{Name: ch.Name, Error: reason(err)}
			}
		})
	}
	wg.Wait()
	rep := Report{Status: "ready", Checks: results}
	for _, r := range results {
		if !r.OK {
			rep.Status = "not_ready"
		}
	}
	return rep
}

// ServeHTTP answers 200 with the report when ready, else 503.
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := c.Run(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !rep.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rep)
}
