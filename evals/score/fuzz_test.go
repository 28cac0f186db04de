package score

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/docflow/docflow/evals/dataset"
)

// FuzzReadResults checks the reading of extraction results (`docflow
// extract --json` lines, perhaps from another tool) and their scoring
// against the project's dataset: whatever the results say, the metrics
// count no more right answers than questions, keep rates within 0..1 and
// can be written as JSON (no NaN or infinity reaches the report).
func FuzzReadResults(f *testing.F) {
	lines, err := dataset.Read(filepath.Join("..", "testdata", "dataset"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"file":"contracts/c-01.pdf","document_type":"contract","format":"pdf","fields":{"contract_number":"CM-2026-0101","hourly_rate":13.45,"weekly_hours":"35","start_date":"2026-03-02"},"confidence":{"hourly_rate":0.9},"issues":[{"code":"contract.missing_field","severity":"error"}],"input_tokens":1200,"cost_usd":0.002,"elapsed_seconds":1.5}` + "\n" +
		`log line to skip` + "\n" +
		`{"file":"timesheets/t-01.pdf","document_type":"timesheet","fields":{"entries":[{"date":"2026-03-02","hours":7.5},{"date":"x","hours":"7,5"}],"total_hours":37.5},"confidence":{"entries":1.7,"total_hours":-1}}` + "\n" +
		`{"file":"inbox/e-01.eml","document_type":"email","attachments":[{"name":"(body)","document_type":"other"}],"latency_seconds":1e308}` + "\n" +
		`{"file":"bad/empty.pdf","refusal":"empty_document","error":"x"}`))
	f.Add([]byte(`{"file":"/abs/dataset/contracts/c-02.pdf","fields":{"hourly_rate":1e400}}`))
	f.Add([]byte(`{"fields":{"entries":null},"confidence":{"a":NaN}}`))
	f.Add([]byte(`{"file":"contracts/c-01.pdf","document_type":"contract","fields":{"hourly_rate":13.450000000000001,"start_date":null}}` + "\n" + `{"file":"contracts/c-01.pdf","cost_usd":-5}`))
	if b, err := os.ReadFile(filepath.Join("..", "baseline", "rules.json")); err == nil && len(b) < 1<<16 {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		results, err := ReadResults(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(results) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d results from %d lines", len(results), bytes.Count(data, []byte("\n"))+1)
		}
		m := Score(lines, results, Options{})
		if m.Lines != len(lines) {
			t.Fatalf("scored %d lines of %d", m.Lines, len(lines))
		}
		check := func(name string, a Accuracy) {
			if a.Correct < 0 || a.Correct > a.Total || !(a.Rate >= 0 && a.Rate <= 1) {
				t.Fatalf("%s: %+v", name, a)
			}
		}
		check("fields", m.Fields)
		for _, by := range []map[string]Accuracy{m.ByField, m.ByType, m.ByFormat, m.ByLayout, m.ByLanguage, m.ByTag} {
			for k, a := range by {
				check(k, a)
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("metrics cannot be written: %v", err)
		}
		if math.IsNaN(m.Fields.Rate) {
			t.Fatal("NaN rate")
		}
	})
}
