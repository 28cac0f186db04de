package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

func rawRequest(t *testing.T, e *env, method, path, key, ctype string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.server.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A file name in Latin-1 (as older mail clients and browsers send it) is
// accepted with a cleaned name (or refused with a 4xx and a stable code),
// never a 500 from PostgreSQL refusing invalid UTF-8.
func TestUploadLatin1FileName(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	tn := e.tenant("Agence Nom")
	boundary := "zzboundary"
	var body bytes.Buffer
	fmt.Fprintf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contrat_\xe9t\xe9.txt\"\r\nContent-Type: text/plain\r\n\r\n", boundary)
	body.WriteString(testdocs.Contract(testdocs.ValidContract("CM-2026-036001")))
	fmt.Fprintf(&body, "\r\n--%s--\r\n", boundary)
	code, out := rawRequest(t, e, "POST", "/v1/documents", tn.uploader, "multipart/form-data; boundary="+boundary, body.Bytes())
	if code >= 500 {
		t.Errorf("upload with a Latin-1 file name: %d %s", code, out)
	}
}

// A reviewer's reason or comment holding a NUL character (valid JSON,
// "\u0000") gets a 4xx, not a 500.
func TestDecisionTextWithNUL(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	tn := e.tenant("Agence NUL")
	ctx := context.Background()
	up, err := e.store.Authenticate(ctx, tn.uploader)
	if err != nil {
		t.Fatal(err)
	}
	bad := testdocs.ValidContract("CM-2026-036002")
	bad.HourlyRate = testdocs.Num(9.5)
	d, _, err := e.svc.Upload(ctx, up, "c.txt", strings.NewReader(testdocs.Contract(bad)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Process(ctx, tn.id, d.ID, false); err != nil {
		t.Fatal(err)
	}
	d, _ = e.store.Document(ctx, tn.id, d.ID)
	if d.Status != pipeline.StatusInReview {
		t.Fatalf("document %s", d.Status)
	}
	code, out := rawRequest(t, e, "POST", "/v1/reviews/"+d.Review.ID+"/reject", tn.reviewer, "application/json", []byte(`{"reason": "bad\u0000rate"}`))
	if code >= 500 {
		t.Errorf("reject with a NUL in the reason: %d %s", code, out)
	}
	code, out = rawRequest(t, e, "POST", "/v1/reviews/"+d.Review.ID+"/approve", tn.reviewer, "application/json", []byte(`{"comment": "ok\u0000"}`))
	if code >= 500 {
		t.Errorf("approve with a NUL in the comment: %d %s", code, out)
	}
	code, out = rawRequest(t, e, "POST", "/v1/reviews/"+d.Review.ID+"/approve", tn.reviewer, "application/json", []byte(`{"fields": {"worker_name": "A\u0000B"}}`))
	if code >= 500 {
		t.Errorf("approve with a NUL in a corrected field: %d %s", code, out)
	}
}

// Query parameters and path ids holding a NUL byte (percent-encoded %00)
// are bad input: 400 or 404, not 500.
func TestQueryWithNUL(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	tn := e.tenant("Agence Requete")
	for _, c := range []struct{ key, path string }{
		{tn.reviewer, "/v1/reviews?code=%00"},
		{tn.reviewer, "/v1/reviews?assignee=%00"},
		{tn.uploader, "/v1/documents/%00"},
		{tn.reviewer, "/v1/reviews/%00/claim"},
		{tn.admin, "/v1/workers/export?worker=a%00b"},
		{tn.admin, "/v1/audit?document_id=%00"},
	} {
		method := "GET"
		if strings.HasSuffix(c.path, "/claim") {
			method = "POST"
		}
		code, out := rawRequest(t, e, method, c.path, c.key, "", nil)
		if code >= 500 {
			t.Errorf("%s %s: %d %s", method, c.path, code, out)
		}
	}
}
