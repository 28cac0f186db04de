package llm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/pipeline"
)

// A model that loops (JSON mode whitespace, endless text) is paid up to
// the model's own output limit, twice with the repair: the request bounds
// the answer's tokens, DefaultMaxOutputTokens unless configured.
func TestOpenAIRequestBoundsOutputTokens(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg  llm.OpenAIConfig
		want float64
	}{
		{llm.OpenAIConfig{}, llm.DefaultMaxOutputTokens},
		{llm.OpenAIConfig{MaxOutputTokens: 1000}, 1000},
	} {
		f := llmtest.New(t, llmtest.Reply{Content: goodContract})
		if _, _, err := newExtractor(f, c.cfg).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent()); err != nil {
			t.Fatal(err)
		}
		if got := f.Request(0)["max_completion_tokens"]; got != c.want {
			t.Errorf("MaxOutputTokens %d: max_completion_tokens = %v, want %v", c.cfg.MaxOutputTokens, got, c.want)
		}
	}
}

// An answer with no choice fails (transient) and still counts the tokens
// the provider bills in the run.
func TestEmptyChoicesStillCountTokens(t *testing.T) {
	t.Parallel()
	raw := `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":812,"completion_tokens":95,"total_tokens":907}}`
	f := llmtest.New(t, llmtest.Reply{Raw: raw})
	_, run, err := newExtractor(f, llm.OpenAIConfig{}).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	if !errors.Is(err, derrors.Transient) {
		t.Errorf("empty choices: %v, want transient", err)
	}
	if run.InputTokens != 812 || run.OutputTokens != 95 || run.CostEstimate <= 0 {
		t.Errorf("empty choices: run tokens %d/%d cost %v, provider billed 812/95", run.InputTokens, run.OutputTokens, run.CostEstimate)
	}
}
