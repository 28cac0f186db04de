package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestApproveRefusesReasonOutsideTheSpec: the desk refuses a reason
// outside the spec's enum ("unknown reason"); the API must too, or a
// committed contract violates the CommittedContract schema.
func TestApproveRefusesReasonOutsideTheSpec(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence ZZ")
	var d document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate("CM-2026-099001"), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)
	var got map[string]any
	code := e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer,
		map[string]any{"fields": map[string]any{"hourly_rate": 12.5, "reason": "holiday"}}, &got)
	if code == http.StatusBadRequest {
		return
	}
	t.Errorf("approve with reason \"holiday\": %d, want 400 (the desk refuses it)", code)
	e.waitStatus(tn.uploader, d.ID, "committed")
	var c map[string]any
	e.getJSON("/v1/contracts/CM-2026-099001", tn.uploader, &c)
	t.Logf("committed contract reason = %v", c["reason"])
}

// TestApproveRefusesNegativeAmounts: the desk refuses a negative
// decimal; the API should not commit one.
func TestApproveRefusesNegativeAmounts(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence ZY")
	var d document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate("CM-2026-099002"), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)
	var got map[string]any
	code := e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer,
		map[string]any{"fields": map[string]any{"weekly_hours": -35}}, &got)
	if code != http.StatusBadRequest {
		t.Errorf("approve with weekly_hours -35: %d, want 400 (the desk refuses it); fields %v", code, got["fields"])
	}
}

// TestApproveAsOtherWithFieldsIsRefused: fields sent with
// document_type "other" cannot be kept; the API should say so (400)
// rather than answer 200 and drop them.
func TestApproveAsOtherWithFieldsIsRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence ZX")
	var d document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate("CM-2026-099003"), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)
	var got map[string]any
	code := e.postJSON("/v1/reviews/"+id+"/approve", tn.reviewer,
		map[string]any{"document_type": "other", "fields": map[string]any{"hourly_rate": 12.5}}, &got)
	if code != http.StatusBadRequest {
		t.Errorf("approve as other with fields: %d, want 400; fields %v confidence %v", code, got["fields"], got["confidence"])
	}
}

// TestDecisionBodyIsOneJSONObject: a decision's body is one JSON object;
// anything after it (a second object, stray text) is a 400, not ignored.
func TestDecisionBodyIsOneJSONObject(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence Corps")
	var d document
	e.upload(tn.uploader, "c.pdf", contractWithLowRate("CM-2026-099004"), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	id := e.pendingReview(tn.reviewer, d.ID)
	for _, body := range []string{`{"reason": "doublon"} {"reason": "autre"}`, `{"reason": "doublon"} junk`} {
		var p problem
		if code := e.do(http.MethodPost, "/v1/reviews/"+id+"/reject", tn.reviewer, strings.NewReader(body), "application/json", &p); code != http.StatusBadRequest {
			t.Errorf("reject with %q: %d, want 400", body, code)
		}
	}
}
