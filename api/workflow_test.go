package api_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

type reviewTask struct {
	ID                string   `json:"id"`
	Status            string   `json:"status"`
	Assignee          *string  `json:"assignee"`
	Reasons           []string `json:"reasons"`
	ApprovalsRequired int      `json:"approvals_required"`
	Approvals         []string `json:"approvals"`
}

// secondReviewer makes one more reviewer key for the tenant.
func (e *env) secondReviewer(tenantID string) string {
	e.t.Helper()
	k, err := e.store.CreateAPIKey(context.Background(), tenantID, pipeline.RoleReviewer)
	if err != nil {
		e.t.Fatal(err)
	}
	return k.Key
}

func TestClaimingKeepsReviewersApart(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence N")
	other := e.secondReviewer(tn.id)
	var d document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate("CM-2026-010010"), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)

	var task reviewTask
	if code := e.postJSON("/v1/reviews/"+id+"/claim", tn.reviewer, nil, &task); code != http.StatusOK || task.Status != "claimed" || task.Assignee == nil {
		t.Fatalf("claim: %d %+v", code, task)
	}
	var p problem
	if code := e.postJSON("/v1/reviews/"+id+"/claim", other, nil, &p); code != http.StatusConflict {
		t.Errorf("second reviewer claiming: %d, want 409", code)
	}
	if code := e.postJSON("/v1/reviews/"+id+"/approve", other, map[string]any{}, &p); code != http.StatusConflict {
		t.Errorf("second reviewer approving a claimed task: %d, want 409", code)
	}
	var mine struct {
		Items []reviewTask `json:"items"`
	}
	e.getJSON("/v1/reviews?assignee=me", tn.reviewer, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != id {
		t.Errorf("my queue = %+v", mine.Items)
	}
	e.getJSON("/v1/reviews?assignee=none", tn.reviewer, &mine)
	if len(mine.Items) != 0 {
		t.Errorf("unclaimed queue = %+v, want empty", mine.Items)
	}
	if code := e.postJSON("/v1/reviews/"+id+"/release", other, nil, &p); code != http.StatusConflict {
		t.Errorf("releasing another's claim: %d, want 409", code)
	}
	if code := e.postJSON("/v1/reviews/"+id+"/release", tn.admin, nil, &task); code != http.StatusOK || task.Status != "pending" {
		t.Errorf("admin releasing: %d %+v", code, task)
	}
	if code := e.postJSON("/v1/reviews/"+id+"/claim", other, nil, &task); code != http.StatusOK {
		t.Errorf("claim after release: %d", code)
	}
	// Filters of the queue.
	var q struct {
		Items []reviewTask `json:"items"`
	}
	e.getJSON("/v1/reviews?document_type=contract&code=contract.rate_below_minimum", tn.reviewer, &q)
	if len(q.Items) != 1 {
		t.Errorf("filtered queue = %+v, want the task", q.Items)
	}
	e.getJSON("/v1/reviews?document_type=timesheet", tn.reviewer, &q)
	if len(q.Items) != 0 {
		t.Errorf("timesheet queue = %+v, want empty", q.Items)
	}
	e.getJSON("/v1/reviews?older_than=1h", tn.reviewer, &q)
	if len(q.Items) != 0 {
		t.Errorf("tasks older than an hour = %+v, want none", q.Items)
	}
}

func TestSecondApprover(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence O")
	other := e.secondReviewer(tn.id)
	var s map[string]any
	settings := map[string]any{"policy": map[string]any{"second_approval_codes": []string{"contract.rate_below_minimum"}}}
	if code := e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(settings), "application/json", &s); code != http.StatusOK {
		t.Fatalf("put settings: %d %v", code, s)
	}
	var d document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate("CM-2026-011011"), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)
	var got document
	if code := e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer, map[string]any{"fields": map[string]any{"hourly_rate": 12.4}}, &got); code != http.StatusOK {
		t.Fatalf("first approval: %d", code)
	}
	if got.Status != "in_review" {
		t.Fatalf("after one of two approvals the document is %s, want in_review", got.Status)
	}
	var p problem
	if code := e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer, map[string]any{}, &p); code != http.StatusConflict {
		t.Errorf("same reviewer approving twice: %d, want 409", code)
	}
	if code := e.postJSON("/v1/reviews/"+id+"/approve", other, map[string]any{}, &got); code != http.StatusOK {
		t.Fatalf("second approval: %d", code)
	}
	e.waitStatus(tn.uploader, d.ID, "committed")
	var c map[string]any
	e.getJSON("/v1/contracts/CM-2026-011011", tn.uploader, &c)
	if c["hourly_rate"] != 12.4 {
		t.Errorf("committed rate %v, want the first reviewer's correction 12.4", c["hourly_rate"])
	}
	var corr struct {
		Items []pipeline.Correction `json:"items"`
	}
	e.getJSON("/v1/corrections", tn.admin, &corr)
	if len(corr.Items) != 1 || corr.Items[0].Field != "hourly_rate" || corr.Items[0].Extracted != 9.5 || corr.Items[0].Corrected != 12.4 || corr.Items[0].Extractor != "rules/v1" {
		t.Errorf("corrections = %+v", corr.Items)
	}
}

func TestUploaderMayNotApproveOwnDocument(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence P")
	ctx := context.Background()
	// One principal holding the reviewer role uploads (as a person with
	// both duties would) and then tries to approve.
	p, err := e.store.Authenticate(ctx, tn.reviewer)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := e.svc.Upload(ctx, p, "c.pdf", bytes.NewReader(contractWithLowRate("CM-2026-012012")))
	if err != nil {
		t.Fatal(err)
	}
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)
	if _, err := e.svc.Approve(ctx, p, pipeline.ApproveInput{ReviewID: id}); !errors.Is(err, derrors.Forbidden) {
		t.Fatalf("uploader approving: %v, want Forbidden", err)
	}
	if code := e.postJSON("/v1/reviews/"+id+"/approve", e.secondReviewer(tn.id), map[string]any{"fields": map[string]any{"hourly_rate": 12.5}}, nil); code != http.StatusOK {
		t.Errorf("another reviewer approving: %d", code)
	}
}

func TestTimesheetWaitingForContractIsRevalidated(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence Q")
	var ts document
	e.upload(tn.uploader, "t.pdf", testdocs.PDF(testdocs.Timesheet(testdocs.ValidTimesheet("CM-2026-013013"))), &ts)
	ts = e.waitStatus(tn.uploader, ts.ID, "in_review")
	if !hasIssue(ts.Issues, "timesheet.unknown_contract") {
		t.Fatalf("timesheet issues %+v, want unknown_contract", ts.Issues)
	}
	// The contract arrives and commits: the timesheet has no finding left.
	var c document
	e.upload(tn.uploader, "c.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM 2026 013013"))), &c)
	e.waitStatus(tn.uploader, c.ID, "committed")
	// The re-validation job follows the contract's commit: the timesheet
	// stays in review until it has run.
	waitFor(t, func() bool {
		e.getJSON("/v1/documents/"+ts.ID, tn.uploader, &ts)
		return ts.Status == "committed"
	})
	if len(ts.Issues) != 0 || ts.Review == nil || ts.Review.Status != "approved" {
		t.Errorf("revalidated timesheet: issues %+v, review %+v", ts.Issues, ts.Review)
	}
}

func TestSamplingAndSettings(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence R")
	var p problem
	for _, bad := range []map[string]any{
		{"policy": map[string]any{"sample_rate": 1.5}},
		{"rules": map[string]any{"min_hourly_rate": -3}},
		{"rules": map[string]any{"no_such_rule": 1}},
		{"colour": "blue"},
		{"llm_mode": "sometimes"},
	} {
		if code := e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(bad), "application/json", &p); code != http.StatusBadRequest {
			t.Errorf("settings %v: %d, want 400", bad, code)
		}
	}
	if code := e.do(http.MethodPut, "/v1/settings", tn.reviewer, jsonBody(map[string]any{}), "application/json", &p); code != http.StatusForbidden {
		t.Errorf("reviewer changing settings: %d, want 403", code)
	}
	var s struct {
		Policy  pipeline.Policy    `json:"policy"`
		Rules   map[string]float64 `json:"rules"`
		LLMMode string             `json:"llm_mode"`
	}
	if code := e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(map[string]any{"llm_mode": "always"}), "application/json", &s); code != http.StatusOK || s.LLMMode != "always" {
		t.Errorf("llm_mode: %d %+v", code, s)
	}
	body := map[string]any{"policy": map[string]any{"sample_rate": 1}, "rules": map[string]any{"min_hourly_rate": 14}}
	if code := e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(body), "application/json", &s); code != http.StatusOK || s.Policy.SampleRate != 1 || s.Rules["min_hourly_rate"] != 14 {
		t.Fatalf("put settings: %d %+v", code, s)
	}
	// The tenant's minimum wage is 14: the 13.45 contract is flagged; with
	// every clean document sampled, nothing commits unseen.
	var d document
	e.upload(tn.uploader, "c.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-014014"))), &d)
	d = e.waitStatus(tn.uploader, d.ID, "in_review")
	if !hasIssue(d.Issues, "contract.rate_below_minimum") {
		t.Errorf("issues %+v, want the tenant's minimum wage applied", d.Issues)
	}
	e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(map[string]any{"policy": map[string]any{"sample_rate": 1}}), "application/json", nil)
	e.upload(tn.uploader, "c2.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-014015"))), &d)
	d = e.waitStatus(tn.uploader, d.ID, "in_review")
	var q struct {
		Items []reviewTask `json:"items"`
	}
	e.getJSON("/v1/reviews?code=review.sampled", tn.reviewer, &q)
	if len(d.Issues) != 0 || len(q.Items) != 1 {
		t.Errorf("sampled document: issues %+v, sampled tasks %+v", d.Issues, q.Items)
	}
	// The changes are in the audit log, which an auditor reads.
	auditor, err := e.store.CreateAPIKey(context.Background(), tn.id, pipeline.RoleAuditor)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	if code := e.getJSON("/v1/audit", auditor.Key, &log); code != http.StatusOK {
		t.Fatalf("auditor reading the log: %d", code)
	}
	changes := 0
	for _, a := range log.Items {
		if a.Action == "tenant.settings_changed" {
			changes++
		}
	}
	if changes != 3 {
		t.Errorf("%d settings changes in the audit log, want 3", changes)
	}
	if code := e.upload(auditor.Key, "x.pdf", []byte("%PDF"), &p); code != http.StatusForbidden {
		t.Errorf("auditor uploading: %d, want 403", code)
	}
	if _, err := e.pool.Exec(context.Background(), "DELETE FROM audit_log"); err == nil {
		t.Error("the audit log accepted a DELETE")
	}
}

func TestReviewedDocumentsExportAsDataset(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence S")
	var d, clean document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate("CM-2026-015015"), &d)
	e.upload(tn.uploader, "ok.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-015016"))), &clean)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	e.waitStatus(tn.uploader, clean.ID, "committed")
	id := e.pendingReview(tn.reviewer, d.ID)
	e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer, map[string]any{"fields": map[string]any{"hourly_rate": 12.75}}, nil)
	e.waitStatus(tn.uploader, d.ID, "committed")
	dir := t.TempDir() + "/ds"
	n, err := dataset.ExportReviewed(context.Background(), e.store, e.svc.Files, tn.id, dir)
	if err != nil || n != 1 {
		t.Fatalf("exported %d (%v), want the one reviewed document", n, err)
	}
	lines, err := dataset.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := lines[0]
	if l.DocumentType != "contract" || l.Fields["hourly_rate"] != 12.75 || !l.HasTag("corrected") || len(l.ExpectedIssues) != 0 {
		t.Errorf("exported line = %+v", l)
	}
}
