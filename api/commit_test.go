package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/queue"
)

// mariaCount counts the rows of the system of record for a document.
func (e *env) mariaCount(table, docID string) int {
	e.t.Helper()
	var n int
	if err := e.records.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM "+table+" WHERE document_id = ?", docID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestCommitTwiceWritesOnce(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	tn := e.tenant("Agence G")
	ctx := context.Background()
	var d document
	e.upload(tn.uploader, "contrat.pdf", contractWithLowRate("CM-2026-001234"), &d)
	// Run the process stage by hand, as the worker would.
	if err := e.svc.Process(ctx, tn.id, d.ID, false); err != nil {
		t.Fatal(err)
	}
	reviewID := e.pendingReview(tn.reviewer, d.ID)
	if code := e.postJSON("/v1/reviews/"+reviewID+"/approve", tn.reviewer, map[string]any{"fields": map[string]any{"hourly_rate": 12.2}}, nil); code != http.StatusOK {
		t.Fatalf("approve: %d", code)
	}
	if n := e.count("SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'document_id' = $2", pipeline.JobCommit, d.ID); n != 1 {
		t.Fatalf("%d commit jobs enqueued with the approval, want 1", n)
	}
	// The commit stage delivered twice at once, then once more later.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = e.svc.Commit(ctx, tn.id, d.ID) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.Commit(ctx, tn.id, d.ID); err != nil {
		t.Fatal(err)
	}
	// And the MariaDB write itself, run again on the committed document.
	doc, err := e.store.Document(ctx, tn.id, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.records.Commit(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if n := e.mariaCount("contracts", d.ID); n != 1 {
		t.Errorf("%d contract rows for the document, want 1", n)
	}
	if doc.Status != pipeline.StatusCommitted {
		t.Errorf("document is %s, want committed", doc.Status)
	}
	if n := e.count("SELECT count(*) FROM audit_log WHERE document_id = $1 AND action = 'document.committed'", d.ID); n != 1 {
		t.Errorf("%d commit audit entries, want 1", n)
	}
}

func TestTimesheetCommitTwiceKeepsEntries(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	ctx := context.Background()
	tn := e.tenant("Agence H")
	ts := testdocs.ValidTimesheet("CM-2026-005555")
	doc := pipeline.Document{ID: "6c1b2a0e-8f5d-4c1a-9d3e-2b7f4a5c6d7e", TenantID: tn.id, Type: pipeline.TypeTimesheet,
		Fields: pipeline.Fields{Timesheet: &ts}}
	for range 3 {
		if err := e.records.Commit(ctx, doc); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.mariaCount("timesheets", doc.ID); n != 1 {
		t.Errorf("%d timesheet rows, want 1", n)
	}
	if n := e.mariaCount("timesheet_entries", doc.ID); n != len(ts.Entries) {
		t.Errorf("%d entry rows, want %d", n, len(ts.Entries))
	}
}

// stallingRecords writes to MariaDB on the first commit, then stalls as a
// worker that dies before recording the commit in PostgreSQL would.
type stallingRecords struct {
	pipeline.Records
	once    sync.Once
	stalled chan struct{}
}

func (s *stallingRecords) Commit(ctx context.Context, d pipeline.Document) error {
	first := false
	s.once.Do(func() { first = true })
	if err := s.Records.Commit(ctx, d); err != nil || !first {
		return err
	}
	close(s.stalled)
	<-ctx.Done()
	return ctx.Err()
}

func TestWorkerStoppedMidJobCommitsOnce(t *testing.T) {
	t.Parallel()
	stall := &stallingRecords{stalled: make(chan struct{})}
	e := setup(t, envOptions{noWorkers: true, records: func(r pipeline.Records) pipeline.Records {
		stall.Records = r
		return stall
	}})
	tn := e.tenant("Agence I")
	var d document
	if code := e.upload(tn.uploader, "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-004242"))), &d); code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.river.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stall.stalled:
	case <-time.After(60 * time.Second):
		t.Fatal("the job never reached the commit")
	}
	// The worker goes away in the middle of the job.
	stopCtx, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	if err := e.river.StopAndCancel(stopCtx); err != nil {
		t.Fatal(err)
	}
	if got := e.waitStatus(tn.uploader, d.ID, "processing"); got.Status != "processing" {
		t.Fatalf("document after the stop: %s", got.Status)
	}
	// A new worker process takes the job over.
	again, err := queue.NewClient(e.pool, e.svc, queue.Config{Workers: 2, JobTimeout: 30 * time.Second, RescueAfter: 30 * time.Second, FetchPoll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = again.Stop(stopCtx)
	}()
	got := e.waitStatus(tn.uploader, d.ID, "committed", "failed")
	if got.Status != "committed" {
		t.Fatalf("document ended %s (%+v)", got.Status, got.Stage)
	}
	if got.Stage.Attempts < 2 {
		t.Errorf("attempts = %d, want the stage to have run again", got.Stage.Attempts)
	}
	if n := e.mariaCount("contracts", d.ID); n != 1 {
		t.Errorf("%d contract rows, want exactly 1", n)
	}
	if n := e.count("SELECT count(*) FROM audit_log WHERE document_id = $1 AND action = 'document.committed'", d.ID); n != 1 {
		t.Errorf("%d commit audit entries, want 1", n)
	}
}
