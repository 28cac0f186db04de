package api_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

type noopArgs struct{}

func (noopArgs) Kind() string { return "bench_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// BenchmarkThroughput measures documents from upload to committed on the
// auto-commit path (small text PDFs, and the same contracts as plain text
// to show the cost of the pdftotext process), 4 workers, and in the same
// run River's throughput for no-op jobs on the same databases, and reports
// both and their ratio (design goal: at least 0.5 documents per no-op job).
func BenchmarkThroughput(b *testing.B) {
	b.Run("pdf", func(b *testing.B) { benchThroughput(b, "pdf", func(t string) []byte { return testdocs.PDF(t) }) })
	b.Run("txt", func(b *testing.B) { benchThroughput(b, "txt", func(t string) []byte { return []byte(t) }) })
}

func benchThroughput(b *testing.B, ext string, render func(string) []byte) {
	e := setup(b, envOptions{noWorkers: true})
	tn := e.tenant("Bench")
	p := pipeline.Principal{KeyID: "bench", TenantID: tn.id, Role: pipeline.RoleUploader}
	docs := make([][]byte, b.N)
	for i := range docs {
		docs[i] = render(testdocs.Contract(testdocs.ValidContract(fmt.Sprintf("CM-BENCH-%06d", i))))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()

	start := time.Now()
	if err := e.river.Start(ctx); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, data := range docs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, _, err := e.svc.Upload(ctx, p, fmt.Sprintf("c-%d.%s", i, ext), bytes.NewReader(data)); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	waitCount(b, e, "SELECT count(*) FROM documents WHERE status IN ('committed', 'in_review', 'failed', 'refused')", b.N)
	pipelineElapsed := time.Since(start)
	if n := e.count("SELECT count(*) FROM documents WHERE status = 'committed'"); n != b.N {
		b.Fatalf("%d of %d documents committed", n, b.N)
	}
	stopCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	_ = e.river.Stop(stopCtx)

	// River alone: the same number of no-op jobs, same pool, same workers.
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	noop, err := river.NewClient(riverpgxv5.New(e.pool), &river.Config{Workers: workers,
		Queues: map[string]river.QueueConfig{"noop": {MaxWorkers: 4}}, FetchPollInterval: 100 * time.Millisecond,
		FetchCooldown: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	params := make([]river.InsertManyParams, b.N)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{}, InsertOpts: &river.InsertOpts{Queue: "noop"}}
	}
	start = time.Now()
	if err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		_, err := noop.InsertManyTx(ctx, tx, params)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if err := noop.Start(ctx); err != nil {
		b.Fatal(err)
	}
	waitCount(b, e, "SELECT count(*) FROM river_job WHERE kind = 'bench_noop' AND state = 'completed'", b.N)
	noopElapsed := time.Since(start)
	_ = noop.Stop(stopCtx)
	b.StopTimer()

	docsPerSec := float64(b.N) / pipelineElapsed.Seconds()
	noopPerSec := float64(b.N) / noopElapsed.Seconds()
	b.ReportMetric(docsPerSec, "docs/s")
	b.ReportMetric(noopPerSec, "noop-jobs/s")
	b.ReportMetric(docsPerSec/noopPerSec, "docs/noop-job")
	b.ReportMetric(float64(e.count("SELECT count(*) FROM river_job WHERE kind <> 'bench_noop'"))/float64(b.N), "jobs/doc")
}

// BenchmarkLLMThroughput measures documents through the pipeline when a
// model answers after a fixed latency (100 ms, the fake provider), with 4
// workers: the ceiling is 4 / 0.1 s = 40 documents a second.
func BenchmarkLLMThroughput(b *testing.B) {
	p := llmtest.New(b)
	p.Always(llmtest.Reply{Delay: 100 * time.Millisecond, Content: modelTruth})
	e := setup(b, envOptions{noWorkers: true, extractor: &crosscheck.Extractor{Rules: rules.New(), Mode: crosscheck.Always,
		LLM: &llm.Extractor{Backend: llm.NewOpenAI(llm.OpenAIConfig{BaseURL: p.URL(), APIKey: llmtest.Key}), Model: "m"}}})
	tn := e.tenant("Bench LLM")
	pr := pipeline.Principal{KeyID: "bench", TenantID: tn.id, Role: pipeline.RoleUploader}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range b.N {
		text := testdocs.Contract(testdocs.ValidContract(fmt.Sprintf("CM-LLM-%06d", i)))
		if _, _, err := e.svc.Upload(ctx, pr, fmt.Sprintf("c-%d.txt", i), bytes.NewReader([]byte(text))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	if err := e.river.Start(ctx); err != nil {
		b.Fatal(err)
	}
	waitCount(b, e, "SELECT count(*) FROM documents WHERE status IN ('committed', 'in_review', 'failed')", b.N)
	elapsed := time.Since(start)
	b.StopTimer()
	stopCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	_ = e.river.Stop(stopCtx)
	docsPerSec := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(docsPerSec, "docs/s")
	b.ReportMetric(docsPerSec/40, "of-ceiling")
	b.ReportMetric(float64(e.count("SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM extraction_runs"))/float64(b.N), "tokens/doc")
	b.ReportMetric(float64(e.count("SELECT count(*) FROM extraction_runs WHERE cache_hit"))/float64(b.N), "cache-hits/doc")
}

func waitCount(b *testing.B, e *env, query string, want int) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if e.count(query) >= want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("timed out waiting for %d rows of %q", want, query)
}
