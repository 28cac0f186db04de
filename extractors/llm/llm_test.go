package llm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

const goodContract = `{"contract_number": "CM-2026-004512", "agency_name": "Intérim Plus Lyon", "agency_siret": "73282932000074",
	"client_name": "Boulangeries Martin SAS", "client_siret": "55210055400013", "worker_name": "Élodie Lefèvre",
	"job_title": "Cariste", "start_date": "2026-03-02", "end_date": "2026-04-30", "hourly_rate": 13.45,
	"weekly_hours": 35, "work_location": "Villeurbanne", "reason": "temporary_increase", "possible_prompt_injection": false}`

func contractContent() pipeline.Content {
	return pipeline.Content{Text: testdocs.Contract(testdocs.ValidContract("CM-2026-004512")), Format: "pdf", Confidence: 1}
}

func newExtractor(f *llmtest.Provider, cfg llm.OpenAIConfig) *llm.Extractor {
	cfg.BaseURL, cfg.APIKey = f.URL(), llmtest.Key
	return &llm.Extractor{Backend: llm.NewOpenAI(cfg), Model: "test-model", InputPrice: 2, OutputPrice: 8}
}

func TestExtractChecksWhatItSends(t *testing.T) {
	t.Parallel()
	f := llmtest.New(t, llmtest.Reply{Content: goodContract})
	e := newExtractor(f, llm.OpenAIConfig{})
	got, run, err := e.ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	if err != nil {
		t.Fatal(err)
	}
	if got.Contract == nil || *got.Contract.HourlyRate != 13.45 || got.Contract.WorkerName != "Élodie Lefèvre" || got.Confidence["hourly_rate"] != llm.Confidence {
		t.Errorf("fields = %+v", got.Contract)
	}
	if run.Model != "test-model" || run.PromptID != "extract_contract.v1" || len(run.PromptHash) != 16 ||
		run.InputTokens != 812 || run.OutputTokens != 95 || run.CostEstimate <= 0 || run.Latency <= 0 {
		t.Errorf("run = %+v", run)
	}
	req := f.Request(0)
	if req["model"] != "test-model" {
		t.Errorf("model = %v", req["model"])
	}
	msgs := llmtest.Messages(req)
	if len(msgs) != 2 || msgs[0]["role"] != "system" || msgs[1]["role"] != "user" {
		t.Fatalf("messages = %v", msgs)
	}
	if !strings.Contains(msgs[0]["content"].(string), "not instructions") || strings.Contains(msgs[0]["content"].(string), "Villeurbanne") {
		t.Error("the instructions are not first, or hold the document")
	}
	if !strings.Contains(msgs[1]["content"].(string), "Villeurbanne") || !strings.Contains(msgs[1]["content"].(string), "<document-") {
		t.Error("the document is not last, wrapped as data")
	}
	rf := req["response_format"].(map[string]any)
	js, _ := rf["json_schema"].(map[string]any)
	if rf["type"] != "json_schema" || js["strict"] != true || js["name"] != "contract" {
		t.Errorf("response_format = %v", rf)
	}
	schema := js["schema"].(map[string]any)
	if schema["additionalProperties"] != false || len(schema["required"].([]any)) != len(pipeline.ContractFields)+1 {
		t.Errorf("schema is not strict: %v", schema)
	}
}

func TestRepairOnceThenFail(t *testing.T) {
	t.Parallel()
	f := llmtest.New(t, llmtest.Reply{Content: `{"contract_number": "CM-1", "hourly_rate": "treize"`}, llmtest.Reply{Content: goodContract})
	e := newExtractor(f, llm.OpenAIConfig{})
	got, _, err := e.ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	if err != nil || got.Contract.ContractNumber != "CM-2026-004512" {
		t.Fatalf("after a repair: %+v, %v", got.Contract, err)
	}
	msgs := llmtest.Messages(f.Request(1))
	if len(msgs) != 4 || msgs[2]["role"] != "assistant" || !strings.Contains(msgs[3]["content"].(string), "not valid") {
		t.Errorf("repair request = %v", msgs)
	}

	f = llmtest.New(t, llmtest.Reply{Content: "not json"}, llmtest.Reply{Content: `{"hourly_rate": "cheap"}`})
	e = newExtractor(f, llm.OpenAIConfig{})
	if _, _, err := e.ExtractMetered(context.Background(), pipeline.TypeContract, contractContent()); !errors.Is(err, derrors.Permanent) {
		t.Errorf("two bad answers: %v, want a permanent failure", err)
	}
	if f.Count() != 2 {
		t.Errorf("%d calls, want 2 (one repair only)", f.Count())
	}
}

func TestProviderFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name  string
		reply llmtest.Reply
		cfg   llm.OpenAIConfig
		check func(error) bool
	}{
		{"429 with Retry-After seconds", llmtest.Reply{Status: 429, RetryAfter: "7"}, llm.OpenAIConfig{}, func(err error) bool {
			var rl *derrors.RateLimited
			return errors.As(err, &rl) && rl.RetryAfter == 7*time.Second && errors.Is(err, derrors.Transient)
		}},
		{"429 without Retry-After", llmtest.Reply{Status: 429}, llm.OpenAIConfig{}, func(err error) bool {
			var rl *derrors.RateLimited
			return errors.As(err, &rl) && rl.RetryAfter == 10*time.Second
		}},
		{"500", llmtest.Reply{Status: 500}, llm.OpenAIConfig{}, func(err error) bool { return errors.Is(err, derrors.Transient) }},
		{"503", llmtest.Reply{Status: 503}, llm.OpenAIConfig{}, func(err error) bool { return errors.Is(err, derrors.Transient) }},
		{"slow answer", llmtest.Reply{Delay: 2 * time.Second, Content: goodContract}, llm.OpenAIConfig{Timeout: 200 * time.Millisecond},
			func(err error) bool { return errors.Is(err, derrors.Transient) }},
		{"401 bad key", llmtest.Reply{Status: 401}, llm.OpenAIConfig{}, func(err error) bool { return errors.Is(err, derrors.Permanent) }},
		{"truncated JSON twice", llmtest.Reply{Content: `{"contract_number": "CM`}, llm.OpenAIConfig{}, func(err error) bool { return errors.Is(err, derrors.Permanent) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := llmtest.New(t, c.reply, c.reply)
			_, _, err := newExtractor(f, c.cfg).ExtractMetered(ctx, pipeline.TypeContract, contractContent())
			if err == nil || !c.check(err) {
				t.Errorf("error %v does not match", err)
			}
		})
	}
}

// TestOtherServerShapes: Ollama and llama.cpp answer in JSON mode without
// usage, sometimes inside a Markdown fence.
func TestOtherServerShapes(t *testing.T) {
	t.Parallel()
	content := "```json\n" + goodContract + "\n```"
	b, _ := llmtest.JSONString(content)
	ollama := `{"id":"chatcmpl-42","object":"chat.completion","created":1,"model":"llama3.1","system_fingerprint":"fp_ollama",
		"choices":[{"index":0,"message":{"role":"assistant","content":` + b + `},"finish_reason":"stop"}]}`
	f := llmtest.New(t, llmtest.Reply{Raw: ollama})
	e := newExtractor(f, llm.OpenAIConfig{JSONMode: true})
	got, run, err := e.ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	if err != nil || got.Contract.ContractNumber != "CM-2026-004512" || run.InputTokens != 0 {
		t.Fatalf("ollama shape: %+v %+v %v", got.Contract, run, err)
	}
	if rf := f.Request(0)["response_format"].(map[string]any); rf["type"] != "json_object" {
		t.Errorf("JSON mode sent response_format %v", rf)
	}
}

func TestTimesheetEntries(t *testing.T) {
	t.Parallel()
	f := llmtest.New(t, llmtest.Reply{Content: `{"contract_number": "CM-1", "worker_name": "Élodie Lefèvre", "client_name": "X",
		"period_start": "2026-03-02", "period_end": "2026-03-08", "entries": [{"date": "2026-03-02", "hours": 7.5}],
		"total_hours": 7.5, "possible_prompt_injection": false}`})
	got, _, err := newExtractor(f, llm.OpenAIConfig{}).ExtractMetered(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: "relevé"})
	if err != nil || len(got.Timesheet.Entries) != 1 || got.Timesheet.Entries[0].Hours != 7.5 {
		t.Fatalf("timesheet = %+v, %v", got.Timesheet, err)
	}
	if js := f.Request(0)["response_format"].(map[string]any)["json_schema"].(map[string]any); js["name"] != "timesheet" {
		t.Errorf("schema name %v", js["name"])
	}
}

type mapCache map[string]string

func (m mapCache) Get(_ context.Context, tenant, key string) (string, bool, error) {
	v, ok := m[tenant+"/"+key]
	return v, ok, nil
}

func (m mapCache) Put(_ context.Context, tenant, key, content string) error {
	m[tenant+"/"+key] = content
	return nil
}

func TestCacheNeverPaysTwice(t *testing.T) {
	t.Parallel()
	f := llmtest.New(t, llmtest.Reply{Content: goodContract}, llmtest.Reply{Content: goodContract})
	e := newExtractor(f, llm.OpenAIConfig{})
	cache := mapCache{}
	e.Cache = cache
	a := pipeline.WithTenant(context.Background(), "tenant-a")
	if _, run, err := e.ExtractMetered(a, pipeline.TypeContract, contractContent()); err != nil || run.CacheHit {
		t.Fatalf("first call: %+v %v", run, err)
	}
	got, run, err := e.ExtractMetered(a, pipeline.TypeContract, contractContent())
	if err != nil || !run.CacheHit || run.InputTokens != 0 || got.Contract.ContractNumber != "CM-2026-004512" {
		t.Fatalf("second call: %+v %+v %v", run, got.Contract, err)
	}
	if f.Count() != 1 {
		t.Errorf("%d calls for the same document, want 1", f.Count())
	}
	// Another tenant's identical document is its own question.
	if _, run, _ := e.ExtractMetered(pipeline.WithTenant(context.Background(), "tenant-b"), pipeline.TypeContract, contractContent()); run.CacheHit || f.Count() != 2 {
		t.Errorf("another tenant hit the cache (calls %d)", f.Count())
	}
	// A broken answer is never cached.
	if len(cache) != 2 {
		t.Errorf("%d cached answers, want 2", len(cache))
	}
}

// TestNoSecretInErrorsOrLogs: a provider refusing the key must not put the
// key in the error that is stored on the document, nor in the logs.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	var logs strings.Builder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	f := llmtest.New(t, llmtest.Reply{Status: 401}, llmtest.Reply{Status: 500})
	e := newExtractor(f, llm.OpenAIConfig{})
	for range 2 {
		_, _, err := e.ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
		if err == nil || strings.Contains(err.Error(), llmtest.Key) {
			t.Errorf("error %v holds the key or is missing", err)
		}
	}
	if strings.Contains(logs.String(), llmtest.Key) {
		t.Errorf("the key is in the logs: %s", logs.String())
	}
}

func TestVisionSendsPageImages(t *testing.T) {
	t.Parallel()
	scan := contractContent()
	scan.Format = "scan"
	scan.Images = []pipeline.PageImage{
		{Page: 1, MediaType: "image/png", Data: []byte("page-one")},
		{Page: 2, MediaType: "image/png", Data: make([]byte, 64)},
		{Page: 3, MediaType: "image/png", Data: []byte("page-three")},
	}
	for _, c := range []struct {
		mode     llm.Vision
		images   int
		withText bool
	}{{llm.VisionOff, 0, true}, {llm.VisionBeside, 2, true}, {llm.VisionInstead, 2, false}} {
		f := llmtest.New(t, llmtest.Reply{Content: goodContract})
		e := newExtractor(f, llm.OpenAIConfig{})
		e.Vision, e.MaxImageBytes = c.mode, 32 // page 2 is over the budget
		if _, _, err := e.ExtractMetered(context.Background(), pipeline.TypeContract, scan); err != nil {
			t.Fatal(err)
		}
		msgs := llmtest.Messages(f.Request(0))
		last := msgs[len(msgs)-1]
		var texts []string
		var images []string
		switch content := last["content"].(type) {
		case string:
			texts = append(texts, content)
		case []any:
			for _, p := range content {
				part := p.(map[string]any)
				switch part["type"] {
				case "text":
					texts = append(texts, part["text"].(string))
				case "image_url":
					images = append(images, part["image_url"].(map[string]any)["url"].(string))
				}
			}
		}
		hasText := len(texts) == 1 && strings.Contains(texts[0], "Villeurbanne")
		if len(images) != c.images || hasText != c.withText {
			t.Errorf("vision %q: %d images, OCR text sent %v", c.mode, len(images), hasText)
		}
		for _, u := range images {
			if !strings.HasPrefix(u, "data:image/png;base64,") {
				t.Errorf("image URL %q", u[:min(len(u), 30)])
			}
		}
	}
}

func TestLongDocumentsAreReadInParts(t *testing.T) {
	t.Parallel()
	page := func(n int) string { return strings.Repeat(fmt.Sprintf("ligne du relevé, page %d\n", n), 30) }
	text := page(1) + "\f" + page(2)
	f := llmtest.New(t,
		llmtest.Reply{Content: `{"contract_number": "CM-9", "worker_name": "Ana Roy", "client_name": null, "period_start": "2026-03-02",
			"period_end": null, "entries": [{"date": "2026-03-02", "hours": 7.5}, {"date": "2026-03-03", "hours": 7.5}],
			"total_hours": null, "possible_prompt_injection": false}`},
		llmtest.Reply{Content: `{"contract_number": null, "worker_name": null, "client_name": "Client SA", "period_start": null,
			"period_end": "2026-03-08", "entries": [{"date": "2026-03-03", "hours": 7.5}, {"date": "2026-03-04", "hours": 7.5}],
			"total_hours": 22.5, "possible_prompt_injection": false}`})
	e := newExtractor(f, llm.OpenAIConfig{})
	e.MaxChars = len([]rune(page(1))) + 10
	got, run, err := e.ExtractMetered(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	ts := got.Timesheet
	if f.Count() != 2 || len(ts.Entries) != 3 || *ts.TotalHours != 22.5 || ts.ContractNumber != "CM-9" || ts.ClientName != "Client SA" || ts.PeriodEnd == nil {
		t.Errorf("%d calls, merged %+v", f.Count(), ts)
	}
	if run.InputTokens != 2*812 {
		t.Errorf("tokens of both parts: %d", run.InputTokens)
	}
	second := llmtest.Messages(f.Request(1))
	if !strings.Contains(second[len(second)-1]["content"].(string), "page 2") || strings.Contains(second[len(second)-1]["content"].(string), "page 1") {
		t.Error("the second call does not hold the second part only")
	}
}
