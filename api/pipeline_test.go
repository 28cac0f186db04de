package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

func TestUploadToCommitted(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence A")

	var d document
	if code := e.upload(tn.uploader, "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-004512"))), &d); code != http.StatusAccepted {
		t.Fatalf("upload: status %d, want 202", code)
	}
	d = e.waitStatus(tn.uploader, d.ID, "committed", "in_review", "failed", "refused")
	if d.Status != "committed" {
		t.Fatalf("contract ended %s with issues %+v, want committed", d.Status, d.Issues)
	}
	var c map[string]any
	if code := e.getJSON("/v1/contracts/CM-2026-004512", tn.uploader, &c); code != http.StatusOK {
		t.Fatalf("GET contract: %d", code)
	}
	want := map[string]any{"worker_name": "Élodie Lefèvre", "hourly_rate": 13.45, "start_date": "2026-03-02",
		"agency_siret": "73282932000074", "reason": "temporary_increase", "document_id": d.ID}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("committed contract %s = %v, want %v", k, c[k], v)
		}
	}

	// A timesheet billing against it commits too, with its entries.
	var ts document
	if code := e.upload(tn.uploader, "releve.pdf", testdocs.PDF(testdocs.Timesheet(testdocs.ValidTimesheet("CM-2026-004512"))), &ts); code != http.StatusAccepted {
		t.Fatalf("upload timesheet: %d", code)
	}
	ts = e.waitStatus(tn.uploader, ts.ID, "committed", "in_review", "failed", "refused")
	if ts.Status != "committed" {
		t.Fatalf("timesheet ended %s with issues %+v, want committed", ts.Status, ts.Issues)
	}
	var list struct {
		Items []pipeline.CommittedTimesheet `json:"items"`
	}
	if code := e.getJSON("/v1/timesheets?contract_number=CM-2026-004512", tn.uploader, &list); code != http.StatusOK {
		t.Fatalf("GET timesheets: %d", code)
	}
	if len(list.Items) != 1 || len(list.Items[0].Entries) != 5 || *list.Items[0].TotalHours != 37.5 {
		t.Fatalf("committed timesheets = %+v, want one with 5 entries and 37.5 hours", list.Items)
	}
	if n := e.count("SELECT count(*) FROM audit_log WHERE document_id = $1 AND action = 'document.committed'", ts.ID); n != 1 {
		t.Errorf("%d commit audit entries, want 1", n)
	}
	// The summary tables were kept in the same commit.
	var weeks struct {
		Items []struct {
			WorkerName string  `json:"worker_name"`
			ISOWeek    int     `json:"iso_week"`
			Hours      float64 `json:"hours"`
		} `json:"items"`
	}
	if code := e.getJSON("/v1/summaries/weekly-hours?worker=%C3%A9lodie%20lef%C3%A8vre", tn.uploader, &weeks); code != http.StatusOK {
		t.Fatalf("GET weekly hours: %d", code)
	}
	if len(weeks.Items) != 1 || weeks.Items[0].ISOWeek != 10 || weeks.Items[0].Hours != 37.5 {
		t.Errorf("weekly hours = %+v, want week 10 with 37.5 hours", weeks.Items)
	}
	var months struct {
		Items []struct {
			Month  int     `json:"month"`
			Hours  float64 `json:"hours"`
			Amount float64 `json:"amount"`
		} `json:"items"`
	}
	e.getJSON("/v1/contracts/CM-2026-004512/months", tn.uploader, &months)
	if len(months.Items) != 1 || months.Items[0].Month != 3 || months.Items[0].Amount != 504.38 {
		t.Errorf("contract months = %+v, want March, 37.5 h x 13.45 = 504.38", months.Items)
	}
}

// contractWithLowRate is a contract whose rate is below the minimum wage.
func contractWithLowRate(n string) []byte {
	c := testdocs.ValidContract(n)
	c.HourlyRate = testdocs.Num(9.50)
	return testdocs.PDF(testdocs.Contract(c))
}

func (e *env) pendingReview(key, docID string) string {
	e.t.Helper()
	var list struct {
		Items []struct {
			ID         string   `json:"id"`
			DocumentID string   `json:"document_id"`
			Reasons    []string `json:"reasons"`
		} `json:"items"`
	}
	if code := e.getJSON("/v1/reviews?status=pending", key, &list); code != http.StatusOK {
		e.t.Fatalf("GET reviews: %d", code)
	}
	for _, r := range list.Items {
		if r.DocumentID == docID {
			return r.ID
		}
	}
	e.t.Fatalf("no pending review for document %s in %+v", docID, list.Items)
	return ""
}

func TestReviewApproveWithCorrection(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence B")
	var d document
	e.upload(tn.uploader, "contrat.pdf", contractWithLowRate("CM-2026-000777"), &d)
	d = e.waitStatus(tn.uploader, d.ID, "in_review", "committed", "failed")
	if d.Status != "in_review" || !hasIssue(d.Issues, "contract.rate_below_minimum") {
		t.Fatalf("document %s with issues %+v, want in_review with contract.rate_below_minimum", d.Status, d.Issues)
	}
	// Nothing reached the system of record.
	if code := e.getJSON("/v1/contracts/CM-2026-000777", tn.uploader, nil); code != http.StatusNotFound {
		t.Fatalf("contract before approval: %d, want 404", code)
	}
	reviewID := e.pendingReview(tn.reviewer, d.ID)

	// An uploader may not decide.
	var p problem
	if code := e.postJSON("/v1/reviews/"+reviewID+"/approve", tn.uploader, map[string]any{}, &p); code != http.StatusForbidden || p.Code != "forbidden" {
		t.Fatalf("uploader approving: %d %+v, want 403 forbidden", code, p)
	}
	// A correction of the wrong type is refused.
	if code := e.postJSON("/v1/reviews/"+reviewID+"/approve", tn.reviewer, map[string]any{"fields": map[string]any{"hourly_rate": "cheap"}}, &p); code != http.StatusBadRequest {
		t.Fatalf("bad correction: %d, want 400", code)
	}
	var approved document
	code := e.postJSON("/v1/reviews/"+reviewID+"/approve", tn.reviewer,
		map[string]any{"fields": map[string]any{"hourly_rate": 12.50}, "comment": "taux corrigé d'après l'avenant"}, &approved)
	if code != http.StatusOK {
		t.Fatalf("approve: %d", code)
	}
	if hasIssue(approved.Issues, "contract.rate_below_minimum") {
		t.Errorf("issues after correction %+v still flag the rate", approved.Issues)
	}
	d = e.waitStatus(tn.uploader, d.ID, "committed", "failed")
	if d.Status != "committed" {
		t.Fatalf("approved document ended %s", d.Status)
	}
	var c map[string]any
	e.getJSON("/v1/contracts/CM-2026-000777", tn.uploader, &c)
	if c["hourly_rate"] != 12.5 {
		t.Errorf("committed hourly_rate = %v, want the corrected 12.5", c["hourly_rate"])
	}
	// The decision and its change are in the audit log.
	var audit struct {
		Items []struct {
			Actor   string         `json:"actor"`
			Action  string         `json:"action"`
			Details map[string]any `json:"details"`
		} `json:"items"`
	}
	e.getJSON("/v1/documents/"+d.ID+"/audit", tn.reviewer, &audit)
	found := false
	for _, a := range audit.Items {
		if a.Action == "review.approved" {
			found = true
			change := fmt.Sprint(a.Details["changes"])
			if a.Actor == "" || change != "map[hourly_rate:[9.5 12.5]]" {
				t.Errorf("approval audit entry %+v, want actor and hourly_rate 9.5 -> 12.5", a)
			}
		}
	}
	if !found {
		t.Errorf("no review.approved entry in %+v", audit.Items)
	}
	// A second decision on the same task conflicts.
	if code := e.postJSON("/v1/reviews/"+reviewID+"/reject", tn.reviewer, map[string]any{"reason": "late"}, &p); code != http.StatusConflict {
		t.Errorf("second decision: %d, want 409", code)
	}
}

func TestReviewReject(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence C")
	var d document
	e.upload(tn.uploader, "contrat.pdf", contractWithLowRate("CM-2026-000888"), &d)
	e.waitStatus(tn.uploader, d.ID, "in_review")
	reviewID := e.pendingReview(tn.reviewer, d.ID)
	var p problem
	if code := e.postJSON("/v1/reviews/"+reviewID+"/reject", tn.reviewer, map[string]any{"reason": ""}, &p); code != http.StatusBadRequest {
		t.Fatalf("reject without reason: %d, want 400", code)
	}
	var got document
	if code := e.postJSON("/v1/reviews/"+reviewID+"/reject", tn.reviewer, map[string]any{"reason": "contrat non signé"}, &got); code != http.StatusOK {
		t.Fatalf("reject: %d", code)
	}
	if got.Status != "rejected" || got.Review == nil || got.Review.Status != "rejected" {
		t.Fatalf("rejected document = %+v", got)
	}
	if code := e.getJSON("/v1/contracts/CM-2026-000888", tn.uploader, nil); code != http.StatusNotFound {
		t.Errorf("rejected contract in the system of record: %d, want 404", code)
	}
	if n := e.count("SELECT count(*) FROM audit_log WHERE document_id = $1 AND action = 'review.rejected' AND details->>'reason' = 'contrat non signé'", d.ID); n != 1 {
		t.Errorf("%d rejection audit entries with the reason, want 1", n)
	}
}

func TestDuplicateUpload(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence D")
	other := e.tenant("Agence E")
	data := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-000999")))
	var first, second, third document
	if code := e.upload(tn.uploader, "a.pdf", data, &first); code != http.StatusAccepted {
		t.Fatalf("first upload: %d", code)
	}
	if code := e.upload(tn.uploader, "b.pdf", data, &second); code != http.StatusOK {
		t.Fatalf("second upload: %d, want 200", code)
	}
	if second.ID != first.ID {
		t.Fatalf("second upload made document %s, want the first's %s", second.ID, first.ID)
	}
	e.waitStatus(tn.uploader, first.ID, "committed")
	if n := e.count("SELECT count(*) FROM river_job WHERE kind = 'process_document' AND args->>'document_id' = $1", first.ID); n != 1 {
		t.Errorf("%d process jobs for the document, want 1", n)
	}
	// Another tenant's identical bytes are its own document.
	if code := e.upload(other.uploader, "a.pdf", data, &third); code != http.StatusAccepted || third.ID == first.ID {
		t.Errorf("other tenant's upload: %d %s", code, third.ID)
	}
}

func TestRefusedUploadIsKept(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence F")
	cases := []struct {
		name, file string
		data       []byte
		status     int
		code       string
	}{
		{"empty", "vide.pdf", []byte("  \n"), http.StatusUnprocessableEntity, "empty_document"},
		{"binary", "photo.pdf", []byte{0x00, 0x01, 0x02, 0xFE, 0xFF, 0x00, 0x10}, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"encrypted", "secret.pdf", []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer << /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n"), http.StatusUnprocessableEntity, "encrypted_document"},
		{"too large", "big.txt", make([]byte, 2<<20), http.StatusRequestEntityTooLarge, "too_large"},
	}
	for _, c := range cases {
		var p problem
		code := e.upload(tn.uploader, c.file, c.data, &p)
		if code != c.status || p.Code != c.code || p.Detail == "" {
			t.Errorf("%s: %d %+v, want %d %s", c.name, code, p, c.status, c.code)
			continue
		}
		if p.DocumentID == "" {
			t.Errorf("%s: the problem names no document kept for audit", c.name)
			continue
		}
		var d document
		e.getJSON("/v1/documents/"+p.DocumentID, tn.uploader, &d)
		if d.Status != "refused" || d.Refusal == nil || *d.Refusal != c.code {
			t.Errorf("%s: kept document = %+v, want refused %s", c.name, d, c.code)
		}
	}
	if n := e.count("SELECT count(*) FROM river_job"); n != 0 {
		t.Errorf("%d jobs for refused uploads, want none", n)
	}
}

func TestAuthAndTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	a := e.tenant("Tenant A")
	b := e.tenant("Tenant B")
	var d document
	e.upload(b.uploader, "contrat.pdf", contractWithLowRate("CM-2026-B0001"), &d)
	d = e.waitStatus(b.uploader, d.ID, "in_review")
	reviewID := e.pendingReview(b.reviewer, d.ID)

	var p problem
	if code := e.getJSON("/v1/documents", "", &p); code != http.StatusUnauthorized || p.Code != "unauthenticated" {
		t.Errorf("no key: %d %+v", code, p)
	}
	if code := e.getJSON("/v1/documents", "dfk_not-a-real-key", &p); code != http.StatusUnauthorized {
		t.Errorf("wrong key: %d", code)
	}
	if code := e.getJSON("/v1/reviews", a.uploader, &p); code != http.StatusForbidden {
		t.Errorf("uploader listing reviews: %d, want 403", code)
	}
	// Tenant A sees nothing of tenant B's.
	for _, path := range []string{"/v1/documents/" + d.ID, "/v1/documents/" + d.ID + "/audit"} {
		if code := e.getJSON(path, a.reviewer, &p); code != http.StatusNotFound {
			t.Errorf("tenant A GET %s: %d, want 404", path, code)
		}
	}
	if code := e.postJSON("/v1/reviews/"+reviewID+"/approve", a.reviewer, map[string]any{}, &p); code != http.StatusNotFound {
		t.Errorf("tenant A approving B's review: %d, want 404", code)
	}
	if code := e.postJSON("/v1/reviews/"+reviewID+"/reject", a.reviewer, map[string]any{"reason": "x"}, &p); code != http.StatusNotFound {
		t.Errorf("tenant A rejecting B's review: %d, want 404", code)
	}
	var list struct {
		Items []document `json:"items"`
	}
	e.getJSON("/v1/documents", a.uploader, &list)
	if len(list.Items) != 0 {
		t.Errorf("tenant A lists %d documents, want 0", len(list.Items))
	}
	var reviews struct {
		Items []any `json:"items"`
	}
	e.getJSON("/v1/reviews", a.reviewer, &reviews)
	if len(reviews.Items) != 0 {
		t.Errorf("tenant A lists %d reviews, want 0", len(reviews.Items))
	}
	// B approves; A still cannot read B's contract from the system of record.
	e.postJSON("/v1/reviews/"+reviewID+"/approve", b.reviewer, map[string]any{"fields": map[string]any{"hourly_rate": 12.5}}, nil)
	e.waitStatus(b.uploader, d.ID, "committed")
	if code := e.getJSON("/v1/contracts/CM-2026-B0001", a.uploader, &p); code != http.StatusNotFound {
		t.Errorf("tenant A GET B's contract: %d, want 404", code)
	}
	var ts struct {
		Items []any `json:"items"`
	}
	e.getJSON("/v1/timesheets?contract_number=CM-2026-B0001", a.uploader, &ts)
	if len(ts.Items) != 0 {
		t.Errorf("tenant A sees %d of B's timesheets", len(ts.Items))
	}
}

func hasIssue(issues []pipeline.Issue, code string) bool {
	for _, i := range issues {
		if i.Code == code {
			return true
		}
	}
	return false
}

func TestCorruptUploadsAreRefusedAtIntake(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	tn := e.tenant("Agence M")
	pdf := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-009009")))
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"truncated.pdf", pdf[:len(pdf)/2]},
		{"truncated.docx", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00garbage that ends early")},
	} {
		var p problem
		if code := e.upload(tn.uploader, c.name, c.data, &p); code != http.StatusUnprocessableEntity || p.Code != "corrupt_document" || p.DocumentID == "" {
			t.Errorf("%s: %d %+v, want 422 corrupt_document with the kept document", c.name, code, p)
		}
	}
}
