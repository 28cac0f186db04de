//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// docCount is CHAOS_DOCS, 1000 by default.
func docCount(t *testing.T) int {
	t.Helper()
	n := 1000
	if v := os.Getenv("CHAOS_DOCS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			t.Fatalf("CHAOS_DOCS=%q: want a number of documents, at least 10", v)
		}
	}
	return n
}

// decided counts the documents committed or in review.
func (c *cluster) decided(ctx context.Context) int {
	var n int
	_ = c.pg.QueryRow(ctx, `SELECT count(*) FROM documents WHERE tenant_id = $1 AND status IN ('committed', 'in_review')`, c.tenant).Scan(&n)
	return n
}

// TestChaosWorkersKilled uploads N documents over HTTP to an API process
// while two worker processes run them; every 1.5 to 4 s a random worker
// is killed with SIGKILL and a new one started.
func TestChaosWorkersKilled(t *testing.T) {
	n := docCount(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	c := newCluster(t, clusterOptions{})
	c.startAPI()
	c.startWorker()
	c.startWorker()
	s := c.sender(false)
	uploaded := make(chan time.Duration)
	go func() {
		start := time.Now()
		s.uploadAll(ctx, 0, n, 8, time.Duration(n)*60*time.Millisecond)
		c.note("all %d uploads answered", n)
		uploaded <- time.Since(start)
	}()
	kills := 0
	var uploadTook time.Duration
	uploadsDone := false
	for ctx.Err() == nil {
		select {
		case uploadTook = <-uploaded:
			uploadsDone = true
		case <-time.After(time.Duration(1500+rand.IntN(2500)) * time.Millisecond):
		}
		d := c.decided(ctx)
		if uploadsDone && d >= n*9/10 {
			break
		}
		live := c.liveWorkers()
		victim := live[rand.IntN(len(live))]
		c.kill(victim)
		kills++
		c.note("SIGKILL %s (pid %d) with %d/%d documents decided; starting a new worker", victim.Name, victim.Pid(), d, n)
		c.startWorker()
	}
	if !uploadsDone {
		uploadTook = <-uploaded
	}
	c.note("killer stopped after %d kills with %d/%d decided; waiting for the rest", kills, c.decided(ctx), n)
	waited := c.settleWithin(ctx, 6*time.Minute)
	c.note("settled after %s", waited.Round(time.Second))
	r := &report{Scenario: "TestChaosWorkersKilled", Title: "workers killed with SIGKILL while documents flow",
		Promise: "every document accepted by the API ends committed exactly once or in review: none lost, no duplicate row in MariaDB, no River job left stuck once rescued.",
		Params: [][2]string{{"documents", fmt.Sprintf("%d (every fifth a timesheet billing against the contract before it)", n)},
			{"processes", "1 `serve --api-only`, 2 `serve --workers-only` (DOCFLOW_WORKERS=4 each)"},
			{"uploads", "8 concurrent HTTP clients, no retry, spread evenly over N × 60 ms"},
			{"faults", "every 1.5–4 s a random worker gets SIGKILL and a new one starts, until the uploads are done and 90 % are decided"},
			{"DOCFLOW_RESCUE_AFTER", c.env["DOCFLOW_RESCUE_AFTER"]}, {"time bound", "25 min (6 min to settle after the last kill)"}},
		Measures: [][2]string{{"workers killed", strconv.Itoa(kills)},
			{"uploads took", uploadTook.Round(time.Millisecond).String()},
			{"settling after the last kill took", waited.Round(time.Second).String()},
			{"`job failed` log lines", strconv.Itoa(c.logLines("job failed"))}},
	}
	c.finish(ctx, "workers-killed", r, s)
}
