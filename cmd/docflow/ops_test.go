package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/cmd/docflow/proctest"
	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/dbtest"
)

// opsEnv is docflow's databases and data folder shared by several real
// processes, with an insert-only app in the test to upload through.
type opsEnv struct {
	t      testing.TB
	env    map[string]string
	app    *app
	tenant string
}

func newOpsEnv(t testing.TB, settings map[string]string) *opsEnv {
	t.Helper()
	key := make([]byte, keyring.KeySize)
	rand.Read(key)
	dir := t.TempDir()
	e := &opsEnv{t: t, env: map[string]string{
		"DOCFLOW_POSTGRES_URL": dbtest.PostgresURL(t), "DOCFLOW_MARIADB_DSN": dbtest.MariaDBDSN(t),
		"DOCFLOW_DATA_DIR": filepath.Join(dir, "data"), "DOCFLOW_MASTER_KEY": base64.StdEncoding.EncodeToString(key),
		"DOCFLOW_ADDR": "127.0.0.1:0", "DOCFLOW_WORKERS": "2",
	}}
	for k, v := range settings {
		e.env[k] = v
	}
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := e.env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if e.app, err = openApp(ctx, cfg, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.app.Close)
	tn, err := e.app.store.CreateTenant(ctx, "Agence Ops")
	if err != nil {
		t.Fatal(err)
	}
	e.tenant = tn.ID
	return e
}

// start runs docflow with args and extra settings (KEY=value); it is
// killed at the end of the test, and its logs shown if the test failed.
func (e *opsEnv) start(extra []string, args ...string) *proctest.Proc {
	e.t.Helper()
	p := proctest.Start(e.t, strings.Join(args, " "), proctest.Environ(e.env, extra...), args...)
	e.t.Cleanup(func() {
		p.Kill()
		if e.t.Failed() {
			e.t.Logf("%v logs:\n%s", args, p.Logs())
		}
	})
	return p
}

// terminate sends SIGTERM and returns how the process ended, failing if it
// does not end within limit.
func terminate(t testing.TB, p *proctest.Proc, limit time.Duration) error {
	t.Helper()
	if !p.Stop(syscall.SIGTERM, limit) {
		t.Fatalf("docflow did not stop within %s of SIGTERM", limit)
	}
	return p.Err()
}

// upload stores n distinct contracts and returns their ids.
func (e *opsEnv) upload(from, n int) []string {
	e.t.Helper()
	var ids []string
	for i := from; i < from+n; i++ {
		pdf := testdocs.PDF(testdocs.Contract(testdocs.ValidContract(fmt.Sprintf("CM-2026-%06d", 700000+i))))
		d, _, err := e.app.svc.Upload(context.Background(), pipeline.Principal{TenantID: e.tenant, Role: pipeline.RoleUploader},
			fmt.Sprintf("contrat-%d.pdf", i), bytes.NewReader(pdf))
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

func (e *opsEnv) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.app.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds; the limit only stops a stuck test.
func (e *opsEnv) waitFor(what string, limit time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// decided counts the documents committed or in review.
func (e *opsEnv) decided() int {
	return e.count(`SELECT count(*) FROM documents WHERE tenant_id = $1 AND status IN ('committed', 'in_review')`, e.tenant)
}

// assertProcessedOnce checks that every document was processed by exactly
// one attempt that reached a decision: one extraction run, one
// document.processed audit entry, and at most one contract row.
func (e *opsEnv) assertProcessedOnce(ids []string) {
	e.t.Helper()
	for _, id := range ids {
		runs := e.count(`SELECT count(*) FROM extraction_runs WHERE document_id = $1`, id)
		audits := e.count(`SELECT count(*) FROM audit_log WHERE document_id = $1 AND action = 'document.processed'`, id)
		commits := e.count(`SELECT count(*) FROM audit_log WHERE document_id = $1 AND action = 'document.committed'`, id)
		if runs != 1 || audits != 1 || commits > 1 {
			e.t.Errorf("document %s: %d extraction runs, %d processed and %d committed audit entries; want 1, 1 and at most 1", id, runs, audits, commits)
		}
	}
}

// scrape reads the metrics at addr, with the bearer token.
func scrape(t *testing.T, addr, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %d %s", addr, res.StatusCode, body)
	}
	return string(body)
}

// metric sums the samples of name whose labels hold every one of labels.
func metric(text, name string, labels ...string) float64 {
	sum := 0.0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(rest, l)
		}
		if f := strings.Fields(rest); match && len(f) > 0 {
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

// waitReady waits for a process's metrics listener.
func waitReady(e *opsEnv, p *proctest.Proc, addr string) {
	e.t.Helper()
	if err := p.WaitHTTP("http://"+addr+"/readyz", 30*time.Second); err != nil {
		e.t.Fatalf("the metrics listener of %s: %v\n%s", addr, err, p.Logs())
	}
}

// TestTwoWorkerProcessesShareTheQueues runs two `serve --workers-only`
// processes on the same databases: every document is processed once, by
// one of them, and the metrics of both move.
func TestTwoWorkerProcessesShareTheQueues(t *testing.T) {
	const n, token = 16, "scrape-secret"
	e := newOpsEnv(t, map[string]string{"DOCFLOW_METRICS_TOKEN": token})
	addrs := []string{proctest.Addr(t), proctest.Addr(t)}
	var procs []*proctest.Proc
	for _, addr := range addrs {
		p := e.start([]string{"DOCFLOW_METRICS_ADDR=" + addr}, "serve", "--workers-only")
		procs = append(procs, p)
		waitReady(e, p, addr)
	}
	// A scrape without the token is refused.
	if res, err := http.Get("http://" + addrs[0] + "/metrics"); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("scrape without the token: %v %v, want 401", res, err)
	}
	before := scrape(t, addrs[0], token)
	ids := e.upload(0, n)
	e.waitFor("every document decided", 60*time.Second, func() bool { return e.decided() == n })
	e.assertProcessedOnce(ids)
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'process_document' AND attempt <> 1`); n != 0 {
		t.Errorf("%d process jobs ran more than once", n)
	}
	workers := e.count(`SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE kind = 'process_document'`)
	t.Logf("the process jobs ran in %d distinct River clients", workers)

	after := []string{scrape(t, addrs[0], token), scrape(t, addrs[1], token)}
	committed := e.count(`SELECT count(*) FROM documents WHERE tenant_id = $1 AND status = 'committed'`, e.tenant)
	if got := metric(after[0], "docflow_documents", `status="committed"`); int(got) != committed || got == metric(before, "docflow_documents", `status="committed"`) {
		t.Errorf("docflow_documents{status=committed} is %v (before %v), want %d", got, metric(before, "docflow_documents", `status="committed"`), committed)
	}
	var commits, reads float64
	for _, text := range after {
		commits += metric(text, "docflow_documents_committed_total")
		reads += metric(text, "docflow_stage_duration_seconds_count", `stage="read"`)
	}
	if int(commits) != committed || int(reads) != n {
		t.Errorf("the processes counted %v commits and %v reads, want %d and %d", commits, reads, committed, n)
	}
	for _, name := range []string{"docflow_upload_to_commit_seconds_count", "docflow_queue_jobs", "docflow_review_oldest_pending_seconds", "docflow_metrics_query_errors"} {
		if !strings.Contains(after[0], name) {
			t.Errorf("the metrics lack %s", name)
		}
	}
	if metric(after[0], "docflow_metrics_query_errors") != 0 {
		t.Errorf("a metrics query failed:\n%s", after[0])
	}
	for _, p := range procs {
		if err := terminate(t, p, 60*time.Second); err != nil {
			t.Errorf("a worker ended with %v after SIGTERM, want a clean exit", err)
		}
	}
}

// TestGracefulShutdownWithJobsInFlight stops a worker whose jobs wait on
// a slow model: with time enough, SIGTERM lets the running jobs finish;
// with too little, they are cancelled and handed back to River. Restarted,
// the worker decides every document, each exactly once.
func TestGracefulShutdownWithJobsInFlight(t *testing.T) {
	const n = 6
	model := llmtest.New(t)
	model.Always(llmtest.Reply{Delay: 1500 * time.Millisecond, Content: `{"contract_number": "CM-2026-700000", "agency_name": "Intérim Plus Lyon",
		"agency_siret": "73282932000074", "client_name": "Boulangeries Martin SAS", "client_siret": "55210055400013",
		"worker_name": "Élodie Lefèvre", "job_title": "Cariste", "start_date": "2026-03-02", "end_date": "2026-04-30",
		"hourly_rate": 13.45, "weekly_hours": 35, "work_location": "Villeurbanne", "reason": "temporary_increase", "possible_prompt_injection": false}`})
	e := newOpsEnv(t, map[string]string{"DOCFLOW_LLM_BASE_URL": model.URL(), "DOCFLOW_LLM_API_KEY": llmtest.Key,
		"DOCFLOW_LLM_MODEL": "test-model", "DOCFLOW_LLM_MODE": "always", "DOCFLOW_LLM_CONCURRENCY": "2"})
	ids := e.upload(0, n)
	running := func() bool {
		return e.count(`SELECT count(*) FROM river_job WHERE kind = 'process_document' AND state = 'running'`) > 0
	}

	// Enough time: the running jobs finish, the others wait.
	soft := e.start([]string{"DOCFLOW_SHUTDOWN_TIMEOUT=30s"}, "serve", "--workers-only")
	e.waitFor("a running job", 30*time.Second, running)
	decidedBefore := e.decided()
	if err := terminate(t, soft, 60*time.Second); err != nil {
		t.Fatalf("soft stop: exit %v, want 0", err)
	}
	if running() {
		t.Fatal("jobs still running after a soft stop")
	}
	if !strings.Contains(soft.Logs(), "workers stopped") || strings.Contains(soft.Logs(), "cancelling them") {
		t.Errorf("the soft stop did not let the jobs finish:\n%s", soft.Logs())
	}
	if e.decided() <= decidedBefore {
		t.Errorf("no running job finished during the soft stop (%d decided before, %d after)", decidedBefore, e.decided())
	}

	// Too little time: the running jobs are cancelled and handed back.
	if e.decided() < n {
		hard := e.start([]string{"DOCFLOW_SHUTDOWN_TIMEOUT=100ms"}, "serve", "--workers-only")
		e.waitFor("a running job", 30*time.Second, running)
		if err := terminate(t, hard, 60*time.Second); err != nil {
			t.Fatalf("hard stop: exit %v, want 0", err)
		}
		if running() {
			t.Fatal("jobs left running (lost until rescued) after a hard stop")
		}
		t.Logf("hard stop: %d running-job lines cancelled", strings.Count(hard.Logs(), "cancelling them"))
		if !strings.Contains(hard.Logs(), "cancelling them") {
			t.Logf("every job finished within 100ms; the hard path was not taken:\n%s", hard.Logs())
		}
	}

	last := e.start(nil, "serve", "--workers-only")
	e.waitFor("every document decided", 60*time.Second, func() bool { return e.decided() == n })
	if err := terminate(t, last, 60*time.Second); err != nil {
		t.Errorf("last stop: exit %v", err)
	}
	e.assertProcessedOnce(ids)
}
