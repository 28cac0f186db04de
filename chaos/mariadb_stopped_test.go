//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/docflow/docflow/storage/mariadbtest"
)

// TestChaosMariaDBStopped stops a private MariaDB for 30 s while
// documents flow in: commits fail and are retried, and after the restart
// every document ends committed exactly once.
func TestChaosMariaDBStopped(t *testing.T) {
	n := min(docCount(t), 300)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	mdb := mariadbtest.Start(t)
	c := newCluster(t, clusterOptions{mariadbDSN: mdb.CreateDatabase("docflow")})
	s, waited := c.runOutage(ctx, n, false, outage{server: "MariaDB", stop: mdb.Stop, restart: mdb.Restart, length: 30 * time.Second})
	r := &report{Scenario: "TestChaosMariaDBStopped", Title: "MariaDB stopped for 30 s mid-run",
		Promise: "documents keep being accepted while MariaDB is down; their commits fail and are retried; after the restart every document is committed exactly once (or in review), none lost.",
		Params: [][2]string{{"documents", fmt.Sprintf("%d, uploaded evenly over 60 s (every fifth a timesheet)", n)},
			{"processes", "1 `serve --api-only`, 2 `serve --workers-only` (DOCFLOW_WORKERS=4 each)"},
			{"MariaDB", "a private server (storage/mariadbtest), stopped cleanly at 10 s, started again at 40 s"},
			{"time bound", "20 min (10 min to settle)"}},
		Measures: [][2]string{{"settling after the last upload took", waited.Round(time.Second).String()},
			{"`job failed` log lines", strconv.Itoa(c.logLines("job failed"))}},
	}
	c.finish(ctx, "mariadb-stopped", r, s)
}
