package queue_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/queue"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// hangingFiles blocks reads, once hang is set, until the caller's context
// ends, as a huge OCR or a hung disk would.
type hangingFiles struct {
	pipeline.Files
	hang *atomic.Bool
}

func (h hangingFiles) Get(ctx context.Context, key string) ([]byte, error) {
	if h.hang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return h.Files.Get(ctx, key)
}

// TestFinalAttemptEndedByItsContextFailsTheDocument runs the last attempt
// of a process job whose context ends mid-stage, by River's JobTimeout or
// by StopAndCancel at shutdown: the failure is recorded and the document
// marked failed on a context of their own, and the job is cancelled; the
// document never stays processing with its job discarded.
func TestFinalAttemptEndedByItsContextFailsTheDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  func(context.Context) (context.Context, context.CancelFunc)
	}{
		{"job timeout", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 300*time.Millisecond)
		}},
		{"hard stop", func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			stop := time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, func() { stop.Stop(); cancel() }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			hang := new(atomic.Bool)
			st := stacktest.New(t, stacktest.Options{NoWorkers: true,
				Files: func(f pipeline.Files) pipeline.Files { return hangingFiles{Files: f, hang: hang} }})
			tn, err := st.Store.CreateTenant(ctx, "Timeout")
			if err != nil {
				t.Fatal(err)
			}
			p := pipeline.Principal{KeyID: "k", TenantID: tn.ID, Role: pipeline.RoleUploader}
			doc, _, err := st.Service.Upload(ctx, p, "c.txt", strings.NewReader(testdocs.Contract(testdocs.ValidContract("CM-2026-000777"))))
			if err != nil {
				t.Fatal(err)
			}
			hang.Store(true)
			w := &queue.ProcessWorker{Service: st.Service}
			job := &river.Job[queue.ProcessArgs]{
				JobRow: &rivertype.JobRow{ID: 1, Kind: pipeline.JobProcess, Queue: "default", Attempt: queue.MaxAttempts, MaxAttempts: queue.MaxAttempts, CreatedAt: time.Now()},
				Args:   queue.ProcessArgs{TenantID: tn.ID, DocumentID: doc.ID},
			}
			jctx, cancel := tc.end(ctx)
			defer cancel()
			werr := w.Work(jctx, job)
			if jctx.Err() == nil {
				t.Fatalf("Work returned %v before the job's context ended", werr)
			}
			var status, code, msg string
			if err := st.Pool.QueryRow(ctx, `SELECT status, coalesce(error_code, ''), coalesce(error_message, '') FROM documents WHERE id = $1`, doc.ID).Scan(&status, &code, &msg); err != nil {
				t.Fatal(err)
			}
			if status != string(pipeline.StatusFailed) || code == "" || msg == "" {
				t.Errorf("last attempt ended by its context: document %s (code %q, message %q), want failed with the cause recorded", status, code, msg)
			}
			var cancelErr *rivertype.JobCancelError
			if !errors.As(werr, &cancelErr) {
				t.Errorf("Work returned %v, want the job cancelled once its document is marked failed", werr)
			}
		})
	}
}

// TestGiveUpOnEndedContextFailsTheDocument: GiveUp, called as a job's
// context has ended (its timeout, a hard stop), still marks the processing
// document failed with the cause.
func TestGiveUpOnEndedContextFailsTheDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := stacktest.New(t, stacktest.Options{NoWorkers: true})
	tn, err := st.Store.CreateTenant(ctx, "GiveUp")
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.Principal{KeyID: "k", TenantID: tn.ID, Role: pipeline.RoleUploader}
	doc, _, err := st.Service.Upload(ctx, p, "c.txt", strings.NewReader(testdocs.Contract(testdocs.ValidContract("CM-2026-000778"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, started, err := st.Store.BeginStage(ctx, tn.ID, doc.ID, pipeline.StageProcess); err != nil || !started {
		t.Fatalf("begin stage: started %v, %v", started, err)
	}
	dead, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.Service.GiveUp(dead, tn.ID, doc.ID, context.Canceled); err != nil {
		t.Fatalf("GiveUp on an ended context: %v", err)
	}
	var status string
	if err := st.Pool.QueryRow(ctx, `SELECT status FROM documents WHERE id = $1`, doc.ID).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != string(pipeline.StatusFailed) {
		t.Errorf("document %s after GiveUp, want failed", status)
	}
}
