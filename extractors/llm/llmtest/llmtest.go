// Package llmtest is an OpenAI-compatible test server standing in for an
// LLM provider: it checks every request it gets and replays scripted
// answers, failures included (429 with Retry-After, 500, slow answers,
// broken JSON, answers that obey an injection).
package llmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reply is one scripted answer of the fake provider.
type Reply struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// RetryAfter is sent as the Retry-After header when set.
	RetryAfter string
	// Delay holds the answer back.
	Delay time.Duration
	// Content is the assistant's message of a 200 answer.
	Content string
	// Raw is a whole response body instead (another server's shape).
	Raw string
}

// Key is the API key the provider expects.
const Key = "test-key"

// Provider is an OpenAI-compatible test server: it checks every request
// and replays scripted answers in order.
type Provider struct {
	t        testing.TB
	mu       sync.Mutex
	replies  []Reply
	always   *Reply
	answer   func(req map[string]any) Reply
	requests []map[string]any
	times    []time.Time
	srv      *httptest.Server
}

// New starts a provider that answers with replies, in order; it stops at
// the test's end.
func New(t testing.TB, replies ...Reply) *Provider {
	f := &Provider{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the base URL to configure, ending in /v1.
func (f *Provider) URL() string { return f.srv.URL + "/v1" }

// Always answers r once the scripted answers are used up.
func (f *Provider) Always(r Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.always = &r
}

// Answer answers from fn once the scripted answers are used up (before
// Always): an answer made from the request, or a failure of the moment.
func (f *Provider) Answer(fn func(req map[string]any) Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = fn
}

// CountSince is the number of requests that came at t or later.
func (f *Provider) CountSince(t time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, at := range f.times {
		if !at.Before(t) {
			n++
		}
	}
	return n
}

// Add scripts more answers.
func (f *Provider) Add(replies ...Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies = append(f.replies, replies...)
}

func (f *Provider) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		f.t.Errorf("fake provider: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+Key {
		f.t.Errorf("fake provider: Authorization %q", got)
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("fake provider: request is not JSON: %v", err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.times = append(f.times, time.Now())
	var rep Reply
	switch {
	case len(f.replies) > 0:
		rep, f.replies = f.replies[0], f.replies[1:]
	case f.answer != nil:
		rep = f.answer(req)
	case f.always != nil:
		rep = *f.always
	default:
		f.mu.Unlock()
		f.t.Errorf("fake provider: no scripted reply left")
		http.Error(w, "no reply", 500)
		return
	}
	f.mu.Unlock()
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	if rep.Status != 0 && rep.Status != 200 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.Status)
		io.WriteString(w, `{"error": {"message": "scripted failure", "type": "server_error"}}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.Raw != "" {
		io.WriteString(w, rep.Raw)
		return
	}
	content, _ := json.Marshal(rep.Content)
	io.WriteString(w, `{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
		"choices": [{"index": 0, "message": {"role": "assistant", "content": `+string(content)+`}, "finish_reason": "stop"}],
		"usage": {"prompt_tokens": 812, "completion_tokens": 95, "total_tokens": 907}}`)
}

// Request returns the i-th request the provider got, decoded.
func (f *Provider) Request(i int) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.requests) {
		f.t.Fatalf("only %d requests", len(f.requests))
	}
	return f.requests[i]
}

// Count is the number of requests so far.
func (f *Provider) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// Messages returns a request's chat messages.
func Messages(req map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range req["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return out
}

// JSONString quotes s as a JSON string.
func JSONString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
