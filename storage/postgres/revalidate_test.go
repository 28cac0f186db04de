package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// lateRecords hides the committed contracts from the rules of the first
// timesheet they check, as if the rules had looked just before the
// contract reached the system of record.
type lateRecords struct {
	pipeline.Records
	mu       sync.Mutex
	hideNext bool
}

func (r *lateRecords) ContractLookup(tenantID string) pipeline.ContractLookup {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hideNext {
		r.hideNext = false
		return noContracts{}
	}
	return r.Records.ContractLookup(tenantID)
}

type noContracts struct{}

func (noContracts) CommittedContract(context.Context, string) (*pipeline.Contract, error) {
	return nil, nil
}

// stackTenant starts a stack (o) with one tenant, and returns them with
// the tenant's uploader.
func stackTenant(t *testing.T, o stacktest.Options, name string) (*stacktest.Stack, string, pipeline.Principal) {
	t.Helper()
	st := stacktest.New(t, o)
	tn, err := st.Store.CreateTenant(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return st, tn.ID, pipeline.Principal{KeyID: "up", TenantID: tn.ID, Role: pipeline.RoleUploader}
}

func upload(t *testing.T, st *stacktest.Stack, p pipeline.Principal, name, text string) string {
	t.Helper()
	d, _, err := st.Service.Upload(context.Background(), p, name, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// revalidations counts the re-validation jobs queued for the tenant.
func revalidations(t *testing.T, st *stacktest.Stack, tenantID string) int {
	t.Helper()
	return count(t, st, "SELECT count(*) FROM river_job WHERE kind = '"+pipeline.JobRevalidate+"' AND args->>'tenant_id' = '"+tenantID+"'")
}

func TestContractQueuesRevalidationOnlyWhenATimesheetWaits(t *testing.T) {
	t.Parallel()
	st, tenant, up := stackTenant(t, stacktest.Options{}, "Agence Attente")

	c1 := upload(t, st, up, "c1.txt", testdocs.Contract(testdocs.ValidContract("CM-2026-021001")))
	waitStatus(t, st, tenant, c1, pipeline.StatusCommitted)
	if n := revalidations(t, st, tenant); n != 0 {
		t.Errorf("%d re-validation jobs for a contract no timesheet waits for, want 0", n)
	}

	ts := upload(t, st, up, "t.txt", testdocs.Timesheet(testdocs.ValidTimesheet("CM-2026-021002")))
	d := waitStatus(t, st, tenant, ts, pipeline.StatusInReview)
	if !hasCode(d.Issues, "timesheet.unknown_contract") {
		t.Fatalf("timesheet issues %+v, want unknown_contract", d.Issues)
	}
	c2 := upload(t, st, up, "c2.txt", testdocs.Contract(testdocs.ValidContract("CM 2026 021002")))
	waitStatus(t, st, tenant, c2, pipeline.StatusCommitted)
	waitStatus(t, st, tenant, ts, pipeline.StatusCommitted)
	if n := revalidations(t, st, tenant); n != 1 {
		t.Errorf("%d re-validation jobs, want 1 (for the contract a timesheet waited for)", n)
	}
}

// The rules of a timesheet find no contract; the contract commits before
// the timesheet's review is stored: the timesheet is revalidated all the
// same instead of waiting for a person.
func TestTimesheetEnteringReviewAfterItsContractCommitted(t *testing.T) {
	t.Parallel()
	st, tenant, up := stackTenant(t, stacktest.Options{Records: func(r pipeline.Records) pipeline.Records {
		return &lateRecords{Records: r}
	}}, "Agence Course")
	c := upload(t, st, up, "c.txt", testdocs.Contract(testdocs.ValidContract("CM-2026-022001")))
	waitStatus(t, st, tenant, c, pipeline.StatusCommitted)

	recs := st.Service.Records.(*lateRecords)
	recs.mu.Lock()
	recs.hideNext = true // the next lookup, the timesheet's rules', finds nothing
	recs.mu.Unlock()
	ts := upload(t, st, up, "t.txt", testdocs.Timesheet(testdocs.ValidTimesheet("CM-2026-022001")))
	d := waitStatus(t, st, tenant, ts, pipeline.StatusCommitted)
	if len(d.Issues) != 0 || d.Review == nil || d.Review.Status != pipeline.ReviewApproved {
		t.Errorf("timesheet: issues %+v, review %+v; want revalidated clean and approved by the pipeline", d.Issues, d.Review)
	}
	if n := revalidations(t, st, tenant); n != 1 {
		t.Errorf("%d re-validation jobs, want 1", n)
	}
}

func hasCode(is []pipeline.Issue, code string) bool {
	for _, i := range is {
		if i.Code == code {
			return true
		}
	}
	return false
}
