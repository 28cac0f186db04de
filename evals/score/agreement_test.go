package score

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docflow/docflow/evals/dataset"
)

// Agreement with score-extract (shared/tools/score-extract), the reference
// scorer. testdata/agreement holds a small dataset, results that exercise
// its rules (path matching, duplicates, e-mails, alt_refusal tags, nulls,
// string, identifier, date, decimal and entries comparison, severities),
// and score-extract's --json output on them, made with:
//
//	cd evals/score/testdata/agreement
//	score-extract . results.jsonl --json | python3 -m json.tool --indent 1 > score-extract.json
//	score-extract . results.jsonl --json --ignore-cross-document | python3 -m json.tool --indent 1 > score-extract-ignore-cross-document.json
//
// To check any other dataset and results against the live script, set
// SCORE_EXTRACT to the script and SCORE_DATASET and SCORE_RESULTS to the
// dataset folder and the results file, then run
//
//	GOWORK=off go test ./evals/score -run Agreement -v
func TestAgreementWithScoreExtract(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "agreement")
	tests := []struct {
		golden string
		opts   Options
	}{
		{"score-extract.json", Options{DatasetDir: dir}},
		{"score-extract-ignore-cross-document.json", Options{DatasetDir: dir, IgnoreCrossDocument: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(filepath.Join(dir, tt.golden))
			if err != nil {
				t.Fatal(err)
			}
			checkAgreement(t, dir, filepath.Join(dir, "results.jsonl"), tt.opts, want)
		})
	}
}

func TestAgreementWithLiveScoreExtract(t *testing.T) {
	t.Parallel()
	script, ds, res := os.Getenv("SCORE_EXTRACT"), os.Getenv("SCORE_DATASET"), os.Getenv("SCORE_RESULTS")
	if script == "" || ds == "" || res == "" {
		t.Skip("set SCORE_EXTRACT, SCORE_DATASET and SCORE_RESULTS to compare with the live script")
	}
	for _, ignore := range []bool{false, true} {
		args := []string{script, ds, res, "--json"}
		if ignore {
			args = append(args, "--ignore-cross-document")
		}
		out, err := exec.Command("python3", args...).Output()
		if err != nil {
			t.Fatalf("score-extract: %v", err)
		}
		t.Run("ignore-cross-document="+strconv.FormatBool(ignore), func(t *testing.T) {
			m := checkAgreement(t, ds, res, Options{DatasetDir: ds, IgnoreCrossDocument: ignore}, out)
			t.Logf("field accuracy %d/%d, rules tp %d fp %d fn %d, refusals %d/%d, classification %d/%d",
				m.Fields.Correct, m.Fields.Total, m.Rules.TruePositives, m.Rules.FalsePositives, m.Rules.FalseNegatives,
				m.Refusals.Correct, m.Refusals.Total, m.Classification.Correct, m.Classification.Total)
			for _, c := range sortedKeys(m.Rules.ByCode) {
				cs := m.Rules.ByCode[c]
				t.Logf("  %-36s tp %2d fp %2d fn %2d precision %.4f recall %.4f", c, cs.TruePositives, cs.FalsePositives, cs.FalseNegatives, cs.Precision, cs.Recall)
			}
		})
	}
}

// checkAgreement scores the results in resultsPath against the dataset in
// dir and compares the outcome with score-extract's JSON output.
func checkAgreement(t *testing.T, dir, resultsPath string, opts Options, scoreExtractJSON []byte) *Metrics {
	t.Helper()
	lines, err := dataset.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(resultsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	results, err := ReadResults(f)
	if err != nil {
		t.Fatal(err)
	}
	m := Score(lines, results, opts)

	var want map[string]any
	if err := json.Unmarshal(scoreExtractJSON, &want); err != nil {
		t.Fatal(err)
	}
	// worst_fields holds only the 12 most missed fields: compare those.
	misses := map[string]any{}
	for k := range want["worst_fields"].(map[string]any) {
		misses[k] = float64(m.missesOf(k))
	}
	got := scoreExtractView(m)
	got["worst_fields"] = misses
	if diff := cmp.Diff(want, roundTrip(t, got)); diff != "" {
		t.Errorf("disagrees with score-extract (-score-extract +score):\n%s", diff)
	}
	return m
}

// missesOf counts the wrong fields of a "type.field" key.
func (m *Metrics) missesOf(key string) int {
	n := 0
	for _, w := range m.WrongFields {
		if w.DocumentType+"."+w.Field == key {
			n++
		}
	}
	return n
}

// scoreExtractView puts m in the shape of score-extract's --json output.
func scoreExtractView(m *Metrics) map[string]any {
	byGroup, groupFields, groupCorrect := map[string]any{}, map[string]any{}, map[string]any{}
	for prefix, g := range map[string]map[string]Accuracy{"type:": m.ByType, "format:": m.ByFormat, "layout:": m.ByLayout} {
		for k, a := range g {
			byGroup[prefix+k] = pyPct(a.Correct, a.Total)
			groupFields[prefix+k] = a.Total
			groupCorrect[prefix+k] = a.Correct
		}
	}
	missed, falseErrors := map[string]any{}, map[string]any{}
	for c, cs := range m.Rules.ByCode {
		if cs.FalseNegatives > 0 {
			missed[c] = cs.FalseNegatives
		}
		if cs.FalsePositives > 0 {
			falseErrors[c] = cs.FalsePositives
		}
	}
	wrong := []any{}
	for _, w := range m.Refusals.Wrong {
		f := w.File
		if w.Name != "" {
			f += "#" + w.Name
		}
		var got any
		if w.Got != "" {
			got = w.Got
		}
		wrong = append(wrong, []any{f, w.Want, got})
	}
	missing := []any{}
	for _, f := range m.Missing {
		missing = append(missing, f)
	}
	r := m.Rules
	return map[string]any{
		"field_accuracy":    pyPct(m.Fields.Correct, m.Fields.Total),
		"fields":            m.Fields.Total,
		"by_group":          byGroup,
		"group_fields":      groupFields,
		"group_correct":     groupCorrect,
		"type_accuracy":     pyPct(m.Classification.Correct, m.Classification.Total),
		"rule_recall":       pyPct(r.TruePositives, r.TruePositives+r.FalseNegatives),
		"rule_precision":    pyPct(r.TruePositives, r.TruePositives+r.FalsePositives),
		"missed_rules":      missed,
		"false_error_rules": falseErrors,
		"refusal_accuracy":  pyPct(m.Refusals.Correct, m.Refusals.Total),
		"refusals":          m.Refusals.Total,
		"wrong_refusals":    wrong,
		"missing_results":   missing,
	}
}

// pyPct is score-extract's round(100.0*a/b, 2), 100 when b is 0.
func pyPct(a, b int) float64 {
	if b == 0 {
		return 100
	}
	s := strconv.FormatFloat(100.0*float64(a)/float64(b), 'f', 2, 64)
	f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f
}

// roundTrip gives v the types that decoding JSON gives.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Figures score-extract gives on the same inputs (captured by hand from
// `score-extract DIR results.jsonl --json`; not run here):
//
//	rule_precision 100.0, false_error_rules {}, by_group format:? = 2 fields,
//	refusal_accuracy 0.0 (1 refusal).
//
// An issue whose severity is "" or null is no error there (only a missing
// severity is), a line without a format tag is under format:? whatever
// its file's extension, and an attachment's own alt_refusal tags are not
// read (only the e-mail's).
func TestAgreesWithScoreExtractOnEdgeInputs(t *testing.T) {
	t.Parallel()
	lines := []dataset.Line{
		{File: "contracts/a.pdf", DocumentType: "contract", Fields: map[string]any{"worker_name": "Ana"}, Tags: []string{"fr"}},
		{File: "contracts/b.docx", DocumentType: "contract", Fields: map[string]any{"worker_name": "Bo"}},
		{File: "inbox/e.eml", DocumentType: "email", Attachments: []dataset.Line{
			{Name: "x.pdf", DocumentType: "refused", Refusal: "corrupt_file", Tags: []string{"alt_refusal:unsupported_format"}}}},
	}
	results, err := ReadResults(strings.NewReader(`{"file": "contracts/a.pdf", "document_type": "contract", "fields": {"worker_name": "Ana"}, "issues": [{"code": "contract.x", "severity": ""}]}
{"file": "contracts/b.docx", "document_type": "contract", "fields": {"worker_name": "Bo"}, "issues": [{"code": "contract.y", "severity": null}]}
{"file": "inbox/e.eml", "document_type": "email", "attachments": [{"name": "x.pdf", "refusal": "unsupported_format"}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := Score(lines, results, Options{})
	if m.Rules.FalsePositives != 0 || m.Rules.Precision != 1 {
		t.Errorf("rule precision %.2f with %d false positives; score-extract: 100%% with none (an issue whose severity is \"\" or null is not an error there)",
			m.Rules.Precision, m.Rules.FalsePositives)
	}
	if a := m.ByFormat["?"]; a.Total != 2 {
		t.Errorf("by_format = %+v; score-extract puts both untagged lines under format:?", m.ByFormat)
	}
	if m.Refusals.Correct != 0 {
		t.Errorf("refusals %d/%d right; score-extract: 0/1 (an attachment's own alt_refusal tags are not read)", m.Refusals.Correct, m.Refusals.Total)
	}
}

// An issue without a severity reads as "error", as score-extract's
// i.get("severity", "error"); "" and null stay "", which is no error.
func TestReadResultsSeverity(t *testing.T) {
	t.Parallel()
	results, err := ReadResults(strings.NewReader(`{"file": "a.pdf", "issues": [{"code": "m"}, {"code": "e", "severity": ""}, {"code": "n", "severity": null}, {"code": "w", "severity": "warning"}, {"code": "x", "severity": "error"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Issue{{"m", "error"}, {"e", ""}, {"n", ""}, {"w", "warning"}, {"x", "error"}}
	if len(results) != 1 || !slices.Equal(results[0].Issues, want) {
		t.Fatalf("issues %+v, want %+v", results, want)
	}
	m := Score([]dataset.Line{{File: "a.pdf", DocumentType: "contract"}}, results, Options{})
	if m.Rules.FalsePositives != 2 || m.Rules.ByCode["m"].FalsePositives != 1 || m.Rules.ByCode["x"].FalsePositives != 1 {
		t.Errorf("false positives %d (%+v), want m and x only", m.Rules.FalsePositives, m.Rules.ByCode)
	}
	if _, err := ReadResults(strings.NewReader(`{"file": "a.pdf", "issues": [{"code": "m", "severity": 2}]}`)); err == nil {
		t.Error("a severity that is not a string was read without an error")
	}
}
