// Package llm extracts the spec's fields with a large language model
// behind a small Backend interface: any OpenAI-compatible endpoint through
// go-openai (OpenAI, Azure OpenAI, Mistral, vLLM, Ollama, llama.cpp
// server). Answers are strict JSON of a schema made from the spec's fields,
// parsed and checked, with one repair attempt; provider failures become
// derrors categories (a 429 a *derrors.RateLimited with the provider's
// Retry-After) so that the queue retries or snoozes.
package llm

import "context"

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Images are data URLs (data:image/png;base64,...) sent beside the
	// text, for a vision-capable model.
	Images []string `json:"images,omitempty"`
}

// Request asks a model for a JSON answer of a schema.
type Request struct {
	Model      string
	Messages   []Message
	SchemaName string
	Schema     map[string]any
}

// Response is a model's answer with its token counts.
type Response struct {
	Content      string
	InputTokens  int
	OutputTokens int
}

// Backend is one model provider.
type Backend interface {
	// Name names the backend ("openai", "anthropic") in extraction runs.
	Name() string
	// Complete asks the model. A call that fails after the provider billed
	// tokens (an answer without a choice) returns them in the Response
	// beside the error; they are counted in the run.
	Complete(ctx context.Context, req Request) (Response, error)
}
