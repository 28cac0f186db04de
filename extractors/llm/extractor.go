package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/prompts"
)

// Confidence is what a field read by the model starts with, before the
// cross-check with the rules raises or lowers it.
const Confidence = 0.8

// Extractor extracts fields with a model. It implements pipeline.Extractor
// and pipeline.MeteredExtractor.
type Extractor struct {
	Backend Backend
	Model   string
	// Prices in EUR per million input and output tokens, for the cost
	// estimate of each run; zero when unknown.
	InputPrice, OutputPrice float64
	// MaxChars bounds the document text sent (default 60000 characters).
	MaxChars int
}

// Name identifies the extractor and its model.
func (e *Extractor) Name() string { return "llm/" + e.Model }

// Extract returns the fields the model read.
func (e *Extractor) Extract(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (pipeline.Fields, error) {
	f, _, err := e.ExtractMetered(ctx, t, c)
	return f, err
}

// answer is the model's JSON, before it becomes Fields.
type answer struct {
	fields    map[string]any
	injection bool
}

// ExtractMetered returns the fields and the run's model, prompt, tokens,
// latency and cost. A malformed answer gets one repair request; a second
// malformed answer is a permanent failure.
func (e *Extractor) ExtractMetered(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (_ pipeline.Fields, run pipeline.ExtractionRun, _ error) {
	var schema map[string]any
	var promptID string
	switch t {
	case pipeline.TypeContract:
		schema, promptID = contractSchema, "extract_contract.v1"
	case pipeline.TypeTimesheet:
		schema, promptID = timesheetSchema, "extract_timesheet.v1"
	default:
		return pipeline.Fields{}, pipeline.ExtractionRun{}, fmt.Errorf("%w: no prompt for type %q", derrors.InvalidArgument, t)
	}
	p, err := prompts.Get(promptID)
	if err != nil {
		return pipeline.Fields{}, pipeline.ExtractionRun{}, err
	}
	run = pipeline.ExtractionRun{Extractor: e.Name(), Model: e.Model, PromptID: p.ID, PromptHash: p.Hash}
	text := c.Text
	if max := e.maxChars(); len([]rune(text)) > max {
		text = string([]rune(text)[:max])
	}
	req := Request{Model: e.Model, SchemaName: string(t), Schema: schema, Messages: []Message{
		{Role: "system", Content: p.System},
		{Role: "user", Content: prompts.Wrap(string(t), text)},
	}}
	start := time.Now()
	defer func() { run.Latency = time.Since(start) }()
	for attempt := 0; ; attempt++ {
		resp, err := e.Backend.Complete(ctx, req)
		if err != nil {
			return pipeline.Fields{}, run, err
		}
		run.InputTokens += resp.InputTokens
		run.OutputTokens += resp.OutputTokens
		run.CostEstimate = (float64(run.InputTokens)*e.InputPrice + float64(run.OutputTokens)*e.OutputPrice) / 1e6
		f, perr := parse(t, resp.Content)
		if perr == nil {
			return f, run, nil
		}
		if attempt == 1 {
			return pipeline.Fields{}, run, fmt.Errorf("%w: the model's answer is not valid after a repair: %v", derrors.Permanent, perr)
		}
		req.Messages = append(req.Messages, Message{Role: "assistant", Content: resp.Content}, Message{Role: "user",
			Content: "Your answer is not valid: " + perr.Error() + ". Answer again with only the JSON object of the schema."})
	}
}

func (e *Extractor) maxChars() int {
	if e.MaxChars > 0 {
		return e.MaxChars
	}
	return 60000
}

// parse checks a model's answer against the schema's fields and types and
// turns it into Fields; nulls are absent fields.
func parse(t pipeline.DocumentType, content string) (pipeline.Fields, error) {
	content = string(bytes.TrimSpace([]byte(content)))
	// Some servers wrap JSON mode answers in a Markdown fence.
	if strings.HasPrefix(content, "```") {
		content = strings.TrimPrefix(strings.TrimPrefix(content, "```json"), "```")
		content = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(content), "```"))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(content), &m); err != nil {
		return pipeline.Fields{}, fmt.Errorf("not a JSON object: %v", err)
	}
	delete(m, "possible_prompt_injection")
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	f, err := pipeline.FieldsFromMap(t, m)
	if err != nil {
		return pipeline.Fields{}, err
	}
	f.Confidence = map[string]float64{}
	for k := range m {
		f.Confidence[k] = Confidence
	}
	return f, nil
}
