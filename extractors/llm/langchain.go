package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"
)

// LangChain is a Backend for providers that are not OpenAI-compatible,
// through langchaingo's models (Anthropic here). Those providers have no
// strict structured output, so the schema goes into the instructions and
// the answer is checked and repaired like any other.
type LangChain struct {
	model     llms.Model
	timeout   time.Duration
	maxTokens int
	calls     *callRecorder
}

// AnthropicConfig locates Anthropic's messages API.
type AnthropicConfig struct {
	// BaseURL defaults to https://api.anthropic.com/v1.
	BaseURL string
	APIKey  string
	Model   string
	// Timeout bounds one call (default 60 s).
	Timeout time.Duration
	// MaxOutputTokens bounds the tokens of one answer (default
	// DefaultMaxOutputTokens).
	MaxOutputTokens int
}

// NewAnthropic returns a Backend for Anthropic's models.
func NewAnthropic(cfg AnthropicConfig) (*LangChain, error) {
	rec := &callRecorder{client: &http.Client{}}
	opts := []anthropic.Option{anthropic.WithToken(cfg.APIKey), anthropic.WithModel(cfg.Model), anthropic.WithHTTPClient(rec)}
	if cfg.BaseURL != "" {
		opts = append(opts, anthropic.WithBaseURL(cfg.BaseURL))
	}
	m, err := anthropic.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxOutputTokens <= 0 {
		cfg.MaxOutputTokens = DefaultMaxOutputTokens
	}
	return &LangChain{model: m, timeout: cfg.Timeout, maxTokens: cfg.MaxOutputTokens, calls: rec}, nil
}

// Name names the backend.
func (l *LangChain) Name() string { return "anthropic" }

// Complete sends one conversation and maps failures onto derrors. A
// failure while reading a 2xx answer (the connection cut mid-body) is
// transient, like a network failure before any answer.
func (l *LangChain) Complete(ctx context.Context, req Request) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	info := &callInfo{}
	ctx = context.WithValue(ctx, callInfoKey{}, info)
	schema, _ := json.Marshal(req.Schema)
	var msgs []llms.MessageContent
	for _, m := range req.Messages {
		parts := []llms.ContentPart{llms.TextContent{Text: m.Content}}
		role := llms.ChatMessageTypeHuman
		switch m.Role {
		case "system":
			role = llms.ChatMessageTypeSystem
			parts = []llms.ContentPart{llms.TextContent{Text: m.Content +
				"\n\nThe answer is one JSON object that follows this JSON schema, and nothing else:\n" + string(schema)}}
		case "assistant":
			role = llms.ChatMessageTypeAI
		}
		for _, url := range m.Images {
			mediaType, data, ok := strings.Cut(strings.TrimPrefix(url, "data:"), ";base64,")
			if ok {
				parts = append(parts, llms.BinaryContent{MIMEType: mediaType, Data: decodeBase64(data)})
			}
		}
		msgs = append(msgs, llms.MessageContent{Role: role, Parts: parts})
	}
	resp, err := l.model.GenerateContent(ctx, msgs, llms.WithTemperature(0), llms.WithMaxTokens(l.maxTokens))
	if err != nil {
		if info.status >= 200 && info.status < 300 && (info.bodyErr != nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
			return Response{}, fmt.Errorf("%w: llm: the answer was cut: %v", derrors.Transient, err)
		}
		return Response{}, classifyStatus(ctx, err, info.status, info.retryAfter)
	}
	if len(resp.Choices) == 0 {
		return Response{}, fmt.Errorf("%w: the model gave no choice", derrors.Transient)
	}
	c := resp.Choices[0]
	out := Response{Content: c.Content}
	out.InputTokens, _ = c.GenerationInfo["InputTokens"].(int)
	out.OutputTokens, _ = c.GenerationInfo["OutputTokens"].(int)
	return out, nil
}

// callInfo carries the HTTP status and Retry-After of a call out of the
// client, since langchaingo puts them in its error's text only, and the
// failure, if any, of reading the answer's body.
type callInfo struct {
	status     int
	retryAfter time.Duration
	bodyErr    error
}

// bodyRecorder records the first failure (other than the end) of reading
// an answer's body.
type bodyRecorder struct {
	io.ReadCloser
	info *callInfo
}

func (b bodyRecorder) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.info.bodyErr == nil {
		b.info.bodyErr = err
	}
	return n, err
}

type callInfoKey struct{}

// callRecorder is the HTTP client given to langchaingo.
type callRecorder struct{ client *http.Client }

// Do sends the request and records what classifyStatus needs.
func (r *callRecorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.client.Do(req)
	if err != nil {
		return resp, err
	}
	if info, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok {
		info.status = resp.StatusCode
		if resp.StatusCode == http.StatusTooManyRequests {
			info.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		resp.Body = bodyRecorder{ReadCloser: resp.Body, info: info}
	}
	return resp, nil
}
