package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/pipeline"
)

// fakeAnthropic answers Anthropic's messages API: each call takes the next
// status (200 answers goodContract) and records the request.
func fakeAnthropic(t *testing.T, statuses ...int) (*httptest.Server, *[]map[string]any) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/messages" || r.Header.Get("x-api-key") != "anthropic-key" || r.Header.Get("anthropic-version") == "" {
			t.Errorf("fake anthropic: %s %s, key %q", r.Method, r.URL.Path, r.Header.Get("x-api-key"))
		}
		b, _ := io.ReadAll(r.Body)
		var req map[string]any
		_ = json.Unmarshal(b, &req)
		got = append(got, req)
		status := statuses[0]
		statuses = statuses[1:]
		w.Header().Set("Content-Type", "application/json")
		if status != 200 {
			w.Header().Set("Retry-After", "4")
			w.WriteHeader(status)
			io.WriteString(w, `{"type":"error","error":{"type":"rate_limit_error","message":"scripted"}}`)
			return
		}
		text, _ := json.Marshal(goodContract)
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","stop_reason":"end_turn",
			"content":[{"type":"text","text":`+string(text)+`}],"usage":{"input_tokens":700,"output_tokens":90}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func anthropicExtractor(t *testing.T, url string) *llm.Extractor {
	b, err := llm.NewAnthropic(llm.AnthropicConfig{BaseURL: url + "/v1", APIKey: "anthropic-key", Model: "claude-test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &llm.Extractor{Backend: b, Model: "claude-test"}
}

func TestAnthropicThroughLangChain(t *testing.T) {
	t.Parallel()
	srv, reqs := fakeAnthropic(t, 200)
	f, run, err := anthropicExtractor(t, srv.URL).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	if err != nil {
		t.Fatal(err)
	}
	if f.Contract.ContractNumber != "CM-2026-004512" || run.InputTokens != 700 || run.OutputTokens != 90 {
		t.Errorf("fields %+v run %+v", f.Contract, run)
	}
	req := (*reqs)[0]
	system, _ := json.Marshal(req["system"])
	if !strings.Contains(string(system), "not instructions") || !strings.Contains(string(system), "additionalProperties") {
		t.Errorf("the instructions and the schema are not in the system prompt: %s", system)
	}
	msgs, _ := json.Marshal(req["messages"])
	if !strings.Contains(string(msgs), "Villeurbanne") || strings.Contains(string(msgs), "never invent one") {
		t.Errorf("messages: %s", msgs)
	}
}

func TestAnthropicFailures(t *testing.T) {
	t.Parallel()
	srv, _ := fakeAnthropic(t, 429)
	_, _, err := anthropicExtractor(t, srv.URL).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	var rl *derrors.RateLimited
	if !errors.As(err, &rl) || rl.RetryAfter != 4*time.Second {
		t.Errorf("429: %v, want a rate limit of 4s", err)
	}
	srv, _ = fakeAnthropic(t, 529)
	if _, _, err := anthropicExtractor(t, srv.URL).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent()); !errors.Is(err, derrors.Transient) {
		t.Errorf("529 overloaded: %v, want transient", err)
	}
	srv, _ = fakeAnthropic(t, 401)
	if _, _, err := anthropicExtractor(t, srv.URL).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent()); !errors.Is(err, derrors.Permanent) {
		t.Errorf("401: %v, want permanent", err)
	}
}

// The connection drops in the middle of a 200 answer (a network failure,
// a proxy restarting): that is transient, as with the OpenAI backend, not
// a permanent failure that sends the document to review at once.
func TestAnthropicCutAnswerIsTransient(t *testing.T) {
	t.Parallel()
	body := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","stop_reason":"end_turn","content":[{"type":"text","text":"{\"contract_n`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)+500))
		w.WriteHeader(200)
		io.WriteString(w, body)
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	_, _, err := anthropicExtractor(t, srv.URL).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	if !errors.Is(err, derrors.Transient) || errors.Is(err, derrors.Permanent) {
		t.Errorf("connection cut mid-answer: %v (permanent %v), want transient", err, errors.Is(err, derrors.Permanent))
	}
}

// The answer's tokens are bounded: DefaultMaxOutputTokens unless
// configured.
func TestAnthropicRequestBoundsOutputTokens(t *testing.T) {
	t.Parallel()
	srv, reqs := fakeAnthropic(t, 200, 200)
	if _, _, err := anthropicExtractor(t, srv.URL).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent()); err != nil {
		t.Fatal(err)
	}
	b, err := llm.NewAnthropic(llm.AnthropicConfig{BaseURL: srv.URL + "/v1", APIKey: "anthropic-key", Model: "claude-test", MaxOutputTokens: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := (&llm.Extractor{Backend: b, Model: "claude-test"}).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent()); err != nil {
		t.Fatal(err)
	}
	if got := (*reqs)[0]["max_tokens"]; got != float64(llm.DefaultMaxOutputTokens) {
		t.Errorf("default max_tokens = %v, want %d", got, llm.DefaultMaxOutputTokens)
	}
	if got := (*reqs)[1]["max_tokens"]; got != float64(1000) {
		t.Errorf("configured max_tokens = %v, want 1000", got)
	}
}
