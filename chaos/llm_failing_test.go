//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// flakyModel is an OpenAI-compatible provider that answers 429 and 500 in
// turn until failUntil, and then the fields of testdocs.ValidContract for
// the contract number the document carries.
type flakyModel struct {
	srv       *httptest.Server
	mu        sync.Mutex
	failUntil time.Time
	answers   map[int]int // by HTTP status
	during    int         // calls during the failure window
}

var contractNumber = regexp.MustCompile(`CM-2026-\d{6}`)

func newFlakyModel(t *testing.T, failFor time.Duration) *flakyModel {
	m := &flakyModel{failUntil: time.Now().Add(failFor), answers: map[int]int{}}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *flakyModel) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	failing := time.Now().Before(m.failUntil)
	status := http.StatusOK
	if failing {
		m.during++
		status = http.StatusTooManyRequests
		if m.during%2 == 0 {
			status = http.StatusInternalServerError
		}
	}
	m.answers[status]++
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status != http.StatusOK {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		w.WriteHeader(status)
		io.WriteString(w, `{"error": {"message": "chaos: provider failing", "type": "server_error"}}`)
		return
	}
	number := contractNumber.FindString(string(body))
	content := fmt.Sprintf(`{"contract_number": %q, "agency_name": "Intérim Plus Lyon",
		"agency_siret": "73282932000074", "client_name": "Boulangeries Martin SAS", "client_siret": "55210055400013",
		"worker_name": "Élodie Lefèvre", "job_title": "Cariste", "start_date": "2026-03-02", "end_date": "2026-04-30",
		"hourly_rate": 13.45, "weekly_hours": 35, "work_location": "Villeurbanne", "reason": "temporary_increase", "possible_prompt_injection": false}`, number)
	quoted := strconv.Quote(content)
	io.WriteString(w, `{"id": "chatcmpl-chaos", "object": "chat.completion", "created": 1, "model": "chaos-model",
		"choices": [{"index": 0, "message": {"role": "assistant", "content": `+quoted+`}, "finish_reason": "stop"}],
		"usage": {"prompt_tokens": 800, "completion_tokens": 90, "total_tokens": 890}}`)
}

func (m *flakyModel) counts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.answers {
		out[strconv.Itoa(k)] = v
	}
	return out
}

// contractOnly is the i-th contract (the model answers contracts only):
// a timesheet's place takes a contract numbered beyond the run's.
func contractOnly(i int) doc {
	d := makeDoc(i)
	if d.Kind != "contract" {
		// makeDoc(i+100000) was a timesheet too (same i mod 5), which the
		// model's contract answer failed, sending it to review.
		return makeDoc(i + 100001)
	}
	return d
}

// TestChaosLLMFailing has the model provider answer 429 and 500 in turn
// for a minute while contracts flow with DOCFLOW_LLM_MODE=always: the
// documents are snoozed, not decided, while the provider fails, and read
// by the model once it is back; none is lost, and none goes to review
// because the model failed.
func TestChaosLLMFailing(t *testing.T) {
	n := min(docCount(t), 200)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	model := newFlakyModel(t, time.Minute)
	c := newCluster(t, clusterOptions{settings: map[string]string{
		"DOCFLOW_LLM_BASE_URL": model.srv.URL + "/v1", "DOCFLOW_LLM_API_KEY": "chaos", "DOCFLOW_LLM_MODEL": "chaos-model",
		"DOCFLOW_LLM_MODE": "always", "DOCFLOW_LLM_CONCURRENCY": "4", "DOCFLOW_LLM_TIMEOUT": "10s"}})
	c.note("the provider fails (429 and 500 in turn) for 60 s from now")
	c.startAPI()
	c.startWorker()
	c.startWorker()
	s := c.sender(false)
	s.makeDoc = contractOnly
	s.uploadAll(ctx, 0, n, 4, 40*time.Second)
	c.note("all %d uploads answered; provider answers so far %v", n, model.counts())
	var decidedEarly int
	_ = c.pg.QueryRow(ctx, `SELECT count(*) FROM documents WHERE tenant_id = $1 AND status NOT IN ('received', 'processing')`, c.tenant).Scan(&decidedEarly)
	// The scenario sees the provider come back: it waits for the end of
	// the failure window before it waits for the documents to settle.
	if wait := time.Until(model.failUntil); wait > 0 {
		c.note("%d documents decided while the provider fails; waiting %s for it to recover", decidedEarly, wait.Round(time.Second))
		time.Sleep(wait)
	}
	c.note("the provider answers again; answers so far %v", model.counts())
	waited := c.settleWithin(ctx, 12*time.Minute)
	c.note("settled %s after the provider recovered", waited.Round(time.Second))
	answers := model.counts()
	var inReview, notChecked, byRules, snoozed, snoozes int
	_ = c.pg.QueryRow(ctx, `SELECT count(*) FROM documents WHERE tenant_id = $1 AND status = 'in_review'`, c.tenant).Scan(&inReview)
	_ = c.pg.QueryRow(ctx, `SELECT count(*) FROM documents WHERE tenant_id = $1 AND sources::text LIKE '%not checked%'`, c.tenant).Scan(&notChecked)
	_ = c.pg.QueryRow(ctx, `SELECT count(DISTINCT document_id) FROM extraction_runs WHERE tenant_id = $1 AND outcome = 'used' AND extractor NOT LIKE '%+llm%'`, c.tenant).Scan(&byRules)
	_ = c.pg.QueryRow(ctx, `SELECT count(*), coalesce(sum((metadata->>'snoozes')::int), 0) FROM river_job
		WHERE kind = 'process_document' AND (metadata->>'snoozes')::int > 0`).Scan(&snoozed, &snoozes)
	r := &report{Scenario: "TestChaosLLMFailing", Title: "the LLM provider answering 429 and 500 for a minute",
		Promise: "while the provider fails, documents that need the model are snoozed, not decided (no attempt spent); once it is back they are read by the model; none is lost, none goes to review because the model failed (the wait is bounded by DOCFLOW_LLM_MAX_WAIT, 1 h).",
		Params: [][2]string{{"documents", fmt.Sprintf("%d contracts, uploaded evenly over 40 s", n)},
			{"processes", "1 `serve --api-only`, 2 `serve --workers-only` (DOCFLOW_WORKERS=4 each)"},
			{"model", "DOCFLOW_LLM_MODE=always, DOCFLOW_LLM_CONCURRENCY=4, DOCFLOW_LLM_MAX_WAIT=1h (default), a fake provider answering 429 (Retry-After: 2) and 500 in turn for the first 60 s, then correct fields; breaker: 5 failures, 30 s cooldown, shared by the worker processes through PostgreSQL"},
			{"time bound", "20 min (the failure window, then 12 min to settle)"}},
		Measures: [][2]string{
			{"provider calls: 200 / 429 / 500", fmt.Sprintf("%d / %d / %d", answers["200"], answers["429"], answers["500"])},
			{"documents decided while the provider failed", strconv.Itoa(decidedEarly)},
			{"process jobs snoozed / snoozes in all", fmt.Sprintf("%d / %d", snoozed, snoozes)},
			{"`job failed` log lines (retries)", strconv.Itoa(c.logLines("job failed"))},
			{"`job snoozed` / `stage snoozed` log lines", fmt.Sprintf("%d / %d", c.logLines("job snoozed"), c.logLines("stage snoozed"))},
			{"documents read by the rules alone (model unavailable)", strconv.Itoa(byRules)},
			{"documents with fields not checked by the model", strconv.Itoa(notChecked)},
			{"documents in review at the end", strconv.Itoa(inReview)},
			{"settling after the provider recovered took", waited.Round(time.Second).String()}},
	}
	if answers["200"] < n {
		r.Broken = append(r.Broken, fmt.Sprintf("the model answered %d documents after its recovery, want %d", answers["200"], n))
	}
	if byRules > 0 || notChecked > 0 || decidedEarly > 0 {
		r.Broken = append(r.Broken, fmt.Sprintf("%d documents decided during the outage, %d read by the rules alone, %d with fields not checked: documents did not wait for the model", decidedEarly, byRules, notChecked))
	}
	r.Findings = append(r.Findings, "Fixed (found by this scenario): the per-process breaker opened after 5 failures and every document then fell back to the rules and went to review (200 of 200), the provider called 10 times and never seen to recover. "+
		"Now a document that needs the model is snoozed while the provider fails or the breaker is open (backoff half the time waited, 2 s to 5 min, at least Retry-After), the breaker lets one probe through after its cooldown, and only past DOCFLOW_LLM_MAX_WAIT does the document fall back to the rules' fields for review. "+
		"The scenario also waits for the failure window to end before settling, and its contractOnly no longer mixes in timesheets (the fake model answers contracts only).")
	c.finish(ctx, "llm-failing", r, s)
}
