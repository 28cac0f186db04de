package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/docflow/docflow/api"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// env is a running docflow on fresh databases: the real stores, River
// workers and the HTTP server.
type env struct {
	t       testing.TB
	stack   *stacktest.Stack
	pool    *pgxpool.Pool
	svc     *pipeline.Service
	store   *postgres.Store
	records *mariadb.Records
	river   *river.Client[pgx.Tx]
	server  *httptest.Server
	client  *http.Client
	dataDir string
}

type envOptions struct {
	// records wraps the MariaDB records, to inject faults.
	records func(pipeline.Records) pipeline.Records
	// noWorkers leaves the River client unstarted.
	noWorkers bool
	// extractor replaces the rules extractor (e.g. cross-checked with a model).
	extractor pipeline.Extractor
	// llmQueue runs the process stage in its own queue, as with a model.
	llmQueue bool
	// similarity indexes documents with the local embedder.
	similarity bool
	// pool is a migrated PostgreSQL database to use instead of a fresh
	// one on the shared server (a private server the test stops).
	pool *pgxpool.Pool
	// requestTimeout bounds each request (api.WithRequestTimeout).
	requestTimeout time.Duration
}

func setup(t testing.TB, opts envOptions) *env {
	t.Helper()
	st := stacktest.New(t, stacktest.Options{Records: opts.records, Extractor: opts.extractor,
		LLMQueue: opts.llmQueue, Similarity: opts.similarity, NoWorkers: opts.noWorkers, Pool: opts.pool})
	e := &env{t: t, stack: st, pool: st.Pool, records: st.Records, dataDir: st.DataDir,
		svc: st.Service, store: st.Store, river: st.River}
	e.server = httptest.NewServer(api.New(e.svc, e.store, api.WithSummaries(e.records), api.WithMailboxes(e.store), api.WithInboundAddresses(e.store, "in.docflow.test"), api.WithKeys(e.store), api.WithRequestTimeout(opts.requestTimeout)))
	t.Cleanup(e.server.Close)
	e.client = &http.Client{Transport: contractChecker(t, http.DefaultTransport), Timeout: 30 * time.Second}
	return e
}

func (e *env) startWorkers() { e.stack.StartWorkers() }

// tenant creates a tenant with a key per role.
type tenant struct {
	id                        string
	uploader, reviewer, admin string
}

func (e *env) tenant(name string) tenant {
	e.t.Helper()
	ctx := context.Background()
	tn, err := e.store.CreateTenant(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	key := func(r pipeline.Role) string {
		k, err := e.store.CreateAPIKey(ctx, tn.ID, r)
		if err != nil {
			e.t.Fatal(err)
		}
		return k.Key
	}
	return tenant{id: tn.ID, uploader: key(pipeline.RoleUploader), reviewer: key(pipeline.RoleReviewer), admin: key(pipeline.RoleAdmin)}
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (e *env) do(method, path, key string, body io.Reader, contentType string, out any) int {
	e.t.Helper()
	req, err := http.NewRequest(method, e.server.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decoding %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

func (e *env) getJSON(path, key string, out any) int {
	return e.do(http.MethodGet, path, key, nil, "", out)
}

func (e *env) postJSON(path, key string, in, out any) int {
	b, _ := json.Marshal(in)
	return e.do(http.MethodPost, path, key, bytes.NewReader(b), "application/json", out)
}

func (e *env) patchJSON(path, key string, in, out any) int {
	b, _ := json.Marshal(in)
	return e.do(http.MethodPatch, path, key, bytes.NewReader(b), "application/json", out)
}

// upload posts a file as multipart field "file".
func (e *env) upload(key, name string, data []byte, out any) int {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return e.do(http.MethodPost, "/v1/documents", key, &body, mw.FormDataContentType(), out)
}

// document is the API's document, as far as the tests read it.
type document struct {
	ID           string             `json:"id"`
	Status       string             `json:"status"`
	DocumentType *string            `json:"document_type"`
	Fields       map[string]any     `json:"fields"`
	Confidence   map[string]float64 `json:"confidence"`
	Issues       []pipeline.Issue   `json:"issues"`
	Refusal      *string            `json:"refusal"`
	ParentID     *string            `json:"parent_id"`
	Children     []string           `json:"children"`
	Review       *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"review"`
	Stage struct {
		Name      string `json:"name"`
		ErrorCode string `json:"error_code"`
		Attempts  int    `json:"attempts"`
	} `json:"stage"`
}

// waitStatus polls the document until it reaches one of statuses.
func (e *env) waitStatus(key, id string, statuses ...string) document {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var d document
	for time.Now().Before(deadline) {
		if code := e.getJSON("/v1/documents/"+id, key, &d); code != http.StatusOK {
			e.t.Fatalf("GET document %s: %d", id, code)
		}
		if slices.Contains(statuses, d.Status) {
			return d
		}
		if slices.Contains([]string{"in_review", "committed", "rejected", "refused", "failed"}, d.Status) {
			e.t.Fatalf("document %s ended %s (issues %+v, stage %+v), want one of %v", id, d.Status, d.Issues, d.Stage, statuses)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("document %s stayed %s (stage %+v), want one of %v", id, d.Status, d.Stage, statuses)
	return d
}

// count runs a counting query on PostgreSQL.
func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

type problem struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	Code       string `json:"code"`
	DocumentID string `json:"document_id"`
}

// waitFor polls cond until it holds, for at most a minute.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met within a minute")
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
