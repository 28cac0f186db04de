//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/docflow/docflow/storage/pgtest"
)

// TestChaosPostgresRestarted stops a private PostgreSQL for 15 s while
// documents are uploaded by a client that retries 5xx answers: uploads
// during the outage fail with 5xx, nothing accepted is lost, and after the
// restart every document ends committed or in review.
func TestChaosPostgresRestarted(t *testing.T) {
	n := min(docCount(t), 300)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	pg := pgtest.Start(t)
	c := newCluster(t, clusterOptions{postgresURL: pg.CreateDatabase("docflow")})
	s, waited := c.runOutage(ctx, n, true, outage{server: "PostgreSQL", stop: pg.Stop, restart: pg.Restart, length: 15 * time.Second})
	s.mu.Lock()
	var fourxx int
	for st, k := range s.statuses {
		if st >= 400 && st < 500 {
			fourxx += k
		}
	}
	s.mu.Unlock()
	if fourxx > 0 {
		t.Errorf("%d uploads answered 4xx during the outage, want 5xx (a client must know to retry)", fourxx)
	}
	r := &report{Scenario: "TestChaosPostgresRestarted", Title: "PostgreSQL restarted mid-run",
		Promise: "uploads during the outage fail with a 5xx (the client retries them), nothing accepted is lost, and after the restart every document ends committed or in review, once.",
		Params: [][2]string{{"documents", fmt.Sprintf("%d, uploaded evenly over 60 s by 4 clients that retry 5xx answers and lost connections every 0.5 s", n)},
			{"processes", "1 `serve --api-only`, 2 `serve --workers-only` (DOCFLOW_WORKERS=4 each)"},
			{"PostgreSQL", "a private server (storage/pgtest), stopped (fast shutdown) at 10 s, started again at 25 s"},
			{"time bound", "20 min (10 min to settle)"}},
		Measures: [][2]string{{"settling after the last upload took", waited.Round(time.Second).String()},
			{"4xx answers", strconv.Itoa(fourxx)},
			{"`job failed` log lines", strconv.Itoa(c.logLines("job failed"))}},
	}
	c.finish(ctx, "postgres-restarted", r, s)
}
