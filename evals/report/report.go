// Package report writes the outcome of an evaluation run — score.Metrics
// plus what was run — as versioned JSON (read back by the baseline gate),
// as Markdown for a pull request, and as a self-contained HTML page; and it
// compares two reports side by side.
//
// # JSON schema docflow.eval.report/v1
//
// One object; maps encode with sorted keys, rates are fractions in [0, 1]
// (1 when nothing was counted), money in USD, times in seconds:
//
//	{
//	  "schema": "docflow.eval.report/v1",
//	  "run": {
//	    "dataset": "corpus/dev", "config": "default", "extractor": "llm",
//	    "model": "…", "prompts": {"contract": "v3"}, "date": "RFC 3339",
//	    "commit": "git commit, if given", "ignore_cross_document": false
//	  },
//	  "metrics": {
//	    "lines": 147,
//	    "fields": {"correct": 1383, "total": 1389, "rate": 0.9957},
//	    "by_field":    {"contract.hourly_rate": {"correct", "total", "rate"}},
//	    "by_type":     {"contract": {…}},      "by_format":   {"pdf": {…}},
//	    "by_layout":   {"contract-layout-1": {…}}, "by_language": {"fr": {…}},
//	    "by_tag":      {"violation": {…}},
//	    "rules": {"tp", "fp", "fn", "precision", "recall",
//	              "by_code": {"timesheet.total_mismatch": {"tp", "fp", "fn", "precision", "recall"}},
//	              "mistakes": [{"file", "name", "code", "kind": "missed|unexpected"}]},
//	    "refusals": {"correct", "total", "rate",
//	                 "wrong": [{"file", "name", "want", "got"}]},
//	    "classification": {"correct", "total", "rate", "by_type": {…},
//	                       "confusion": {"contract": {"timesheet": 1}}},
//	    "calibration": {"scored", "unscored", "ece",
//	                    "bands": [{"min", "fields", "wrong", "error_rate"}],
//	                    "bins":  [{"low", "high", "fields", "correct", "mean_confidence", "accuracy"}]},
//	    "cost": {"documents", "llm_calls", "cache_hits",
//	             "input_tokens": {"total", "mean", "p50", "p95", "max"},
//	             "output_tokens": {…}, "cost_usd": {…}, "latency_seconds": {…},
//	             "per_document": [{"file", "input_tokens", "output_tokens", "cost_usd", "latency_seconds"}]},
//	    "wrong_fields": [{"file", "name", "document_type", "field", "expected", "got", "confidence"}],
//	    "missing": ["file"], "unused": ["file"]
//	  }
//	}
//
// The field meanings are those of score.Metrics. A later version that
// changes the meaning of a field gets a new schema name; adding fields
// does not.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docflow/docflow/evals/score"
)

// Schema names the JSON layout of a Report.
const Schema = "docflow.eval.report/v1"

// ErrSchema is returned by Read for JSON that is not a report of Schema.
var ErrSchema = errors.New("not a " + Schema + " report")

// Report is one evaluation run: what was run, and what it scored.
type Report struct {
	Schema  string         `json:"schema"`
	Run     Run            `json:"run"`
	Metrics *score.Metrics `json:"metrics"`
}

// Run describes an evaluation run.
type Run struct {
	// Dataset names the dataset, such as its folder.
	Dataset string `json:"dataset"`
	// Config names the configuration that was evaluated.
	Config    string `json:"config,omitempty"`
	Extractor string `json:"extractor,omitempty"`
	Model     string `json:"model,omitempty"`
	// Prompts maps a prompt's name to its version.
	Prompts map[string]string `json:"prompts,omitempty"`
	Date    time.Time         `json:"date"`
	// Commit is docflow's git commit, if known.
	Commit              string `json:"commit,omitempty"`
	IgnoreCrossDocument bool   `json:"ignore_cross_document"`
}

// New returns the report of a run that scored m.
func New(run Run, m *score.Metrics) *Report {
	return &Report{Schema: Schema, Run: run, Metrics: m}
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	return writeJSON(w, r)
}

// Read reads a report written by WriteJSON.
func Read(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("reading report: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("schema %q: %w", r.Schema, ErrSchema)
	}
	if r.Metrics == nil {
		return nil, fmt.Errorf("no metrics: %w", ErrSchema)
	}
	return &r, nil
}

// ReadFile reads the report in the file at path.
func ReadFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// writeJSON writes v indented, without escaping <, > and &.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
