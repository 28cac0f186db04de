package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/api"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/pgtest"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestPostgresOutageAnswers503 stops a private PostgreSQL under a running
// API: requests answer 503 problem+json with code unavailable and a
// Retry-After, not 500 internal; once it is started again they answer 2xx.
func TestPostgresOutageAnswers503(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	url := pg.CreateDatabase("docflow")
	ctx := context.Background()
	pool, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	e := setup(t, envOptions{pool: pool, noWorkers: true})
	tn := e.tenant("Outage")
	var list any
	if st := e.getJSON("/v1/documents", tn.uploader, &list); st != http.StatusOK {
		t.Fatalf("before the outage: %d", st)
	}

	pg.Stop()
	contract := []byte(testdocs.Contract(testdocs.ValidContract("CM-2026-000503")))
	for _, r := range []struct {
		method, path string
		body         func() (io.Reader, string)
	}{
		{http.MethodGet, "/v1/documents", nil},
		{http.MethodGet, "/v1/reviews", nil},
		{http.MethodPost, "/v1/documents", multipartFile("c.txt", contract)},
	} {
		var body io.Reader
		ctype := ""
		if r.body != nil {
			body, ctype = r.body()
		}
		expectUnavailable(t, e, tn.uploader, r.method, r.path, body, ctype, "with PostgreSQL down")
	}

	pg.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := e.getJSON("/v1/documents", tn.uploader, &list)
		if st == http.StatusOK {
			break
		}
		if st != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("after the restart: %d", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var doc struct {
		ID string `json:"id"`
	}
	if st := e.upload(tn.uploader, "c.txt", contract, &doc); st != http.StatusAccepted || doc.ID == "" {
		t.Fatalf("upload after the restart: %d %+v", st, doc)
	}
}

// TestExhaustedPoolAnswers503: with every PostgreSQL connection of the
// pool held (as by requests stuck on a server that stopped answering), a
// request waits its request timeout and answers 503 unavailable with
// Retry-After instead of hanging or answering 500; it answers 200 again
// once a connection is free.
func TestExhaustedPoolAnswers503(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := dbtest.Postgres(t).Config().Copy()
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := setup(t, envOptions{pool: pool, noWorkers: true, requestTimeout: 2 * time.Second})
	tn := e.tenant("Busy")
	var list any
	if st := e.getJSON("/v1/documents", tn.uploader, &list); st != http.StatusOK {
		t.Fatalf("before: %d", st)
	}
	held, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expectUnavailable(t, e, tn.uploader, http.MethodGet, "/v1/documents", nil, "", "with no free connection")
	held.Release()
	if st := e.getJSON("/v1/documents", tn.uploader, &list); st != http.StatusOK {
		t.Errorf("with the connection free again: %d", st)
	}
}

// expectUnavailable sends a request and checks that it answers 503
// problem+json with code unavailable, a Retry-After, and no database
// address.
func expectUnavailable(t *testing.T, e *env, key, method, path string, body io.Reader, ctype, when string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.server.URL+path, body)
	req.Header.Set("Authorization", "Bearer "+key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p api.Problem
	_ = json.Unmarshal(b, &p)
	if resp.StatusCode != http.StatusServiceUnavailable || p.Code != "unavailable" || p.Status != http.StatusServiceUnavailable {
		t.Errorf("%s %s %s: %d %s, want 503 unavailable", method, path, when, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s %s %s: Content-Type %q", method, path, when, ct)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "5" {
		t.Errorf("%s %s %s: Retry-After %q, want 5", method, path, when, ra)
	}
	if strings.Contains(string(b), "127.0.0.1") {
		t.Errorf("%s %s %s: the problem shows the database's address: %s", method, path, when, b)
	}
}
