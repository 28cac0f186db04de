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

// contractOnly is the i-th contract (the model answers contracts only).
func contractOnly(i int) doc {
	d := makeDoc(i)
	if d.Kind != "contract" {
		return makeDoc(i + 100000)
	}
	return d
}

// TestChaosLLMFailing has the model provider answer 429 and 500 in turn
// for a minute while contracts flow with DOCFLOW_LLM_MODE=always: the
// documents are snoozed and retried, or fall back to the rules when the
// breaker opens; none is lost.
func TestChaosLLMFailing(t *testing.T) {
	n := min(docCount(t), 200)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	model := newFlakyModel(t, time.Minute)
	c := newCluster(t, clusterOptions{settings: map[string]string{
		"DOCFLOW_LLM_BASE_URL": model.srv.URL + "/v1", "DOCFLOW_LLM_API_KEY": "chaos", "DOCFLOW_LLM_MODEL": "chaos-model",
		"DOCFLOW_LLM_MODE": "always", "DOCFLOW_LLM_CONCURRENCY": "4", "DOCFLOW_LLM_TIMEOUT": "10s"}})
	defer c.dumpLogs()
	c.note("the provider fails (429 and 500 in turn) for 60 s from now")
	c.startAPI()
	c.startWorker()
	c.startWorker()
	s := c.sender(false)
	s.makeDoc = contractOnly
	s.uploadAll(ctx, 0, n, 4, 40*time.Second)
	c.note("all %d uploads answered; provider answers so far %v", n, model.counts())
	settleCtx, cancelSettle := context.WithTimeout(ctx, 12*time.Minute)
	defer cancelSettle()
	waited, err := c.settle(settleCtx)
	if err != nil {
		t.Error(err)
	}
	c.note("settled %s after the uploads ended", waited.Round(time.Second))
	answers := model.counts()
	var reviewLLM int
	_ = c.pg.QueryRow(ctx, `SELECT count(*) FROM documents WHERE tenant_id = $1 AND status = 'in_review'`, c.tenant).Scan(&reviewLLM)
	r := &report{Scenario: "TestChaosLLMFailing", Title: "the LLM provider answering 429 and 500 for a minute",
		Promise: "while the provider fails, documents are snoozed or retried, or fall back to the rules when the breaker opens; none is lost, each ends committed or in review once the provider is back.",
		Params: [][2]string{{"documents", fmt.Sprintf("%d contracts, uploaded evenly over 40 s", n)},
			{"processes", "1 `serve --api-only`, 2 `serve --workers-only` (DOCFLOW_WORKERS=4 each)"},
			{"model", "DOCFLOW_LLM_MODE=always, DOCFLOW_LLM_CONCURRENCY=4, a fake provider answering 429 (Retry-After: 2) and 500 in turn for the first 60 s, then correct fields"},
			{"time bound", "20 min (12 min to settle)"}},
		Measures: [][2]string{
			{"provider calls: 200 / 429 / 500", fmt.Sprintf("%d / %d / %d", answers["200"], answers["429"], answers["500"])},
			{"`job failed` log lines (retries)", strconv.Itoa(c.logLines("job failed"))},
			{"log lines mentioning the breaker", strconv.Itoa(c.logLines("breaker"))},
			{"log lines mentioning a snooze", strconv.Itoa(c.logLines("snooz"))},
			{"documents in review at the end", strconv.Itoa(reviewLLM)},
			{"settling after the last upload took", waited.Round(time.Second).String()}},
	}
	for _, crash := range c.crashes(nil) {
		r.Findings = append(r.Findings, "a process ended by itself: "+firstLine(crash))
		t.Error(crash)
	}
	c.finish(ctx, "llm-failing", r, s)
}
