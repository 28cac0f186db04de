package api_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// flakyRecords fails its first commit as a lost connection would.
type flakyRecords struct {
	pipeline.Records
	calls atomic.Int32
}

func (f *flakyRecords) Commit(ctx context.Context, d pipeline.Document) error {
	if f.calls.Add(1) == 1 {
		return errors.New("driver: bad connection")
	}
	return f.Records.Commit(ctx, d)
}

func TestTransientFailureIsRetried(t *testing.T) {
	t.Parallel()
	flaky := &flakyRecords{}
	e := setup(t, envOptions{records: func(r pipeline.Records) pipeline.Records { flaky.Records = r; return flaky }})
	tn := e.tenant("Agence K")
	var d document
	if code := e.upload(tn.uploader, "c.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-007007"))), &d); code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	got := e.waitStatus(tn.uploader, d.ID, "committed", "failed")
	if got.Status != "committed" || got.Stage.Attempts != 2 {
		t.Fatalf("document ended %s after %d attempts, want committed after 2", got.Status, got.Stage.Attempts)
	}
	if n := e.mariaCount("contracts", d.ID); n != 1 {
		t.Errorf("%d contract rows, want 1", n)
	}
}

func TestPermanentFailureCancelsTheJob(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	tn := e.tenant("Agence L")
	var d document
	if code := e.upload(tn.uploader, "c.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-008008"))), &d); code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	// The stored file disappears: no retry can bring it back.
	doc, err := e.store.Document(context.Background(), tn.id, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(e.dataDir, "files", "*", "*", filepath.Base(doc.StorageKey)))
	if len(matches) != 1 {
		t.Fatalf("stored file of %s not found: %v", doc.StorageKey, matches)
	}
	if err := os.Remove(matches[0]); err != nil {
		t.Fatal(err)
	}
	e.startWorkers()
	got := e.waitStatus(tn.uploader, d.ID, "failed", "committed")
	if got.Status != "failed" || got.Stage.ErrorCode != "not_found" {
		t.Fatalf("document = %s %+v, want failed with not_found", got.Status, got.Stage)
	}
	waitFor(t, func() bool {
		return e.count("SELECT count(*) FROM river_job WHERE args->>'document_id' = $1 AND state = 'cancelled'", d.ID) == 1
	})
}
