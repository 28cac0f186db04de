package run_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/evals/cassette"
	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/evals/run"
	"github.com/docflow/docflow/evals/score"
	"github.com/docflow/docflow/extractors/classify"
	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/llm/llmtest"
	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/pipeline/validate"
)

// slowReader holds back the files whose name contains "slow", so that the
// documents after them finish first.
type slowReader struct{ pipeline.Reader }

func (r slowReader) Read(ctx context.Context, name string, data []byte) (pipeline.Content, error) {
	if strings.Contains(name, "slow") {
		time.Sleep(50 * time.Millisecond)
	}
	return r.Reader.Read(ctx, name, data)
}

func rulesAnalyzer() pipeline.Analyzer {
	return pipeline.Analyzer{Reader: slowReader{reader.New(reader.Config{})}, Classifier: classify.New(),
		Extractor: rules.New(), Validator: validate.New(validate.DefaultConfig())}
}

// doc is a file of a test dataset.
type doc struct {
	line dataset.Line
	data []byte
}

func contract(file, number string) doc {
	return doc{dataset.Line{File: file, DocumentType: "contract"}, []byte(testdocs.Contract(testdocs.ValidContract(number)))}
}

func timesheet(file, number string) doc {
	return doc{dataset.Line{File: file, DocumentType: "timesheet"}, []byte(testdocs.Timesheet(testdocs.ValidTimesheet(number)))}
}

// email carries parts as attachments, in order.
func email(file string, parts ...doc) doc {
	var b strings.Builder
	b.WriteString("From: agence@example.org\r\nTo: rh@example.com\r\nSubject: Documents\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici les documents.\r\n")
	for _, p := range parts {
		fmt.Fprintf(&b, "--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=\"%s\"\r\n\r\n%s\r\n", p.line.File, p.data)
	}
	b.WriteString("--B--\r\n")
	return doc{dataset.Line{File: file, DocumentType: "email"}, []byte(b.String())}
}

func write(t *testing.T, docs ...doc) (string, []dataset.Line) {
	t.Helper()
	dir := t.TempDir()
	w, err := dataset.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lines []dataset.Line
	for _, d := range docs {
		if err := w.Add(d.line, d.data); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, d.line)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, lines
}

func codes(r score.Result) []string {
	out := []string{}
	for _, i := range r.Issues {
		out = append(out, i.Code)
	}
	return out
}

func TestCrossDocumentRulesSeeEarlierContractsOnly(t *testing.T) {
	t.Parallel()
	bad := testdocs.ValidContract("CM-2026-000300")
	bad.HourlyRate = testdocs.Num(9.5)
	dir, _ := write(t,
		timesheet("t-before.txt", "CM-2026-000100"),
		contract("c-slow.txt", "CM-2026-000100"),
		timesheet("t-after.txt", "CM-2026-000100"),
		timesheet("t-spaced.txt", "CM 2026 000100"),
		doc{dataset.Line{File: "c-held.txt", DocumentType: "contract"}, []byte(testdocs.Contract(bad))},
		timesheet("t-held.txt", "CM-2026-000300"),
		email("e-both.eml", contract("contrat.txt", "CM-2026-000200"), timesheet("releve.txt", "CM-2026-000200")),
		email("e-reversed.eml", timesheet("releve.txt", "CM-2026-000400"), contract("contrat.txt", "CM-2026-000400")),
		doc{dataset.Line{File: "empty.txt", DocumentType: "refused"}, []byte("  \n")},
	)
	for _, parallelism := range []int{1, 4, 16} {
		t.Run(fmt.Sprint(parallelism), func(t *testing.T) {
			t.Parallel()
			r := &run.Runner{Analyzer: rulesAnalyzer(), Parallelism: parallelism}
			got, err := r.Run(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			unknown := []string{"timesheet.unknown_contract"}
			tests := []struct {
				file, name string
				codes      []string
			}{
				{"t-before.txt", "", unknown},
				{"c-slow.txt", "", nil},
				{"t-after.txt", "", nil},
				{"t-spaced.txt", "", nil},
				{"c-held.txt", "", []string{"contract.rate_below_minimum"}},
				{"t-held.txt", "", unknown},
				{"e-both.eml", "contrat.txt", nil},
				{"e-both.eml", "releve.txt", nil},
				{"e-reversed.eml", "releve.txt", unknown},
				{"e-reversed.eml", "contrat.txt", nil},
			}
			for _, tt := range tests {
				i := slices.IndexFunc(got, func(r score.Result) bool { return r.File == tt.file })
				res := got[i]
				if tt.name != "" {
					res = got[i].Attachments[slices.IndexFunc(got[i].Attachments, func(r score.Result) bool { return r.Name == tt.name })]
				}
				if c := codes(res); !slices.Equal(c, append([]string{}, tt.codes...)) || res.Issues == nil {
					t.Errorf("%s %s: issues %v, want %v", tt.file, tt.name, c, tt.codes)
				}
			}
		})
	}
}

func TestResultsInManifestOrder(t *testing.T) {
	t.Parallel()
	var docs []doc
	for i := range 12 {
		n := fmt.Sprintf("CM-2026-%06d", i)
		file := fmt.Sprintf("c-%02d.txt", i)
		if i%3 == 0 {
			file = fmt.Sprintf("c-%02d-slow.txt", i)
		}
		docs = append(docs, contract(file, n), timesheet(fmt.Sprintf("t-%02d.txt", i), n))
	}
	docs = append(docs, doc{dataset.Line{File: "empty.pdf", DocumentType: "refused"}, nil})
	dir, lines := write(t, docs...)
	var progress bytes.Buffer
	r := &run.Runner{Analyzer: rulesAnalyzer(), Parallelism: 8, Progress: &progress}
	got, err := r.RunLines(context.Background(), dir, append(lines, dataset.Line{File: "gone.pdf", DocumentType: "contract"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(lines)+1 {
		t.Fatalf("%d results for %d lines", len(got), len(lines)+1)
	}
	for i, l := range lines {
		if got[i].File != l.File {
			t.Fatalf("result %d is for %s, want %s", i, got[i].File, l.File)
		}
	}
	for _, r := range got[:24] {
		if r.Error != "" || len(r.Issues) != 0 || r.Fields["contract_number"] == nil || r.LatencySeconds <= 0 || r.Format != "txt" {
			t.Errorf("%s: %+v", r.File, r)
		}
	}
	if r := got[24]; r.Refusal != "empty_document" || r.DocumentType != "" || r.Issues != nil {
		t.Errorf("empty file: %+v", r)
	}
	if r := got[25]; r.Error == "" || r.Refusal != "" {
		t.Errorf("missing file: %+v", r)
	}
	out := progress.String()
	if n := strings.Count(out, "\n"); n < 1 || n > 10 || strings.Contains(out, "\r") ||
		!strings.Contains(out, "26/26 documents  1 failed") {
		t.Errorf("progress:\n%s", out)
	}
}

const timesheetAnswer = `{"contract_number": "CM-2026-000100", "worker_name": "Élodie Lefèvre", "client_name": "Boulangeries Martin SAS",
	"period_start": "2026-03-02", "period_end": "2026-03-08", "total_hours": 37.5, "possible_prompt_injection": false,
	"entries": [{"date": "2026-03-02", "hours": 7.5}, {"date": "2026-03-03", "hours": 7.5}, {"date": "2026-03-04", "hours": 7.5},
	{"date": "2026-03-05", "hours": 7.5}, {"date": "2026-03-06", "hours": 7.5}]}`

func modelAnalyzer(b llm.Backend) pipeline.Analyzer {
	a := rulesAnalyzer()
	a.Extractor = &crosscheck.Extractor{Rules: rules.New(), Mode: crosscheck.Always,
		LLM: &llm.Extractor{Backend: b, Model: "test-model", InputPrice: 2, OutputPrice: 8}}
	return a
}

func TestCassettesRecordThenReplay(t *testing.T) {
	t.Parallel()
	dir, _ := write(t, timesheet("t-1.txt", "CM-2026-000100"),
		email("e-1.eml", timesheet("releve-a.txt", "CM-2026-000100"), timesheet("releve-b.txt", "CM-2026-000101")))
	tapes := t.TempDir()
	var recorded []score.Result
	t.Run("record", func(t *testing.T) {
		f := llmtest.New(t)
		f.Always(llmtest.Reply{Content: timesheetAnswer})
		b, err := cassette.New(tapes, cassette.Record, llm.NewOpenAI(llm.OpenAIConfig{BaseURL: f.URL(), APIKey: llmtest.Key}))
		if err != nil {
			t.Fatal(err)
		}
		recorded, err = (&run.Runner{Analyzer: modelAnalyzer(b), Parallelism: 2}).Run(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
	})
	b, err := cassette.New(tapes, cassette.Replay, nil)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := (&run.Runner{Analyzer: modelAnalyzer(b), Parallelism: 2}).Run(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range replayed {
		want := recorded[i]
		if r.InputTokens != want.InputTokens || r.OutputTokens != want.OutputTokens || r.CostUSD != want.CostUSD || r.LLMCalls != want.LLMCalls {
			t.Errorf("%s: replayed cost %+v, recorded %+v", r.File, r, want)
		}
		if r.LatencySeconds <= 0 || r.Error != "" {
			t.Errorf("%s: %+v", r.File, r)
		}
	}
	if r := replayed[1]; r.InputTokens != 2*812 || r.LLMCalls != 2 || len(r.Attachments) != 2 || r.Attachments[0].LLMCalls != 1 {
		t.Errorf("the email's cost is not the sum of its parts': %+v", r)
	}

	empty, err := cassette.New(t.TempDir(), cassette.Replay, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&run.Runner{Analyzer: modelAnalyzer(empty)}).Run(context.Background(), dir)
	if !errors.Is(err, cassette.ErrMissing) || !strings.Contains(err.Error(), "2 of 2 documents could not be replayed") {
		t.Fatalf("err = %v; want the missing cassettes reported", err)
	}
	if len(got) != 2 || !strings.Contains(got[0].Error, "no cassette for prompt extract_timesheet.v1") {
		t.Errorf("results %+v", got)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	dir, _ := write(t, contract("c-slow.txt", "CM-1"), timesheet("t.txt", "CM-1"), contract("c2-slow.txt", "CM-2"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&run.Runner{Analyzer: rulesAnalyzer(), Parallelism: 1}).Run(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
