package llm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/pipeline"
)

// Two scans of the same printed form (identical OCR text: the handwritten
// values are only in the images) read with vision never share a cached
// answer; the same scan again does, and so does nothing sent in another
// vision mode.
func TestCacheKeyHoldsThePageImagesSent(t *testing.T) {
	t.Parallel()
	other := strings.Replace(goodContract, `"hourly_rate": 13.45`, `"hourly_rate": 21.00`, 1)
	f := llmtest.New(t, llmtest.Reply{Content: goodContract}, llmtest.Reply{Content: other}, llmtest.Reply{Content: goodContract})
	e := newExtractor(f, llm.OpenAIConfig{})
	e.Cache, e.Vision = mapCache{}, llm.VisionInstead
	ctx := pipeline.WithTenant(context.Background(), "tenant-a")
	form := "CONTRAT DE MISSION\nTaux horaire : ........\nIntérimaire : ........"
	scan := func(data string) pipeline.Content {
		return pipeline.Content{Text: form, Format: "scan", Images: []pipeline.PageImage{{Page: 1, MediaType: "image/png", Data: []byte(data)}}}
	}
	if _, _, err := e.ExtractMetered(ctx, pipeline.TypeContract, scan("worker-one-handwriting")); err != nil {
		t.Fatal(err)
	}
	got, run, err := e.ExtractMetered(ctx, pipeline.TypeContract, scan("worker-two-handwriting"))
	if err != nil {
		t.Fatal(err)
	}
	if run.CacheHit || f.Count() != 2 || *got.Contract.HourlyRate != 21 {
		t.Errorf("second scan (other page image) answered from the cache: cache hit %v, %d provider calls, hourly_rate %v",
			run.CacheHit, f.Count(), *got.Contract.HourlyRate)
	}
	got, run, err = e.ExtractMetered(ctx, pipeline.TypeContract, scan("worker-two-handwriting"))
	if err != nil || !run.CacheHit || f.Count() != 2 || *got.Contract.HourlyRate != 21 {
		t.Errorf("the same scan again: cache hit %v, %d provider calls, err %v", run.CacheHit, f.Count(), err)
	}
	// Text only, the images are not sent: another question than with them.
	e.Vision = llm.VisionOff
	if _, run, err := e.ExtractMetered(ctx, pipeline.TypeContract, scan("worker-two-handwriting")); err != nil || run.CacheHit || f.Count() != 3 {
		t.Errorf("text-only reading answered from a vision answer: cache hit %v, %d provider calls, err %v", run.CacheHit, f.Count(), err)
	}
}

// The model is asked to flag a document that talks to it
// (possible_prompt_injection); a flagged answer comes back with every
// field under review (llm.Flagged), its Source saying why, from the
// provider and from the cache alike.
func TestFlaggedInjectionLowersEveryField(t *testing.T) {
	t.Parallel()
	flaggedAnswer := strings.Replace(goodContract, `"possible_prompt_injection": false`, `"possible_prompt_injection": true`, 1)
	f := llmtest.New(t, llmtest.Reply{Content: flaggedAnswer})
	e := newExtractor(f, llm.OpenAIConfig{})
	e.Cache = mapCache{}
	ctx := pipeline.WithTenant(context.Background(), "tenant-a")
	for _, from := range []string{"provider", "cache"} {
		got, run, err := e.ExtractMetered(ctx, pipeline.TypeContract, contractContent())
		if err != nil {
			t.Fatal(err)
		}
		if run.CacheHit != (from == "cache") {
			t.Fatalf("%s: cache hit %v", from, run.CacheHit)
		}
		if len(got.Confidence) != len(pipeline.ContractFields) {
			t.Errorf("%s: %d fields, want %d", from, len(got.Confidence), len(pipeline.ContractFields))
		}
		for k, c := range got.Confidence {
			if c != llm.Flagged || !strings.Contains(got.Sources[k].Text, llm.InjectionNote) {
				t.Errorf("%s: flagged answer's %s at confidence %v, source %q", from, k, c, got.Sources[k].Text)
			}
		}
	}
	// An answer not flagged is not lowered.
	f2 := llmtest.New(t, llmtest.Reply{Content: goodContract})
	got, _, err := newExtractor(f2, llm.OpenAIConfig{}).ExtractMetered(context.Background(), pipeline.TypeContract, contractContent())
	if err != nil || got.Confidence["hourly_rate"] != llm.Confidence || got.Sources["hourly_rate"].Text != "" {
		t.Errorf("unflagged answer: confidence %v, source %q, err %v", got.Confidence["hourly_rate"], got.Sources["hourly_rate"].Text, err)
	}
}
