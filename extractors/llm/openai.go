package llm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/docflow/docflow/derrors"
	openai "github.com/sashabaranov/go-openai"
)

// OpenAIConfig locates an OpenAI-compatible endpoint.
type OpenAIConfig struct {
	// BaseURL is the API's base, e.g. https://api.openai.com/v1 or
	// http://localhost:11434/v1 for Ollama.
	BaseURL string
	// APIKey is sent as a bearer token; it is never logged.
	APIKey string
	// Timeout bounds one call (default 60 s).
	Timeout time.Duration
	// JSONMode asks for a JSON object without a schema, for servers that do
	// not support strict json_schema response formats; the answer is
	// checked against the schema all the same.
	JSONMode bool
	// MaxOutputTokens bounds the tokens of one answer (sent as
	// max_completion_tokens; default DefaultMaxOutputTokens), so that a
	// model that loops is not paid up to its own limit.
	MaxOutputTokens int
}

// DefaultMaxOutputTokens bounds an answer's tokens unless a backend's
// configuration says otherwise.
const DefaultMaxOutputTokens = 4096

// OpenAI is a Backend for OpenAI-compatible chat completions.
type OpenAI struct {
	client    *openai.Client
	timeout   time.Duration
	jsonMode  bool
	maxTokens int
}

// NewOpenAI returns a Backend for cfg.
func NewOpenAI(cfg OpenAIConfig) *OpenAI {
	c := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		c.BaseURL = cfg.BaseURL
	}
	c.HTTPClient = &http.Client{Transport: retryAfterRecorder{next: http.DefaultTransport}}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxOutputTokens <= 0 {
		cfg.MaxOutputTokens = DefaultMaxOutputTokens
	}
	return &OpenAI{client: openai.NewClientWithConfig(c), timeout: cfg.Timeout, jsonMode: cfg.JSONMode, maxTokens: cfg.MaxOutputTokens}
}

// Name names the backend.
func (o *OpenAI) Name() string { return "openai" }

// Complete sends one chat completion and maps failures onto derrors. An
// answer without a choice is a transient failure that still reports the
// tokens billed.
func (o *OpenAI) Complete(ctx context.Context, req Request) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var retry retryAfter
	ctx = context.WithValue(ctx, retryAfterKey{}, &retry)
	msgs := make([]openai.ChatCompletionMessage, len(req.Messages))
	for i, m := range req.Messages {
		if len(m.Images) == 0 {
			msgs[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
			continue
		}
		parts := []openai.ChatMessagePart{{Type: openai.ChatMessagePartTypeText, Text: m.Content}}
		for _, url := range m.Images {
			parts = append(parts, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeImageURL,
				ImageURL: &openai.ChatMessageImageURL{URL: url, Detail: openai.ImageURLDetailHigh}})
		}
		msgs[i] = openai.ChatCompletionMessage{Role: m.Role, MultiContent: parts}
	}
	creq := openai.ChatCompletionRequest{Model: req.Model, Messages: msgs, Temperature: 0, MaxCompletionTokens: o.maxTokens}
	if o.jsonMode {
		creq.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	} else {
		creq.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: req.SchemaName, Schema: schemaJSON(req.Schema), Strict: true}}
	}
	resp, err := o.client.CreateChatCompletion(ctx, creq)
	if err != nil {
		return Response{}, classify(ctx, err, retry.d)
	}
	out := Response{InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens}
	if len(resp.Choices) == 0 {
		return out, fmt.Errorf("%w: the model gave no choice", derrors.Transient)
	}
	out.Content = resp.Choices[0].Message.Content
	return out, nil
}

// classify maps a go-openai error onto derrors: 429 is a rate limit (with
// the provider's Retry-After, else 10 s), 5xx, timeouts and network
// failures are transient, other 4xx permanent (a bad key, a bad model).
func classify(ctx context.Context, err error, retryAfter time.Duration) error {
	status := 0
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	return classifyStatus(ctx, err, status, retryAfter)
}

// classifyStatus maps a failed call with its HTTP status (0 when none
// came back) onto derrors.
func classifyStatus(ctx context.Context, err error, status int, retryAfter time.Duration) error {
	switch {
	case status == http.StatusTooManyRequests:
		if retryAfter <= 0 {
			retryAfter = 10 * time.Second
		}
		return &derrors.RateLimited{RetryAfter: retryAfter, Err: fmt.Errorf("llm: %w", err)}
	case status >= 500, status == http.StatusRequestTimeout, ctx.Err() != nil, status == 0:
		return fmt.Errorf("%w: llm: %v", derrors.Transient, err)
	default:
		return fmt.Errorf("%w: llm answered %d: %v", derrors.Permanent, status, err)
	}
}

type schemaJSON map[string]any

func (s schemaJSON) MarshalJSON() ([]byte, error) { return json.Marshal(map[string]any(s)) }

// retryAfter carries a response's Retry-After out of the HTTP client,
// which go-openai does not expose.
type retryAfter struct{ d time.Duration }

type retryAfterKey struct{}

type retryAfterRecorder struct{ next http.RoundTripper }

func (r retryAfterRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	if ra, ok := req.Context().Value(retryAfterKey{}).(*retryAfter); ok {
		ra.d = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, nil
}

// parseRetryAfter reads seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func decodeBase64(s string) []byte {
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}
