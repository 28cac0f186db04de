package cassette_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/evals/cassette"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/prompts"
)

const answer = `{"contract_number": "CM-2026-004512", "worker_name": "Élodie Lefèvre", "client_name": "Boulangeries Martin SAS",
	"period_start": "2026-03-02", "period_end": "2026-03-08", "total_hours": 37.5, "possible_prompt_injection": false,
	"entries": [{"date": "2026-03-02", "hours": 7.5}, {"date": "2026-03-03", "hours": 7.5}, {"date": "2026-03-04", "hours": 7.5},
	{"date": "2026-03-05", "hours": 7.5}, {"date": "2026-03-06", "hours": 7.5}]}`

func content(number string) pipeline.Content {
	return pipeline.Content{Text: testdocs.Timesheet(testdocs.ValidTimesheet(number)), Format: "pdf", Confidence: 1}
}

func extractor(b llm.Backend) *llm.Extractor {
	return &llm.Extractor{Backend: b, Model: "test-model", InputPrice: 2, OutputPrice: 8}
}

// record records the answers to the documents numbered numbers into dir
// against a fake provider that is closed when record returns.
func record(t *testing.T, dir string, numbers ...string) {
	t.Run("record", func(t *testing.T) {
		f := llmtest.New(t)
		f.Always(llmtest.Reply{Content: answer})
		b, err := cassette.New(dir, cassette.Record, llm.NewOpenAI(llm.OpenAIConfig{BaseURL: f.URL(), APIKey: llmtest.Key}))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range numbers {
			if _, _, err := extractor(b).ExtractMetered(context.Background(), pipeline.TypeTimesheet, content(n)); err != nil {
				t.Fatal(err)
			}
		}
		if f.Count() != len(numbers) {
			t.Errorf("the provider got %d requests, want %d", f.Count(), len(numbers))
		}
	})
}

func TestRecordThenReplayOffline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	record(t, dir, "CM-2026-004512")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "extract_timesheet.v1-") {
		t.Fatalf("cassette files = %v", files)
	}
	var e cassette.Entry
	b, _ := os.ReadFile(files[0])
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	p, _ := prompts.Get("extract_timesheet.v1")
	if e.PromptHash != p.Hash || e.Model != "test-model" || e.Backend != "openai" || e.InputTokens != 812 || e.OutputTokens != 95 ||
		e.Schema != "timesheet" || !strings.HasPrefix(e.Document, "RELEVÉ D'HEURES Contrat de mission") {
		t.Errorf("entry = %+v", e)
	}

	// The provider is closed: only the cassettes can answer.
	replay, err := cassette.New(dir, cassette.Replay, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a new random wrapping tag each time: the key must not see it
		ctx, m := cassette.WithMeter(context.Background())
		f, run, err := extractor(replay).ExtractMetered(ctx, pipeline.TypeTimesheet, content("CM-2026-004512"))
		if err != nil {
			t.Fatal(err)
		}
		if f.Timesheet == nil || *f.Timesheet.TotalHours != 37.5 || len(f.Timesheet.Entries) != 5 {
			t.Errorf("replayed fields = %+v", f.Timesheet)
		}
		if run.InputTokens != 812 || run.OutputTokens != 95 || run.CostEstimate == 0 || run.PromptHash != p.Hash {
			t.Errorf("replayed run = %+v", run)
		}
		if m.Calls() != 1 || m.Replayed() != 1 || m.Spent() != 0 || m.Latency().Milliseconds() != e.LatencyMS {
			t.Errorf("meter: %d calls, %d replayed, latency %v, spent %v", m.Calls(), m.Replayed(), m.Latency(), m.Spent())
		}
	}
	if replay.Name() != "openai" {
		t.Errorf("Name() = %q, want the recorded backend's", replay.Name())
	}
}

// editPrompt stands for a change of the prompt's wording: it rewrites the
// system message before the cassette sees the request.
type editPrompt struct{ next llm.Backend }

func (e editPrompt) Name() string { return e.next.Name() }

func (e editPrompt) Complete(ctx context.Context, req llm.Request) (llm.Response, error) {
	msgs := append([]llm.Message{}, req.Messages...)
	msgs[0].Content += "\nAlso read the worker's badge number."
	req.Messages = msgs
	return e.next.Complete(ctx, req)
}

// editSchema stands for a change of the answer's schema.
type editSchema struct{ next llm.Backend }

func (e editSchema) Name() string { return e.next.Name() }

func (e editSchema) Complete(ctx context.Context, req llm.Request) (llm.Response, error) {
	req.Schema = map[string]any{"type": "object", "changed": true}
	return e.next.Complete(ctx, req)
}

func TestReplayErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	record(t, dir, "CM-2026-004512")
	replay, err := cassette.New(dir, cassette.Replay, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		backend llm.Backend
		number  string
		stale   bool
		says    []string
	}{
		{"missing", replay, "CM-2026-999999", false,
			[]string{"no cassette for prompt extract_timesheet.v1 hash ", "model test-model document ", "never recorded", "--record"}},
		{"prompt changed", editPrompt{replay}, "CM-2026-004512", true,
			[]string{"stale cassette for prompt extract_timesheet.v1 (changed)", "the prompt changed since the cassettes were recorded", "re-record with --record"}},
		{"schema changed", editSchema{replay}, "CM-2026-004512", true,
			[]string{"stale cassette for prompt extract_timesheet.v1 hash", "another answer schema", "re-record with --record"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := extractor(tt.backend).ExtractMetered(context.Background(), pipeline.TypeTimesheet, content(tt.number))
			if !errors.Is(err, cassette.ErrMissing) || errors.Is(err, cassette.ErrStale) != tt.stale {
				t.Fatalf("err = %v; want ErrMissing, stale %v", err, tt.stale)
			}
			var miss *cassette.MissingError
			if !errors.As(err, &miss) || miss.Key.Model != "test-model" {
				t.Errorf("err = %#v", err)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestRecordMissingAndPrune(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	record(t, dir, "CM-2026-000001", "CM-2026-000002")
	f := llmtest.New(t)
	f.Always(llmtest.Reply{Content: answer})
	b, err := cassette.New(dir, cassette.RecordMissing, llm.NewOpenAI(llm.OpenAIConfig{BaseURL: f.URL(), APIKey: llmtest.Key}))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"CM-2026-000001", "CM-2026-000003"} {
		if _, _, err := extractor(b).ExtractMetered(context.Background(), pipeline.TypeTimesheet, content(n)); err != nil {
			t.Fatal(err)
		}
	}
	if f.Count() != 1 {
		t.Errorf("the provider got %d requests; want 1, for the document not recorded", f.Count())
	}
	pruned, err := b.Prune()
	if err != nil || len(pruned) != 1 {
		t.Fatalf("Prune() = %v, %v; want the cassette of CM-2026-000002", pruned, err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(files) != 2 {
		t.Errorf("%d files left, want 2", len(files))
	}
}

func TestKeyIgnoresTheWrappingTag(t *testing.T) {
	t.Parallel()
	p, _ := prompts.Get("extract_contract.v1")
	req := func(doc string) llm.Request {
		return llm.Request{Model: "m", SchemaName: "contract", Schema: map[string]any{"type": "object"},
			Messages: []llm.Message{{Role: "system", Content: p.System}, {Role: "user", Content: prompts.Wrap("contract", doc)}}}
	}
	a, b, c := cassette.KeyOf(req("Contrat n° 1")), cassette.KeyOf(req("Contrat n° 1")), cassette.KeyOf(req("Contrat n° 2"))
	if a != b {
		t.Errorf("two wrappings of one document: %+v and %+v", a, b)
	}
	if a.DocumentHash == c.DocumentHash || a.PromptHash != c.PromptHash || a.PromptID != "extract_contract.v1" || a.PromptHash != p.Hash {
		t.Errorf("keys %+v and %+v", a, c)
	}
	withImage := req("Contrat n° 1")
	withImage.Messages[1].Images = []string{"data:image/png;base64,AAAA"}
	if cassette.KeyOf(withImage).DocumentHash == a.DocumentHash {
		t.Error("the page images do not count in the document hash")
	}
}

func TestNewChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		mode cassette.Mode
		next llm.Backend
		file string
	}{
		{"unknown mode", "rewind", nil, ""},
		{"record without a backend", cassette.Record, nil, ""},
		{"edited file", cassette.Replay, nil, `{"prompt_hash": "x", "model": "m", "document_hash": "d", "content": "{}"}`},
	}
	for _, tt := range tests {
		d := dir
		if tt.file != "" {
			d = t.TempDir()
			if err := os.WriteFile(filepath.Join(d, "prompt-000.json"), []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cassette.New(d, tt.mode, tt.next); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
	if _, err := cassette.New(filepath.Join(dir, "none"), cassette.Replay, nil); err != nil {
		t.Errorf("a missing folder holds no cassettes: %v", err)
	}
}
