package similarity

import (
	"context"
	"fmt"
	"time"

	"github.com/docflow/docflow/derrors"
	openai "github.com/sashabaranov/go-openai"
)

// OpenAI embeds through an OpenAI-compatible embeddings API, asking for
// Dim dimensions (text-embedding-3 models shorten their vectors on request).
type OpenAI struct {
	Client *openai.Client
	Model  string
	// Timeout bounds one call (DefaultEmbedTimeout when 0): the index and
	// the model's examples wait for it, and a stalled endpoint must not
	// hold a document until its job's own timeout.
	Timeout time.Duration
}

// DefaultEmbedTimeout bounds an embeddings call.
const DefaultEmbedTimeout = 20 * time.Second

// NewOpenAI returns an embedder for the API at baseURL.
func NewOpenAI(baseURL, apiKey, model string) *OpenAI {
	cfg := openai.DefaultConfig(apiKey)
	if baseURL != "" {
		cfg.BaseURL = baseURL
	}
	return &OpenAI{Client: openai.NewClientWithConfig(cfg), Model: model}
}

// Name identifies the embedder and its model.
func (o *OpenAI) Name() string { return "openai/" + o.Model }

// Embed returns the model's unit vector for text.
func (o *OpenAI) Embed(ctx context.Context, text string) ([]float32, error) {
	if r := []rune(text); len(r) > 8000 {
		text = string(r[:8000])
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultEmbedTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := o.Client.CreateEmbeddings(ctx, openai.EmbeddingRequest{
		Input: []string{text}, Model: openai.EmbeddingModel(o.Model), Dimensions: Dim})
	if err != nil {
		return nil, fmt.Errorf("%w: embeddings: %v", derrors.Transient, err)
	}
	if len(resp.Data) == 0 || len(resp.Data[0].Embedding) != Dim {
		return nil, fmt.Errorf("%w: embeddings: want one vector of %d numbers", derrors.Permanent, Dim)
	}
	v := make([]float64, Dim)
	for i, x := range resp.Data[0].Embedding {
		v[i] = float64(x)
	}
	return unit(v), nil
}
