package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// lowRateReview uploads a contract whose rate is under the minimum wage
// and returns its pending review task.
func (e *env) lowRateReview(tn tenant, number string) string {
	e.t.Helper()
	var d document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate(number), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	return e.pendingReview(tn.reviewer, d.ID)
}

// TestApproveRefusesWhatTheSpecDoesNotAllow: the API refuses, as the desk
// does, a correction the spec does not allow (a contract reason outside
// its list, which would then break GET /v1/contracts' schema; a negative
// amount; fields for a type that has none, which would be dropped
// silently): 400, and the task stays open.
func TestApproveRefusesWhatTheSpecDoesNotAllow(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence Contrôle")
	for i, c := range []struct {
		name string
		body map[string]any
	}{
		{"a reason outside the spec", map[string]any{"fields": map[string]any{"hourly_rate": 12.5, "reason": "holiday"}}},
		{"a negative amount", map[string]any{"fields": map[string]any{"weekly_hours": -35}}},
		{"fields for a type without fields", map[string]any{"document_type": "other", "fields": map[string]any{"hourly_rate": 12.5}}},
	} {
		id := e.lowRateReview(tn, fmt.Sprintf("CM-2026-0990%02d", i))
		var p problem
		if code := e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer, c.body, &p); code != http.StatusBadRequest || p.Code != "invalid_argument" {
			t.Errorf("approve with %s: %d %s, want 400 invalid_argument", c.name, code, p.Code)
		}
		if task, err := e.store.Review(context.Background(), tn.id, id); err != nil || task.Status != "pending" || len(task.Approvals) != 0 {
			t.Errorf("after a refused approval with %s the task is %q with %d approvals (%v), want pending with none", c.name, task.Status, len(task.Approvals), err)
		}
	}
}

// TestDecisionBodyIsOneJSONObject: a decision's body is one JSON object;
// anything after it (a second object, stray text) is a 400, not ignored.
func TestDecisionBodyIsOneJSONObject(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence Corps")
	id := e.lowRateReview(tn, "CM-2026-099104")
	for _, body := range []string{`{"reason": "doublon"} {"reason": "autre"}`, `{"reason": "doublon"} junk`} {
		var p problem
		if code := e.do(http.MethodPost, "/v1/reviews/"+id+"/reject", tn.reviewer, strings.NewReader(body), "application/json", &p); code != http.StatusBadRequest {
			t.Errorf("reject with %q: %d, want 400", body, code)
		}
	}
}
