// Package cassette records a model's answers into files and replays them,
// so that evaluations with a model run offline and give the same result
// every time. A Backend wraps an llm.Backend: in Record mode it asks the
// real provider and writes each answer, with its token counts and
// latency, as one JSON file named by its Key (prompt hash, schema hash,
// model, document hash); in Replay mode it never calls the provider and a
// request without a recorded answer is an error that says whether the
// cassettes are missing or stale (the same document and model recorded
// with another prompt).
package cassette

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/docflow/docflow/extractors/llm"
)

// Mode says where answers come from.
type Mode string

// Modes of a Backend.
const (
	// Replay answers from the cassettes only; the provider is never called.
	Replay Mode = "replay"
	// Record asks the provider every time and writes (or overwrites) the
	// answer.
	Record Mode = "record"
	// RecordMissing replays the answers recorded and asks the provider
	// (and records) for the others, stale ones included.
	RecordMissing Mode = "record-missing"
)

// Backend is an llm.Backend that records and replays answers. It is safe
// for concurrent use.
type Backend struct {
	dir  string
	mode Mode
	next llm.Backend

	mu      sync.Mutex
	entries map[string]Entry // by file name
	used    map[string]bool  // file names replayed or recorded
}

var _ llm.Backend = (*Backend)(nil)

// New opens the cassettes in dir (created when recording) in mode. next
// is the real provider; Replay never calls it and accepts nil.
func New(dir string, mode Mode, next llm.Backend) (*Backend, error) {
	switch mode {
	case Replay:
	case Record, RecordMissing:
		if next == nil {
			return nil, fmt.Errorf("cassette: mode %s needs a backend to record from", mode)
		}
	default:
		return nil, fmt.Errorf("cassette: unknown mode %q (want replay, record or record-missing)", mode)
	}
	entries, err := readEntries(dir)
	if err != nil {
		return nil, err
	}
	b := &Backend{dir: dir, mode: mode, next: next, entries: map[string]Entry{}, used: map[string]bool{}}
	for _, e := range entries {
		b.entries[e.fileName()] = e
	}
	return b, nil
}

// Name names the real provider, or in Replay without one the provider
// the answers were recorded from, so that extractor names do not change.
func (b *Backend) Name() string {
	if b.next != nil {
		return b.next.Name()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	names := make([]string, 0, len(b.entries))
	for n, e := range b.entries {
		if e.Backend != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "cassette"
	}
	return b.entries[slices.Min(names)].Backend
}

// Complete replays or records the answer to req, as the mode says, and
// counts the call on the context's Meter.
func (b *Backend) Complete(ctx context.Context, req llm.Request) (llm.Response, error) {
	k := KeyOf(req)
	if b.mode != Record {
		e, err := b.lookup(k)
		if err == nil {
			meterOf(ctx).add(true, time.Duration(e.LatencyMS)*time.Millisecond, 0)
			return e.Response(), nil
		}
		if b.mode == Replay {
			return llm.Response{}, err
		}
	}
	start := time.Now()
	resp, err := b.next.Complete(ctx, req)
	took := time.Since(start)
	meterOf(ctx).add(false, took, took)
	if err != nil {
		return resp, err
	}
	e := Entry{Key: k, Backend: b.next.Name(), Schema: req.SchemaName, Document: excerpt(req), Content: resp.Content,
		InputTokens: resp.InputTokens, OutputTokens: resp.OutputTokens, LatencyMS: took.Milliseconds()}
	if err := writeEntry(b.dir, e); err != nil {
		return resp, fmt.Errorf("recording the answer: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.entries[k.fileName()] = e
	b.used[k.fileName()] = true
	return resp, nil
}

// lookup returns the entry of k, or a *MissingError.
func (b *Backend) lookup(k Key) (Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	name := k.fileName()
	if e, ok := b.entries[name]; ok && e.Key == k {
		b.used[name] = true
		return e, nil
	}
	miss := &MissingError{Key: k, Dir: b.dir}
	for _, e := range b.entries {
		if e.Model != k.Model || e.DocumentHash != k.DocumentHash {
			continue
		}
		if miss.Recorded == nil || e.PromptHash != k.PromptHash {
			r := e.Key
			miss.Recorded = &r
		}
	}
	return Entry{}, miss
}

// Prune deletes the cassettes that this Backend neither replayed nor
// recorded, and returns their file names. Call it only after a run over
// the whole dataset (typically after Record), or it deletes the answers
// of the documents left out.
func (b *Backend) Prune() ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for name := range b.entries {
		if b.used[name] {
			continue
		}
		if err := os.Remove(filepath.Join(b.dir, name)); err != nil && !os.IsNotExist(err) {
			return out, fmt.Errorf("cassette: %w", err)
		}
		delete(b.entries, name)
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}
