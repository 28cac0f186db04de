package similarity

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline/testdocs"
)

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestHashingSeparatesLayoutsNotValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := Hashing{}
	c1 := testdocs.ValidContract("CM-2026-000001")
	c2 := testdocs.ValidContract("CM-2026-999999")
	c2.WorkerName, c2.AgencyName, c2.WorkLocation = "Jean Martin", "Alpha Intérim Nantes", "Rezé"
	a, _ := e.Embed(ctx, testdocs.Contract(c1))
	b, _ := e.Embed(ctx, testdocs.Contract(c2))
	ts, _ := e.Embed(ctx, testdocs.Timesheet(testdocs.ValidTimesheet("CM-2026-000001")))
	if n := cosine(a, a); math.Abs(n-1) > 1e-5 {
		t.Errorf("a unit vector has norm %v", n)
	}
	if s := cosine(a, b); s < SameLayout {
		t.Errorf("two contracts of one layout: similarity %.3f, want at least %.2f", s, SameLayout)
	}
	if s := cosine(a, ts); s >= SameLayout {
		t.Errorf("a contract and a timesheet: similarity %.3f, want under %.2f", s, SameLayout)
	}
	if s := cosine(a, b); s >= NearDuplicate {
		t.Errorf("two different contracts of one layout are near-duplicates (%.3f)", s)
	}
	empty, _ := e.Embed(ctx, "")
	if cosine(empty, empty) != 0 {
		t.Error("empty text gives a non-zero vector")
	}
}

// TestOpenAIEmbedIsBounded: an embeddings endpoint that does not answer
// holds a call no longer than the embedder's timeout, and the failure is
// transient (the index is retried later).
func TestOpenAIEmbedIsBounded(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	e := NewOpenAI(srv.URL+"/v1", "key", "text-embedding-3-small")
	e.Timeout = 200 * time.Millisecond
	done := make(chan error, 1)
	go func() { _, err := e.Embed(context.Background(), "contrat de mission"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, derrors.Transient) {
			t.Errorf("Embed on a stalled endpoint: %v, want a transient error", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Embed on a stalled endpoint did not return within a minute")
	}
}
