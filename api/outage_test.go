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
		req, _ := http.NewRequest(r.method, e.server.URL+r.path, body)
		req.Header.Set("Authorization", "Bearer "+tn.uploader)
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
			t.Errorf("%s %s with PostgreSQL down: %d %s, want 503 unavailable", r.method, r.path, resp.StatusCode, b)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s %s: Content-Type %q", r.method, r.path, ct)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "5" {
			t.Errorf("%s %s: Retry-After %q, want 5", r.method, r.path, ra)
		}
		if strings.Contains(string(b), "127.0.0.1") {
			t.Errorf("%s %s: the problem shows the database's address: %s", r.method, r.path, b)
		}
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
	e := setup(t, envOptions{pool: pool, noWorkers: true, requestTimeout: 300 * time.Millisecond})
	tn := e.tenant("Busy")
	var list any
	if st := e.getJSON("/v1/documents", tn.uploader, &list); st != http.StatusOK {
		t.Fatalf("before: %d", st)
	}
	held, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.server.URL+"/v1/documents", nil)
	req.Header.Set("Authorization", "Bearer "+tn.uploader)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p api.Problem
	_ = json.Unmarshal(b, &p)
	if resp.StatusCode != http.StatusServiceUnavailable || p.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("with no free connection: %d %s (Retry-After %q), want 503 unavailable with Retry-After",
			resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	held.Release()
	if st := e.getJSON("/v1/documents", tn.uploader, &list); st != http.StatusOK {
		t.Errorf("with the connection free again: %d", st)
	}
}
