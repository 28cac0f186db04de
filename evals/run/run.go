// Package run runs an evaluation dataset through the pipeline's own
// in-process stages (pipeline.Analyzer: read, classify, extract,
// validate), documents in parallel, and returns one score.Result per
// manifest line, in manifest order. Cross-document rules see the
// contracts committed by the lines before a document only, as if the
// dataset were ingested in manifest order.
package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/docflow/docflow/evals/cassette"
	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/evals/score"
	"github.com/docflow/docflow/pipeline"
)

// Runner runs datasets through an Analyzer.
type Runner struct {
	// Analyzer is the configuration under evaluation, wired by the caller
	// as the pipeline wires it (a model's backend wrapped in a
	// cassette.Backend to record or replay its answers).
	Analyzer pipeline.Analyzer
	// Parallelism is how many manifest lines are analysed at once
	// (default GOMAXPROCS).
	Parallelism int
	// Progress, when set, shows a progress bar: redrawn in place on a
	// terminal, one line per tenth of the dataset otherwise.
	Progress io.Writer
	// Rules are the validator's thresholds as a tenant sets them
	// (pipeline.TenantSettings.Rules); empty keeps the defaults.
	Rules json.RawMessage
}

// Run reads the dataset in dir and runs every line of its manifest.
func (r *Runner) Run(ctx context.Context, dir string) ([]score.Result, error) {
	lines, err := dataset.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	return r.RunLines(ctx, dir, lines)
}

// RunLines runs lines, whose files are relative to dir, and returns their
// results in the same order. A document that fails gets a Result with its
// Error; RunLines still returns every result, and an error only when ctx
// ends or when answers could not be replayed (cassette.ErrMissing): a
// stale or missing cassette must stop a comparison rather than count as
// the model's mistake.
func (r *Runner) RunLines(ctx context.Context, dir string, lines []dataset.Line) ([]score.Result, error) {
	results := make([]score.Result, len(lines))
	errs := make([][]error, len(lines))
	led := newLedger(len(lines))
	bar := newProgress(r.Progress, len(lines))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range r.workers() {
		wg.Go(func() {
			for i := range jobs {
				results[i], errs[i] = r.runLine(ctx, dir, i, lines[i], led)
				bar.add(failed(results[i]))
			}
		})
	}
	// Lines are handed out in manifest order, so that every line a
	// document waits for has started: the waits cannot deadlock.
dispatch:
	for i := range lines {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(jobs)
	wg.Wait()
	bar.finish()
	if err := ctx.Err(); err != nil {
		return results, fmt.Errorf("run: %w", err)
	}
	return results, replayError(errs)
}

func (r *Runner) workers() int {
	if r.Parallelism > 0 {
		return r.Parallelism
	}
	return runtime.GOMAXPROCS(0)
}

// runLine analyses one manifest line and records what it committed.
func (r *Runner) runLine(ctx context.Context, dir string, i int, l dataset.Line, led *ledger) (score.Result, []error) {
	v := &view{ledger: led, line: i}
	defer func() { led.finish(i, v.own) }()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(l.File)))
	if err != nil {
		return score.Result{File: l.File, Error: err.Error()}, []error{err}
	}
	res, errs := r.analyze(ctx, l.File, data, v)
	res.File = l.File
	return res, errs
}

// failed reports whether a document (or a part of it) failed other than
// by a refusal.
func failed(r score.Result) bool {
	if r.Error != "" && r.Refusal == "" {
		return true
	}
	for _, a := range r.Attachments {
		if failed(a) {
			return true
		}
	}
	return false
}

// replayError reports the documents whose model answers could not be
// replayed, wrapping the first such error.
func replayError(errs [][]error) error {
	var first error
	n, total := 0, 0
	for _, es := range errs {
		total++
		for _, err := range es {
			if errors.Is(err, cassette.ErrMissing) {
				if first == nil {
					first = err
				}
				n++
				break
			}
		}
	}
	if first == nil {
		return nil
	}
	return fmt.Errorf("run: %d of %d documents could not be replayed from the cassettes; the first: %w", n, total, first)
}
