package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/google/uuid"
)

// stageStack is a stack without workers: the test runs the stages itself.
func stageStack(t *testing.T) (*stacktest.Stack, string) {
	t.Helper()
	st := stacktest.New(t, stacktest.Options{NoWorkers: true})
	tn, err := st.Store.CreateTenant(context.Background(), "Agence Revue")
	if err != nil {
		t.Fatal(err)
	}
	return st, tn.ID
}

func uploadProcess(t *testing.T, st *stacktest.Stack, up pipeline.Principal, name, text string) pipeline.Document {
	t.Helper()
	ctx := context.Background()
	d, _, err := st.Service.Upload(ctx, up, name, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Service.Process(ctx, up.TenantID, d.ID, false); err != nil {
		t.Fatal(err)
	}
	d, err = st.Store.Document(ctx, up.TenantID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func shiftedTimesheet(n string, week int) string {
	ts := testdocs.ValidTimesheet(n)
	shift := 7 * week
	start := ts.PeriodStart.AddDate(0, 0, shift)
	end := ts.PeriodEnd.AddDate(0, 0, shift)
	ts.PeriodStart, ts.PeriodEnd = &pipeline.Date{Time: start}, &pipeline.Date{Time: end}
	for i := range ts.Entries {
		ts.Entries[i].Date = pipeline.Date{Time: ts.Entries[i].Date.AddDate(0, 0, shift)}
	}
	return testdocs.Timesheet(ts)
}

// hookStore runs a hook after WaitingForContract read its list, as if a
// reviewer acted between the listing and the re-validation of each
// timesheet.
type hookStore struct {
	*postgres.Store
	afterWaiting func()
	once         sync.Once
}

func (s *hookStore) WaitingForContract(ctx context.Context, tenantID, key string) ([]pipeline.Document, error) {
	docs, err := s.Store.WaitingForContract(ctx, tenantID, key)
	s.once.Do(s.afterWaiting)
	return docs, err
}

// Two timesheets wait for their contract. While the re-validation job
// runs, a reviewer rejects the first one. The second must still be
// re-validated (and committed), not left waiting because the job met a
// task decided meanwhile.
func TestRevalidateSurvivesConcurrentDecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	rev := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleReviewer}

	ts1 := uploadProcess(t, st, up, "t1.txt", shiftedTimesheet("CM-2026-031001", 0))
	time.Sleep(10 * time.Millisecond)
	ts2 := uploadProcess(t, st, up, "t2.txt", shiftedTimesheet("CM-2026-031001", 1))
	for _, d := range []pipeline.Document{ts1, ts2} {
		if d.Status != pipeline.StatusInReview {
			t.Fatalf("timesheet %s is %s, want in_review", d.ID, d.Status)
		}
	}
	c := uploadProcess(t, st, up, "c.txt", testdocs.Contract(testdocs.ValidContract("CM-2026-031001")))
	if c.Status != pipeline.StatusCommitted {
		t.Fatalf("contract is %s, want committed (issues %+v)", c.Status, c.Issues)
	}

	svc := *st.Service
	svc.Store = &hookStore{Store: st.Store, afterWaiting: func() {
		if _, err := st.Service.Reject(ctx, rev, ts1.Review.ID, "wrong worker"); err != nil {
			t.Errorf("reject: %v", err)
		}
	}}
	err := svc.RevalidateWaiting(ctx, tenant, c.ID)
	got2, gerr := st.Store.Document(ctx, tenant, ts2.ID)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if err != nil || got2.Status == pipeline.StatusInReview {
		t.Errorf("RevalidateWaiting = %v (permanent: %v); second timesheet is %s/%s, want re-validated (processing/commit)",
			err, err != nil && derrors.IsPermanent(err), got2.Status, got2.Stage)
	}
}

// barrierStore makes the Review lookups of two approvals meet, as when
// two reviewers press "approve" at once.
type barrierStore struct {
	*postgres.Store
	wg sync.WaitGroup
}

func (s *barrierStore) Review(ctx context.Context, tenantID, id string) (pipeline.ReviewTask, error) {
	r, err := s.Store.Review(ctx, tenantID, id)
	s.wg.Done()
	s.wg.Wait()
	return r, err
}

// A task needs two approvals. Two different reviewers approve it at the
// same moment: either the task ends approved (two approvals) or one of
// them is told 409 - never both recorded as "first approval", the task
// pending with two approvals and the document waiting for a third.
func TestConcurrentFirstApprovals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	admin := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleAdmin}
	if err := st.Service.UpdateSettings(ctx, admin, pipeline.TenantSettings{Policy: &pipeline.Policy{
		SecondApproval: []string{"timesheet.unknown_contract"}}}); err != nil {
		t.Fatal(err)
	}
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	d := uploadProcess(t, st, up, "t.txt", shiftedTimesheet("CM-2026-032001", 0))
	if d.Status != pipeline.StatusInReview || d.Review == nil {
		t.Fatalf("timesheet is %s, want in_review", d.Status)
	}
	task, err := st.Store.Review(ctx, tenant, d.Review.ID)
	if err != nil || task.ApprovalsRequired != 2 {
		t.Fatalf("task %+v, %v: want 2 approvals required", task, err)
	}

	bs := &barrierStore{Store: st.Store}
	bs.wg.Add(2)
	svc := *st.Service
	svc.Store = bs
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleReviewer}
			_, err := svc.Approve(ctx, p, pipeline.ApproveInput{ReviewID: task.ID})
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	task, err = st.Store.Review(ctx, tenant, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := st.Store.Document(ctx, tenant, d.ID)
	ok := 0
	for _, e := range errs {
		if e == nil {
			ok++
		}
	}
	if ok == 2 && task.Status != pipeline.ReviewApproved {
		t.Errorf("both approvals succeeded (%v) but the task is %s with approvals %v, document %s: two reviewers approved and nothing moves",
			errs, task.Status, task.Approvals, doc.Status)
	}
	if task.Status == pipeline.ReviewPending && len(task.Approvals) >= task.ApprovalsRequired {
		t.Errorf("task pending with %d approvals of %d required", len(task.Approvals), task.ApprovalsRequired)
	}
	// Both read the task with no approval: the first decision stands, the
	// other is told to read it again.
	conflicts := 0
	for _, e := range errs {
		if errors.Is(e, derrors.Conflict) {
			conflicts++
		}
	}
	if ok != 1 || conflicts != 1 || task.Status != pipeline.ReviewPending || len(task.Approvals) != 1 {
		t.Errorf("approvals at once: %v; task %s with %d approvals; want one first approval and one 409", errs, task.Status, len(task.Approvals))
	}
}

// A timesheet waits for its contract and needs two approvals. Reviewer A
// gives the first approval with a correction that breaks a rule (total
// hours 50 for 37.5 entered). The re-validation job, which had listed the
// timesheet before A's approval, must not approve the task in the
// pipeline's name with findings computed on the fields from before the
// correction: the corrected values never reach the system of record
// without the second approval.
func TestRevalidateNeverUsesFieldsFromBeforeAReviewersCorrection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	admin := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleAdmin}
	if err := st.Service.UpdateSettings(ctx, admin, pipeline.TenantSettings{Policy: &pipeline.Policy{
		SecondApproval: []string{"timesheet.unknown_contract"}}}); err != nil {
		t.Fatal(err)
	}
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	revA := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleReviewer}
	ts := uploadProcess(t, st, up, "t.txt", shiftedTimesheet("CM-2026-034001", 0))
	if ts.Status != pipeline.StatusInReview {
		t.Fatalf("timesheet is %s", ts.Status)
	}
	c := uploadProcess(t, st, up, "c.txt", testdocs.Contract(testdocs.ValidContract("CM-2026-034001")))
	if c.Status != pipeline.StatusCommitted {
		t.Fatalf("contract is %s", c.Status)
	}
	svc := *st.Service
	svc.Store = &hookStore{Store: st.Store, afterWaiting: func() {
		d, err := st.Service.Approve(ctx, revA, pipeline.ApproveInput{ReviewID: ts.Review.ID,
			Corrections: map[string]any{"total_hours": 50}})
		if err != nil {
			t.Errorf("first approval: %v", err)
			return
		}
		t.Logf("after the first approval: %s, issues %v", d.Status, pipeline.Codes(d.Issues))
	}}
	if err := svc.RevalidateWaiting(ctx, tenant, c.ID); err != nil {
		t.Fatalf("revalidate: %v", err)
	}
	d, err := st.Store.Document(ctx, tenant, ts.ID)
	if err != nil {
		t.Fatal(err)
	}
	total := d.Fields.Timesheet.TotalHours
	if d.Status != pipeline.StatusInReview {
		t.Errorf("timesheet is %s/%s with total_hours %v and issues %v after a single approval of a correction that breaks %s; want it still in review for the second approver",
			d.Status, d.Stage, *total, pipeline.Codes(d.Issues), "timesheet.total_mismatch")
	}
	if d.Status == pipeline.StatusProcessing {
		if err := st.Service.Commit(ctx, tenant, ts.ID); err != nil {
			t.Fatalf("commit: %v", err)
		}
		rows, err := st.Records.Timesheets(ctx, tenant, "CM-2026-034001")
		if err == nil && len(rows) == 1 {
			t.Errorf("system of record now holds the timesheet with total_hours %v (entries total 37.5), approved by one reviewer", *rows[0].TotalHours)
		}
	}
}
