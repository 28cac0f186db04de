package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/metrics"
	"github.com/docflow/docflow/pipeline"
)

type breaker bool

func (b breaker) Open() bool { return bool(b) }

// TestObserversAndToken: what the hooks report shows in a scrape, and a
// scrape without the token is refused.
func TestObserversAndToken(t *testing.T) {
	t.Parallel()
	m := metrics.New(nil)
	m.WatchBreaker(breaker(true))
	m.Analysed(pipeline.Analysis{Timings: pipeline.Timings{Read: time.Millisecond, Classify: time.Millisecond}})
	m.Committed(3 * time.Second)
	m.ModelCalled(pipeline.ExtractionRun{Model: "m1", InputTokens: 100, OutputTokens: 20, CostEstimate: 0.5}, nil)
	m.ModelCalled(pipeline.ExtractionRun{Model: "m1"}, errors.New("timeout"))
	m.MailPolled(mail.Result{Taken: 2, Moved: 2}, nil)
	srv := httptest.NewServer(m.Handler("secret"))
	defer srv.Close()
	if res, err := http.Get(srv.URL); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without the token: %v %v, want 401", res, err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "Bearer secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`docflow_stage_duration_seconds_count{stage="read"} 1`,
		`docflow_stage_duration_seconds_count{stage="classify"} 1`,
		`docflow_upload_to_commit_seconds_count 1`,
		`docflow_documents_committed_total 1`,
		`docflow_llm_calls_total{model="m1",outcome="ok"} 1`,
		`docflow_llm_calls_total{model="m1",outcome="error"} 1`,
		`docflow_llm_tokens_total{direction="input",model="m1"} 100`,
		`docflow_llm_cost_usd_total{model="m1"} 0.5`,
		`docflow_llm_breaker_open 1`,
		`docflow_mail_polls_total{outcome="ok"} 1`,
		`docflow_mail_messages_total{result="taken"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	if strings.Contains(string(body), `stage="extract"`) {
		t.Error("a stage that did not run was observed")
	}
}
