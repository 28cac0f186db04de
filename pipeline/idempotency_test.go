package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/google/uuid"
)

// outcomeHookStore runs a hook before the first SaveOutcome that would
// record a commit, and may fail it (a crash, a timeout, a lost connection
// right after the MariaDB write).
type outcomeHookStore struct {
	*postgres.Store
	before func() error
	done   bool
}

func (s *outcomeHookStore) SaveOutcome(ctx context.Context, o pipeline.Outcome) error {
	if !s.done && o.Document.Status == pipeline.StatusCommitted {
		s.done = true
		if err := s.before(); err != nil {
			return err
		}
	}
	return s.Store.SaveOutcome(ctx, o)
}

// The auto-commit path writes MariaDB, then fails to record the outcome
// (a crash or timeout). Before the retry, the tenant's policy changes
// (every document sampled for review; a model budget running out between
// attempts has the same effect). The retry keeps to the commit that the
// first attempt decided and wrote: the document ends committed, as the
// system of record holds it, never in review (where a rejection would
// leave its rows in MariaDB).
func TestRetryAfterTheRecordsWriteKeepsTheCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	admin := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleAdmin}
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	d, _, err := st.Service.Upload(ctx, up, "c.txt", stringsReader(testdocs.Contract(testdocs.ValidContract("CM-2026-035001"))))
	if err != nil {
		t.Fatal(err)
	}
	svc := *st.Service
	svc.Store = &outcomeHookStore{Store: st.Store, before: func() error {
		return fmt.Errorf("%w: connection lost after the MariaDB write", derrors.Transient)
	}}
	if err := svc.Process(ctx, tenant, d.ID, false); err == nil {
		t.Fatal("first attempt did not fail")
	}
	if err := st.Service.UpdateSettings(ctx, admin, pipeline.TenantSettings{Policy: &pipeline.Policy{SampleRate: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Service.Process(ctx, tenant, d.ID, false); err != nil {
		t.Fatal(err)
	}
	d, _ = st.Store.Document(ctx, tenant, d.ID)
	if _, err := st.Records.Contract(ctx, tenant, "CM-2026-035001"); err != nil || d.Status != pipeline.StatusCommitted {
		t.Errorf("retry: document %s, contract in the system of record: %v; want committed, as the first attempt wrote it", d.Status, err == nil)
	}
}

// Same first half, on the job's last attempt: the timeout right after
// the MariaDB write must not end the document failed while its rows are
// in MariaDB (and in the summaries): it ends committed.
func TestLastAttemptFailingAfterTheRecordsWriteEndsCommitted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	d, _, err := st.Service.Upload(ctx, up, "c.txt", stringsReader(testdocs.Contract(testdocs.ValidContract("CM-2026-035002"))))
	if err != nil {
		t.Fatal(err)
	}
	svc := *st.Service
	svc.Store = &outcomeHookStore{Store: st.Store, before: func() error { return context.DeadlineExceeded }}
	if err := svc.Process(ctx, tenant, d.ID, true); err != nil {
		t.Errorf("last attempt: %v, want nil (the document is in the system of record)", err)
	}
	d, _ = st.Store.Document(ctx, tenant, d.ID)
	if _, err := st.Records.Contract(ctx, tenant, "CM-2026-035002"); err != nil || d.Status != pipeline.StatusCommitted {
		t.Errorf("document is %s (%s), contract in the system of record: %v; want committed", d.Status, d.ErrorCode, err == nil)
	}
}

// Two runs of one process job overlap (River may run a job twice). The
// later one commits; the earlier one's SaveOutcome then meets a document
// no longer processing (Conflict): its failure, even on a last attempt,
// must not be written over the committed document.
func TestOverlappingRunsLeaveTheCommittedDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	d, _, err := st.Service.Upload(ctx, up, "c.txt", stringsReader(testdocs.Contract(testdocs.ValidContract("CM-2026-035003"))))
	if err != nil {
		t.Fatal(err)
	}
	svc := *st.Service
	svc.Store = &outcomeHookStore{Store: st.Store, before: func() error {
		return st.Service.Process(ctx, tenant, d.ID, false) // the other run, to its end
	}}
	err = svc.Process(ctx, tenant, d.ID, true)
	d, _ = st.Store.Document(ctx, tenant, d.ID)
	if d.Status != pipeline.StatusCommitted || d.StageStatus == "error" {
		t.Errorf("document is %s (stage %s %s, code %s) after overlapping runs (first run: %v, conflict: %v); its contract is in MariaDB and it was committed",
			d.Status, d.Stage, d.StageStatus, d.ErrorCode, err, errors.Is(err, derrors.Conflict))
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// A document given up after an outage (failed, code unavailable) is sent
// again by uploading the same bytes: it is put back at intake (created,
// 202) and processed to its end.
func TestFailedDocumentIsResubmittedByUploadingItAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	data := testdocs.Contract(testdocs.ValidContract("CM-2026-035004"))
	d, _, err := st.Service.Upload(ctx, up, "c.txt", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Store.BeginStage(ctx, tenant, d.ID, pipeline.StageProcess); err != nil {
		t.Fatal(err)
	}
	if err := st.Service.GiveUp(ctx, tenant, d.ID, fmt.Errorf("gave up after 24h of outage: %w", derrors.Unavailable)); err != nil {
		t.Fatal(err)
	}
	again, created, err := st.Service.Upload(ctx, up, "c.txt", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !created || again.ID != d.ID || again.Status != pipeline.StatusReceived {
		t.Fatalf("re-upload after an outage failure: created %v, document %s is %s (%s); want the same document back at intake",
			created, again.ID, again.Status, again.ErrorCode)
	}
	if err := st.Service.Process(ctx, tenant, d.ID, false); err != nil {
		t.Fatal(err)
	}
	if again, _ = st.Store.Document(ctx, tenant, d.ID); again.Status != pipeline.StatusCommitted {
		t.Errorf("resubmitted document is %s, want committed", again.Status)
	}
	if _, created, _ := st.Service.Upload(ctx, up, "c.txt", strings.NewReader(data)); created {
		t.Error("a committed document was resubmitted")
	}
}
