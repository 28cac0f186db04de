package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/evals/score"
)

// sample returns a report on a small dataset: 7 fields of which 3 right,
// rule recall 2/4 and precision 2/3, refusals 1/2, classification 2/3,
// and four wrong fields. better has every field right and costs more.
func sample(better bool) *Report {
	lines := []dataset.Line{
		{File: "contracts/c 1.pdf", DocumentType: "contract", Tags: []string{"pdf", "fr"},
			Fields:         map[string]any{"contract_number": "CM-1", "hourly_rate": 13.45, "worker_name": "Élodie"},
			ExpectedIssues: []string{"contract.invalid_siret", "contract.rate_below_minimum"}},
		{File: "timesheets/t1.csv", DocumentType: "timesheet", Tags: []string{"csv", "en"},
			Fields:         map[string]any{"total_hours": 35.0, "worker_name": "Ana Lima"},
			ExpectedIssues: []string{"timesheet.total_mismatch", "timesheet.unknown_contract"}},
		{File: "contracts/c2.pdf", DocumentType: "contract", Tags: []string{"pdf", "fr"},
			Fields: map[string]any{"start_date": "2026-03-02", "end_date": "2026-04-30"}},
		{File: "bad/r1.pdf", DocumentType: "refused", Refusal: "encrypted_document"},
		{File: "bad/r2.pdf", DocumentType: "refused", Refusal: "too_large"},
	}
	results := []score.Result{
		{File: "contracts/c 1.pdf", DocumentType: "contract",
			Fields:     map[string]any{"contract_number": "CM-1", "hourly_rate": 13.45, "worker_name": "Elodie"},
			Confidence: map[string]float64{"contract_number": 0.99, "hourly_rate": 0.9, "worker_name": 0.95},
			Issues: []score.Issue{{Code: "contract.invalid_siret", Severity: "error"},
				{Code: "contract.missing_field", Severity: "error"}},
			CostUSD: 0.01, LatencySeconds: 2, InputTokens: 1000, OutputTokens: 100, LLMCalls: 1},
		{File: "timesheets/t1.csv", DocumentType: "timesheet",
			Fields:  map[string]any{"total_hours": 35.0, "worker_name": "<script>alert(1)</script>Ana & Lima"},
			Issues:  []score.Issue{{Code: "timesheet.total_mismatch", Severity: "error"}},
			CostUSD: 0.02, LatencySeconds: 4, InputTokens: 2000, OutputTokens: 200, LLMCalls: 1},
		{File: "contracts/c2.pdf", DocumentType: "timesheet",
			Fields:  map[string]any{"start_date": "2026-03-03", "end_date": "2026-05-01"},
			CostUSD: 0.03, LatencySeconds: 6},
		{File: "bad/r1.pdf", Refusal: "encrypted_document"},
		{File: "bad/r2.pdf", Refusal: "corrupt_document"},
	}
	run := Run{Dataset: "testdata/tiny", Config: "default", Extractor: "llm", Model: "model-a",
		Prompts: map[string]string{"contract": "v3"}, Date: time.Date(2026, 3, 2, 9, 14, 0, 0, time.UTC), Commit: "abc1234"}
	if better {
		results[0].Fields["worker_name"] = "Élodie"
		results[1].Fields["worker_name"] = "Ana Lima"
		results[0].Issues = append(results[0].Issues, score.Issue{Code: "contract.rate_below_minimum", Severity: "error"})
		results[2].Fields, results[2].DocumentType = lines[2].Fields, "contract"
		for i := range results {
			results[i].CostUSD *= 2
		}
		run.Model = "model-b"
	}
	return New(run, score.Score(lines, results, score.Options{ConfidenceBands: []float64{0.9}, CalibrationBins: 2}))
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := sample(false)
	var first bytes.Buffer
	if err := r.WriteJSON(&first); err != nil {
		t.Fatal(err)
	}
	back, err := Read(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := back.WriteJSON(&second); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Errorf("JSON changed on a round trip:\n%s\n---\n%s", first.String(), second.String())
	}
	for _, want := range []string{
		`"schema": "docflow.eval.report/v1"`,
		`"date": "2026-03-02T09:14:00Z"`,
		`"got": "<script>alert(1)</script>Ana & Lima"`,
		`"by_field": {`,
		`"contract.worker_name": {`,
		`"wrong_fields": [`,
	} {
		if !strings.Contains(first.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	if back.Metrics.Fields != r.Metrics.Fields || back.Metrics.Rules.ByCode["contract.invalid_siret"] != r.Metrics.Rules.ByCode["contract.invalid_siret"] {
		t.Errorf("read back %+v, want %+v", back.Metrics.Fields, r.Metrics.Fields)
	}
}

func TestReadRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		schema   bool
	}{
		{"other schema", `{"schema": "docflow.eval.report/v2", "metrics": {}}`, true},
		{"no schema", `{"metrics": {}}`, true},
		{"no metrics", `{"schema": "docflow.eval.report/v1"}`, true},
		{"not JSON", `schema: v1`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(strings.NewReader(tt.in))
			if err == nil || errors.Is(err, ErrSchema) != tt.schema {
				t.Errorf("Read(%s) = %v, want an error (schema error: %v)", tt.in, err, tt.schema)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := sample(false).WriteMarkdown(&b, 2); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## Evaluation: testdata/tiny",
		"model `model-a` · prompt contract `v3` · commit `abc1234` · date `2026-03-02 09:14 UTC`",
		"| field accuracy | 42.86% (3/7) |",
		"| classification | 66.67% (2/3) |",
		"| rule recall | 50.00% (2/4) |",
		"| rule precision | 66.67% (2/3) |",
		"| refusals | 50.00% (1/2) |",
		"| contract.worker_name | 0.00% | 0 | 1 |",
		"| contract.hourly_rate | 100.00% | 1 | 1 |",
		"| `contract.missing_field` | 0 | 0 | 0 | 1 | n/a | 0.00% |",
		"| `timesheet.unknown_contract` | 1 | 0 | 1 | 0 | 0.00% | n/a |",
		"| bad/r2.pdf | `too_large` | `corrupt_document` |",
		"| expected \\ got | contract | timesheet |",
		"| contract | 1 | 1 |",
		"| 0.90 | 3 | 1 | 33.33% |",
		"| cost (USD) | 0.0600 | 0.0120 | 0.0100 | 0.0300 | 0.0300 |",
		"| latency (s) | 12.00 | 2.40 | 2.00 | 6.00 | 6.00 |",
		"### Wrong fields (4)",
		"| contracts/c 1.pdf | contract.worker_name | `\"Élodie\"` | `\"Elodie\"` | 0.95 |",
		"…and 2 more",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "2026-04-30") {
		t.Error("Markdown lists more wrong fields than asked")
	}
	if t.Failed() {
		t.Log(md)
	}
}
