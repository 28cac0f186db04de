package stacktest_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
)

var number = regexp.MustCompile(`CM-2026-\d{6}`)

// outage has the provider answer 429 (Retry-After: 1) and 500 in turn
// until the time it returns, then the true fields of the contract that
// the request carries.
func outage(p *llmtest.Provider, failFor time.Duration) time.Time {
	recovery := time.Now().Add(failFor)
	var n atomic.Int64
	p.Answer(func(req map[string]any) llmtest.Reply {
		if time.Now().Before(recovery) {
			if n.Add(1)%2 == 1 {
				return llmtest.Reply{Status: http.StatusTooManyRequests, RetryAfter: "1"}
			}
			return llmtest.Reply{Status: http.StatusInternalServerError}
		}
		msgs := llmtest.Messages(req)
		doc, _ := msgs[len(msgs)-1]["content"].(string)
		return llmtest.Reply{Content: fmt.Sprintf(`{"contract_number": %q, "agency_name": "Intérim Plus Lyon",
			"agency_siret": "73282932000074", "client_name": "Boulangeries Martin SAS", "client_siret": "55210055400013",
			"worker_name": "Élodie Lefèvre", "job_title": "Cariste", "start_date": "2026-03-02", "end_date": "2026-04-30",
			"hourly_rate": 13.45, "weekly_hours": 35, "work_location": "Villeurbanne", "reason": "temporary_increase",
			"possible_prompt_injection": false}`, number.FindString(doc))}
	})
	return recovery
}

type modelStack struct {
	*stacktest.Stack
	p      *llmtest.Provider
	ex     *crosscheck.Extractor
	tenant string
}

func newModelStack(t *testing.T, mode crosscheck.Mode, maxWait time.Duration) *modelStack {
	p := llmtest.New(t)
	ex := &crosscheck.Extractor{Rules: rules.New(), Mode: mode, MaxWait: maxWait,
		LLM:     &llm.Extractor{Backend: llm.NewOpenAI(llm.OpenAIConfig{BaseURL: p.URL(), APIKey: llmtest.Key}), Model: "test-model"},
		Breaker: &crosscheck.Breaker{Threshold: 3, Cooldown: 2 * time.Second}}
	st := stacktest.New(t, stacktest.Options{Extractor: ex, LLMQueue: true})
	tn, err := st.Store.CreateTenant(context.Background(), "Agence")
	if err != nil {
		t.Fatal(err)
	}
	return &modelStack{Stack: st, p: p, ex: ex, tenant: tn.ID}
}

// upload sends n contracts and returns their ids.
func (s *modelStack) upload(t *testing.T, n int, first int, edit func(*pipeline.Contract)) []string {
	t.Helper()
	p := pipeline.Principal{KeyID: "k", TenantID: s.tenant, Role: pipeline.RoleUploader}
	var ids []string
	for i := range n {
		c := testdocs.ValidContract(fmt.Sprintf("CM-2026-%06d", first+i))
		if edit != nil {
			edit(&c)
		}
		doc, _, err := s.Service.Upload(context.Background(), p, fmt.Sprintf("c%d.pdf", i), strings.NewReader(string(testdocs.PDF(testdocs.Contract(c)))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, doc.ID)
	}
	return ids
}

// wait returns the documents once each is decided (or failed).
func (s *modelStack) wait(t *testing.T, ids []string, bound time.Duration) []pipeline.Document {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		var docs []pipeline.Document
		for _, id := range ids {
			d, err := s.Store.Document(context.Background(), s.tenant, id)
			if err != nil {
				t.Fatal(err)
			}
			switch d.Status {
			case pipeline.StatusCommitted, pipeline.StatusInReview, pipeline.StatusFailed, pipeline.StatusRefused:
				docs = append(docs, d)
			}
		}
		if len(docs) == len(ids) {
			return docs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d documents decided after %s", len(docs), len(ids), bound)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *modelStack) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func notChecked(d pipeline.Document) bool {
	for _, src := range d.Fields.Sources {
		if strings.Contains(src.Text, "not checked") {
			return true
		}
	}
	return false
}

// TestModelOutageAlwaysWaitsForRecovery: in Always mode the provider
// answers 429 and 500 for a few seconds; the documents are snoozed (no
// attempt spent, not sent to review), and once the provider is back they
// are read by the model and committed, each with one extraction run whose
// tokens are those of its one successful call.
func TestModelOutageAlwaysWaitsForRecovery(t *testing.T) {
	t.Parallel()
	s := newModelStack(t, crosscheck.Always, 10*time.Minute)
	recovery := outage(s.p, 5*time.Second)
	ids := s.upload(t, 6, 1, nil)
	for _, d := range s.wait(t, ids, 90*time.Second) {
		if d.Status != pipeline.StatusCommitted || notChecked(d) || d.Fields.Confidence["hourly_rate"] != crosscheck.Agreed {
			t.Errorf("%s: %s, confidence %v, issues %+v", d.ID, d.Status, d.Fields.Confidence["hourly_rate"], d.Issues)
		}
	}
	if n := s.p.CountSince(recovery); n < len(ids) {
		t.Errorf("%d model calls after the recovery, want at least %d", n, len(ids))
	}
	if failed := s.p.Count() - s.p.CountSince(recovery); failed == 0 {
		t.Error("no call during the outage: the test did not test it")
	}
	if n := s.count(t, `SELECT count(*) FROM extraction_runs WHERE extractor = $1 AND input_tokens = 812`, s.ex.Name()); n != len(ids) {
		t.Errorf("%d extraction runs by the model with one call's tokens, want %d", n, len(ids))
	}
	if n := s.count(t, `SELECT count(*) FROM extraction_runs`); n != len(ids) {
		t.Errorf("%d extraction runs, want %d", n, len(ids))
	}
	if n := s.count(t, `SELECT coalesce(sum((metadata->>'snoozes')::int), 0) FROM river_job WHERE kind = 'process_document'`); n == 0 {
		t.Error("no process job was snoozed")
	}
	if n := s.count(t, `SELECT coalesce(max(attempt), 0) FROM river_job WHERE kind = 'process_document'`); n != 1 {
		t.Errorf("a process job ran %d attempts, want 1: snoozes spend none", n)
	}
	// River records a job's completion shortly after the work returns.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n := s.count(t, `SELECT count(*) FROM river_job WHERE kind = 'process_document' AND state <> 'completed'`)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d process jobs not completed", n)
			break
		}
	}
}

// TestModelOutagePastBoundGoesToReview: a provider down longer than
// MaxWait: the documents stop waiting and go to review with the rules'
// fields, marked as not checked by the model.
func TestModelOutagePastBoundGoesToReview(t *testing.T) {
	t.Parallel()
	s := newModelStack(t, crosscheck.Always, 3*time.Second)
	s.p.Always(llmtest.Reply{Status: http.StatusInternalServerError})
	start := time.Now()
	ids := s.upload(t, 3, 1, nil)
	for _, d := range s.wait(t, ids, 60*time.Second) {
		if d.Status != pipeline.StatusInReview || !notChecked(d) || d.Fields.Confidence["hourly_rate"] > crosscheck.Unchecked {
			t.Errorf("%s: %s, confidence %v, sources %+v", d.ID, d.Status, d.Fields.Confidence["hourly_rate"], d.Fields.Sources)
		}
	}
	if time.Since(start) < 3*time.Second {
		t.Error("the documents did not wait for the model")
	}
	if n := s.count(t, `SELECT count(*) FROM extraction_runs WHERE extractor = 'rules/v1'`); n != len(ids) {
		t.Errorf("%d rules-only extraction runs, want %d", n, len(ids))
	}
}

// TestModelOutageFallbackConfidentCommits: in Fallback mode, documents the
// rules read completely and confidently commit during an outage without
// asking the model and without review; one the rules cannot complete
// waits for the model and is read by it once it is back.
func TestModelOutageFallbackConfidentCommits(t *testing.T) {
	t.Parallel()
	s := newModelStack(t, crosscheck.Fallback, 10*time.Minute)
	recovery := outage(s.p, 4*time.Second)
	ids := s.upload(t, 4, 1, nil)
	for _, d := range s.wait(t, ids, 30*time.Second) {
		if d.Status != pipeline.StatusCommitted || notChecked(d) {
			t.Errorf("%s: %s, issues %+v", d.ID, d.Status, d.Issues)
		}
	}
	if s.p.Count() != 0 {
		t.Errorf("%d model calls for complete readings", s.p.Count())
	}
	if time.Now().After(recovery) {
		t.Skip("the confident documents took longer than the outage")
	}
	// The worker's name missing: the rules need the model.
	needs := s.upload(t, 1, 100, func(c *pipeline.Contract) { c.WorkerName = "" })
	d := s.wait(t, needs, 60*time.Second)[0]
	if s.p.CountSince(recovery) == 0 || notChecked(d) {
		t.Errorf("the incomplete document: %s after %d calls since the recovery, sources %+v", d.Status, s.p.CountSince(recovery), d.Fields.Sources)
	}
}

// TestModelOutageMidDocumentKeepsSpentTokens: a long document is read in
// parts; the provider answers the first and fails on the next, so the
// document waits. The first part's tokens are recorded as an abandoned
// run (the tenant's budget counts them) and, once the provider is back,
// the document is read and committed with one run that produced its
// fields.
func TestModelOutageMidDocumentKeepsSpentTokens(t *testing.T) {
	t.Parallel()
	s := newModelStack(t, crosscheck.Always, 10*time.Minute)
	s.ex.LLM.(*llm.Extractor).MaxChars = 300
	var calls atomic.Int64
	var recovery atomic.Pointer[time.Time]
	s.p.Answer(func(req map[string]any) llmtest.Reply {
		if n := calls.Add(1); n > 1 && recovery.Load() == nil {
			return llmtest.Reply{Status: http.StatusInternalServerError}
		}
		msgs := llmtest.Messages(req)
		doc, _ := msgs[len(msgs)-1]["content"].(string)
		num := "null"
		if m := number.FindString(doc); m != "" {
			num = fmt.Sprintf("%q", m)
		}
		return llmtest.Reply{Content: fmt.Sprintf(`{"contract_number": %s, "agency_name": "Intérim Plus Lyon",
			"agency_siret": "73282932000074", "client_name": "Boulangeries Martin SAS", "client_siret": "55210055400013",
			"worker_name": "Élodie Lefèvre", "job_title": "Cariste", "start_date": "2026-03-02", "end_date": "2026-04-30",
			"hourly_rate": 13.45, "weekly_hours": 35, "work_location": "Villeurbanne", "reason": "temporary_increase",
			"possible_prompt_injection": false}`, num)}
	})
	ids := s.upload(t, 1, 900, nil)
	abandoned := `SELECT count(*) FROM extraction_runs WHERE document_id = $1 AND outcome = 'abandoned' AND input_tokens >= 812`
	for deadline := time.Now().Add(60 * time.Second); s.count(t, abandoned, ids[0]) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no abandoned run with the first part's tokens after %d calls", calls.Load())
		}
	}
	now := time.Now()
	recovery.Store(&now)
	d := s.wait(t, ids, 90*time.Second)[0]
	if d.Status != pipeline.StatusCommitted {
		t.Fatalf("document %s, issues %+v", d.Status, d.Issues)
	}
	if n := s.count(t, `SELECT count(*) FROM extraction_runs WHERE document_id = $1 AND outcome = 'used' AND extractor = $2`, ids[0], s.ex.Name()); n != 1 {
		t.Errorf("%d runs that produced the fields, want 1", n)
	}
	spent := s.count(t, `SELECT sum(input_tokens + output_tokens) FROM extraction_runs WHERE document_id = $1`, ids[0])
	used, err := s.Store.TokensUsedSince(context.Background(), s.tenant, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() < 3 || int64(spent) != used || used < 3*907 {
		t.Errorf("%d calls; tokens recorded %d, counted in the budget %d; want every answered call's 907 counted", calls.Load(), spent, used)
	}
}
