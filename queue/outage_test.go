package queue_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/queue"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/mariadbtest"
)

// gatedRecords holds every commit until open is closed, and counts the
// commits of each document.
type gatedRecords struct {
	pipeline.Records
	waiting atomic.Int32
	open    chan struct{}
	mu      sync.Mutex
	calls   map[string]int
}

func (g *gatedRecords) Commit(ctx context.Context, d pipeline.Document) error {
	g.mu.Lock()
	g.calls[d.ID]++
	g.mu.Unlock()
	g.waiting.Add(1)
	<-g.open
	return g.Records.Commit(ctx, d)
}

func (g *gatedRecords) commits(id string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[id]
}

// TestMariaDBOutageSnoozesJobs stops a private MariaDB while documents
// flow: half are processed and at their commit when it stops, half are
// uploaded while it is down. Their jobs (commits, and processes, which
// look contracts up in MariaDB) are snoozed again and again, far more
// times than a job's attempts, instead of being retried to exhaustion and
// discarded; after the restart every document is committed exactly once.
func TestMariaDBOutageSnoozesJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mdb := mariadbtest.Start(t)
	db, err := mariadb.Open(ctx, mdb.CreateDatabase("docflow"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := mariadb.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	gate := &gatedRecords{open: make(chan struct{}), calls: map[string]int{}}
	st := stacktest.New(t, stacktest.Options{MariaDB: db,
		Records: func(r pipeline.Records) pipeline.Records { gate.Records = r; return gate },
		Outage:  queue.OutagePolicy{Backoff: 20 * time.Millisecond, MaxBackoff: 150 * time.Millisecond, MaxAge: time.Hour}})
	tn, err := st.Store.CreateTenant(ctx, "Outage")
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.Principal{KeyID: "k", TenantID: tn.ID, Role: pipeline.RoleUploader}

	const n = 8
	ids := make([]string, n)
	upload := func(i int) {
		contract := testdocs.Contract(testdocs.ValidContract(fmt.Sprintf("CM-2026-%06d", 900+i)))
		doc, _, err := st.Service.Upload(ctx, p, fmt.Sprintf("c%d.txt", i), strings.NewReader(contract))
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		ids[i] = doc.ID
	}
	for i := range n / 2 {
		upload(i)
	}
	waitUntil(t, 60*time.Second, func() bool { return gate.waiting.Load() == n/2 })
	mdb.Stop()
	close(gate.open)
	for i := n / 2; i < n; i++ {
		upload(i)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var c int
		if err := st.Pool.QueryRow(ctx, q, args...).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Every document's live job has been snoozed more than MaxAttempts
	// times, still on its first attempt, and none was discarded.
	waitUntil(t, 60*time.Second, func() bool {
		return count(`SELECT count(DISTINCT args->>'document_id') FROM river_job
			WHERE kind IN ('process_document', 'commit_document') AND state IN ('available', 'scheduled', 'running', 'retryable')
			AND coalesce((metadata->>'snoozes')::int, 0) > $1`, queue.MaxAttempts+1) == n
	})
	// The first half were read and decided before the outage: their
	// commits (the automatic commit of the process stage) were tried
	// again and again while MariaDB was down.
	for _, id := range ids[:n/2] {
		if c := gate.commits(id); c <= queue.MaxAttempts+1 {
			t.Errorf("document %s: %d commits tried during the outage, want more than %d", id, c, queue.MaxAttempts+1)
		}
	}
	if c := count(`SELECT count(*) FROM river_job WHERE state IN ('discarded', 'cancelled') OR attempt > 1`); c != 0 {
		t.Fatalf("%d jobs discarded, cancelled or past their first attempt during the outage", c)
	}
	if c := count(`SELECT count(*) FROM documents WHERE status <> 'processing'`); c != 0 {
		t.Fatalf("%d documents decided (not processing) during the outage", c)
	}
	var code string
	if err := st.Pool.QueryRow(ctx, `SELECT coalesce(error_code, '') FROM documents WHERE id = $1`, ids[0]).Scan(&code); err != nil || code != "unavailable" {
		t.Errorf("the waiting document's error code is %q (%v), want unavailable", code, err)
	}

	mdb.Restart()
	waitUntil(t, 60*time.Second, func() bool {
		return count(`SELECT count(*) FROM documents WHERE status = 'committed'`) == n
	})
	for i, id := range ids {
		var rows int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM contracts WHERE contract_number = ?", fmt.Sprintf("CM-2026-%06d", 900+i)).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 1 {
			t.Errorf("document %s: %d contract rows, want 1", id, rows)
		}
		if c := count(`SELECT count(*) FROM audit_log WHERE document_id = $1 AND action = 'document.committed'`, id); c != 1 {
			t.Errorf("document %s: %d document.committed entries, want 1", id, c)
		}
	}
	if c := count(`SELECT count(*) FROM river_job WHERE state IN ('discarded', 'cancelled')`); c != 0 {
		t.Errorf("%d jobs discarded or cancelled", c)
	}
}

func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %s", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// downRecords refuses every commit as a stopped MariaDB does.
type downRecords struct{ pipeline.Records }

func (downRecords) Commit(context.Context, pipeline.Document) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// TestOutagePastBoundFailsTheDocument keeps MariaDB unreachable past the
// outage bound: the document is marked failed with code unavailable and
// its job cancelled, rather than left processing.
func TestOutagePastBoundFailsTheDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := stacktest.New(t, stacktest.Options{
		Records: func(r pipeline.Records) pipeline.Records { return downRecords{r} },
		Outage:  queue.OutagePolicy{Backoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, MaxAge: 2 * time.Second}})
	tn, err := st.Store.CreateTenant(ctx, "Long outage")
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.Principal{KeyID: "k", TenantID: tn.ID, Role: pipeline.RoleUploader}
	doc, _, err := st.Service.Upload(ctx, p, "c.txt", strings.NewReader(testdocs.Contract(testdocs.ValidContract("CM-2026-000999"))))
	if err != nil {
		t.Fatal(err)
	}
	var status, code, msg string
	waitUntil(t, 30*time.Second, func() bool {
		if err := st.Pool.QueryRow(ctx, `SELECT status, coalesce(error_code, ''), coalesce(error_message, '') FROM documents WHERE id = $1`,
			doc.ID).Scan(&status, &code, &msg); err != nil {
			t.Fatal(err)
		}
		return status != "processing" && status != "received"
	})
	if status != "failed" || code != "unavailable" || !strings.Contains(msg, "gave up after") {
		t.Fatalf("document ended %s %s %q, want failed unavailable (gave up)", status, code, msg)
	}
	var state string
	var attempt int
	waitUntil(t, 10*time.Second, func() bool {
		if err := st.Pool.QueryRow(ctx, `SELECT state, attempt FROM river_job WHERE args->>'document_id' = $1`, doc.ID).Scan(&state, &attempt); err != nil {
			t.Fatal(err)
		}
		return state == "cancelled"
	})
	if attempt != 1 {
		t.Errorf("the job ended on attempt %d, want 1 (snoozes spend none)", attempt)
	}
}
