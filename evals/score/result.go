// Package score compares extraction results with a dataset's ground truth
// using the spec's comparison rules (shared/spec/documents.md, "How values
// compare") and computes the harness's metrics.
package score

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Issue is a validation finding as a result carries it.
type Issue struct {
	Code string `json:"code"`
	// Severity is "error", "warning", …; only "error" counts against rule
	// precision. Decoded from JSON, an issue without a severity gets
	// "error", as score-extract reads it; a severity of "" or null stays
	// "" and is no error there either.
	Severity string `json:"severity"`
}

// UnmarshalJSON reads an issue, a missing severity as "error".
func (i *Issue) UnmarshalJSON(b []byte) error {
	var raw struct {
		Code     string          `json:"code"`
		Severity json.RawMessage `json:"severity"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*i = Issue{Code: raw.Code}
	switch {
	case raw.Severity == nil:
		i.Severity = "error"
	case string(raw.Severity) == "null":
	default:
		if err := json.Unmarshal(raw.Severity, &i.Severity); err != nil {
			return fmt.Errorf("issue %q: severity: %w", raw.Code, err)
		}
	}
	return nil
}

// Result is what one dataset document (or one part of an email) gave: the
// shape of a `docflow extract --json` line, plus what it cost. The harness
// runner produces these; Score reads them.
type Result struct {
	// File is the document's path relative to the dataset (for an email's
	// attachment: the email's file).
	File string `json:"file,omitempty"`
	// Name names an email's attachment, or "(body)".
	Name         string             `json:"name,omitempty"`
	DocumentType string             `json:"document_type,omitempty"`
	Format       string             `json:"format,omitempty"`
	Fields       map[string]any     `json:"fields,omitempty"`
	Confidence   map[string]float64 `json:"confidence,omitempty"`
	// Issues is nil for a document that was not analysed (refused, error).
	Issues      []Issue  `json:"issues,omitempty"`
	Attachments []Result `json:"attachments,omitempty"`
	Refusal     string   `json:"refusal,omitempty"`
	Error       string   `json:"error,omitempty"`

	// Cost of the document (an email: the sum over its parts).
	InputTokens    int     `json:"input_tokens,omitempty"`
	OutputTokens   int     `json:"output_tokens,omitempty"`
	CostUSD        float64 `json:"cost_usd,omitempty"`
	LatencySeconds float64 `json:"latency_seconds"`
	LLMCalls       int     `json:"llm_calls,omitempty"`
	CacheHits      int     `json:"cache_hits,omitempty"`
}

// ReadResults reads results as `docflow extract --json` prints them, one
// JSON object a line. Lines that do not start with "{" (log output) are
// skipped, as score-extract skips them; a line that starts with "{" but is
// not a valid result is an error, where score-extract would skip it too,
// since a truncated run should not score quietly. Numbers in fields are kept
// as json.Number, so that a string field that got 35.0 compares as
// score-extract compares it.
func ReadResults(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var res struct {
			Result
			// ElapsedSeconds is what `docflow extract --json` calls the
			// latency.
			ElapsedSeconds float64 `json:"elapsed_seconds"`
		}
		if err := dec.Decode(&res); err != nil {
			return nil, fmt.Errorf("results line %d: %w", n, err)
		}
		if res.LatencySeconds == 0 {
			res.LatencySeconds = res.ElapsedSeconds
		}
		out = append(out, res.Result)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	return out, nil
}
