package score

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/docflow/docflow/evals/dataset"
)

// fixture is a small dataset with results whose metrics are worked out by
// hand in the tests below.
func fixture() ([]dataset.Line, []Result) {
	entries := []any{
		map[string]any{"date": "2026-03-02", "hours": 7.5},
		map[string]any{"date": "2026-03-03", "hours": 8.0},
	}
	lines := []dataset.Line{
		{File: "contracts/c1.pdf", DocumentType: "contract", Tags: []string{"pdf", "fr", "contract-layout-1"},
			Fields:         map[string]any{"contract_number": "CM-1", "hourly_rate": 13.45, "agency_siret": "73282932000074"},
			ExpectedIssues: []string{"contract.invalid_siret"}},
		{File: "timesheets/t1.xlsx", DocumentType: "timesheet", Tags: []string{"xlsx", "en"},
			Fields:         map[string]any{"entries": entries, "total_hours": 15.5},
			ExpectedIssues: []string{"timesheet.total_mismatch", "timesheet.unknown_contract"}},
		{File: "contracts/c2.docx", DocumentType: "contract", Tags: []string{"docx", "fr"},
			Fields:         map[string]any{"worker_name": "Ana"},
			ExpectedIssues: []string{"contract.dates_inverted"}},
		{File: "bad/r1.pdf", DocumentType: "refused", Refusal: "unsupported_media_type", Tags: []string{"pdf", "alt_refusal:corrupt_document"}},
		{File: "bad/r2.pdf", DocumentType: "refused", Refusal: "encrypted_document", Tags: []string{"pdf"}},
		{File: "inbox/e1.eml", DocumentType: "email", Tags: []string{"eml", "fr"}, Attachments: []dataset.Line{
			{Name: "(body)", DocumentType: "timesheet", Fields: map[string]any{"worker_name": "Élodie"}},
			{Name: "f.pdf", DocumentType: "other"},
			{Name: "z.pdf", DocumentType: "refused", Refusal: "too_large"},
		}},
	}
	results := []Result{
		{File: "contracts/c1.pdf", DocumentType: "contract",
			Fields:     map[string]any{"contract_number": "cm 1", "hourly_rate": 13.46, "agency_siret": "732 829 320 00074"},
			Confidence: map[string]float64{"contract_number": 0.95, "hourly_rate": 0.92, "agency_siret": 0.55},
			Issues: []Issue{
				{Code: "contract.invalid_siret", Severity: "error"},
				{Code: "contract.rate_below_minimum", Severity: "error"},
				{Code: "document.low_confidence", Severity: "warning"},
			},
			InputTokens: 1000, OutputTokens: 100, CostUSD: 0.01, LatencySeconds: 1, LLMCalls: 1},
		{File: "timesheets/t1.xlsx", DocumentType: "timesheet",
			Fields:      map[string]any{"entries": []any{entries[1], entries[0], entries[1]}, "total_hours": "15,5"},
			Confidence:  map[string]float64{"entries": 0.99, "total_hours": 0.6},
			Issues:      []Issue{{Code: "timesheet.total_mismatch", Severity: "warning"}},
			InputTokens: 2000, OutputTokens: 300, CostUSD: 0.03, LatencySeconds: 3, LLMCalls: 2, CacheHits: 1},
		{File: "bad/r1.pdf", Refusal: "corrupt_document", LatencySeconds: 0.5},
		{File: "bad/r2.pdf", Refusal: "corrupt_document", LatencySeconds: 0.2},
		{File: "inbox/e1.eml", DocumentType: "email", CostUSD: 0.02, LatencySeconds: 2, Attachments: []Result{
			{Name: "(body)", DocumentType: "timesheet", Fields: map[string]any{"worker_name": "ELODIE"}, Confidence: map[string]float64{"worker_name": 0.97}},
			{Name: "f.pdf", DocumentType: "contract"},
			{Name: "z.pdf", Refusal: "too_large"},
		}},
		{File: "x/unknown.pdf", DocumentType: "contract"},
	}
	return lines, results
}

var approx = cmp.Options{cmpopts.EquateApprox(0, 1e-9), cmpopts.EquateEmpty()}

func TestScoreFields(t *testing.T) {
	t.Parallel()
	lines, results := fixture()
	m := Score(lines, results, Options{})
	acc := func(c, n int) Accuracy { return Accuracy{Correct: c, Total: n, Rate: fraction(c, n, 1)} }
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"lines", m.Lines, 6},
		{"fields", m.Fields, acc(4, 7)},
		{"by field", m.ByField, map[string]Accuracy{
			"contract.contract_number": acc(1, 1), "contract.hourly_rate": acc(0, 1), "contract.agency_siret": acc(1, 1),
			"contract.worker_name": acc(0, 1), "timesheet.entries": acc(1, 1), "timesheet.total_hours": acc(1, 1),
			"timesheet.worker_name": acc(0, 1),
		}},
		{"by type", m.ByType, map[string]Accuracy{"contract": acc(2, 4), "timesheet": acc(2, 3)}},
		{"by format", m.ByFormat, map[string]Accuracy{"pdf": acc(2, 3), "xlsx": acc(2, 2), "docx": acc(0, 1), "eml": acc(0, 1)}},
		{"by layout", m.ByLayout, map[string]Accuracy{"contract-layout-1": acc(2, 3), "?": acc(2, 4)}},
		{"by language", m.ByLanguage, map[string]Accuracy{"fr": acc(2, 5), "en": acc(2, 2)}},
		{"by tag", m.ByTag, map[string]Accuracy{
			"pdf": acc(2, 3), "fr": acc(2, 5), "contract-layout-1": acc(2, 3), "xlsx": acc(2, 2), "en": acc(2, 2),
			"docx": acc(0, 1), "eml": acc(0, 1),
		}},
		{"missing", m.Missing, []string{"contracts/c2.docx"}},
		{"unused", m.Unused, []string{"x/unknown.pdf"}},
		{"wrong fields", m.WrongFields, []WrongField{
			{File: "contracts/c1.pdf", DocumentType: "contract", Field: "hourly_rate", Expected: 13.45, Got: 13.46, Confidence: ptr(0.92)},
			{File: "contracts/c2.docx", DocumentType: "contract", Field: "worker_name", Expected: "Ana"},
			{File: "inbox/e1.eml", Name: "(body)", DocumentType: "timesheet", Field: "worker_name", Expected: "Élodie", Got: "ELODIE", Confidence: ptr(0.97)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestScoreRules(t *testing.T) {
	t.Parallel()
	lines, results := fixture()
	stats := func(tp, fp, fn int) CodeStats {
		return CodeStats{TruePositives: tp, FalsePositives: fp, FalseNegatives: fn,
			Precision: fraction(tp, tp+fp, 1), Recall: fraction(tp, tp+fn, 1)}
	}
	tests := []struct {
		name string
		opts Options
		want Rules
	}{
		{"all codes", Options{}, Rules{
			CodeStats: stats(2, 1, 2),
			ByCode: map[string]CodeStats{
				"contract.invalid_siret":      stats(1, 0, 0),
				"contract.rate_below_minimum": stats(0, 1, 0),
				"contract.dates_inverted":     stats(0, 0, 1),
				"timesheet.total_mismatch":    stats(1, 0, 0),
				"timesheet.unknown_contract":  stats(0, 0, 1),
			},
			Mistakes: []RuleMistake{
				{File: "contracts/c1.pdf", Code: "contract.rate_below_minimum", Kind: Unexpected},
				{File: "timesheets/t1.xlsx", Code: "timesheet.unknown_contract", Kind: Missed},
				{File: "contracts/c2.docx", Code: "contract.dates_inverted", Kind: Missed},
			},
		}},
		{"ignore cross-document codes", Options{IgnoreCrossDocument: true}, Rules{
			CodeStats: stats(2, 1, 1),
			ByCode: map[string]CodeStats{
				"contract.invalid_siret":      stats(1, 0, 0),
				"contract.rate_below_minimum": stats(0, 1, 0),
				"contract.dates_inverted":     stats(0, 0, 1),
				"timesheet.total_mismatch":    stats(1, 0, 0),
			},
			Mistakes: []RuleMistake{
				{File: "contracts/c1.pdf", Code: "contract.rate_below_minimum", Kind: Unexpected},
				{File: "contracts/c2.docx", Code: "contract.dates_inverted", Kind: Missed},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Score(lines, results, tt.opts)
			if diff := cmp.Diff(tt.want, m.Rules, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestScoreRefusalsAndClassification(t *testing.T) {
	t.Parallel()
	lines, results := fixture()
	m := Score(lines, results, Options{})
	want := Refusals{
		Accuracy: Accuracy{Correct: 2, Total: 3, Rate: 2.0 / 3},
		Wrong:    []WrongRefusal{{File: "bad/r2.pdf", Want: "encrypted_document", Got: "corrupt_document"}},
	}
	if diff := cmp.Diff(want, m.Refusals, approx); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
	wantClass := Classification{
		Accuracy: Accuracy{Correct: 3, Total: 5, Rate: 0.6},
		ByType: map[string]Accuracy{
			"contract":  {Correct: 1, Total: 2, Rate: 0.5},
			"timesheet": {Correct: 2, Total: 2, Rate: 1},
			"other":     {Correct: 0, Total: 1, Rate: 0},
		},
		Confusion: map[string]map[string]int{
			"contract":  {"contract": 1, "none": 1},
			"timesheet": {"timesheet": 2},
			"other":     {"contract": 1},
		},
	}
	if diff := cmp.Diff(wantClass, m.Classification, approx); diff != "" {
		t.Errorf("classification (-want +got):\n%s", diff)
	}
}

func TestRefusalOfAttachments(t *testing.T) {
	t.Parallel()
	email := func(tags ...string) dataset.Line {
		return dataset.Line{File: "e.eml", DocumentType: "email", Tags: tags, Attachments: []dataset.Line{
			{Name: "a.pdf", DocumentType: "refused", Refusal: "unsupported_media_type"},
			{Name: "b.pdf", DocumentType: "refused", Refusal: "encrypted_document"},
			{Name: "c.pdf", DocumentType: "refused", Refusal: "too_large", Tags: []string{"alt_refusal:corrupt_document"}},
		}}
	}
	got := Result{File: "e.eml", DocumentType: "email", Attachments: []Result{
		{Name: "a.pdf", Refusal: "corrupt_document"},
		{Name: "b.pdf", Refusal: "corrupt_document"},
		{Name: "c.pdf", Refusal: "corrupt_document"},
	}}
	tests := []struct {
		name  string
		line  dataset.Line
		right int
	}{
		// c.pdf's own tag is not read, as in score-extract.
		{"no e-mail tag", email(), 0},
		// The e-mail's tag covers a.pdf and c.pdf but not the encrypted b.pdf.
		{"e-mail tag", email("alt_refusal:corrupt_document"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Score([]dataset.Line{tt.line}, []Result{got}, Options{})
			if m.Refusals.Correct != tt.right || m.Refusals.Total != 3 {
				t.Errorf("refusals %d/%d right, want %d/3", m.Refusals.Correct, m.Refusals.Total, tt.right)
			}
		})
	}
}

func TestScoreCalibration(t *testing.T) {
	t.Parallel()
	lines, results := fixture()
	m := Score(lines, results, Options{ConfidenceBands: []float64{0.5, 0.9, 0.99}, CalibrationBins: 4})
	want := Calibration{
		Scored:   6,
		Unscored: 1,
		Bands: []Band{
			{Min: 0.5, Fields: 6, Wrong: 2, ErrorRate: 1.0 / 3},
			{Min: 0.9, Fields: 4, Wrong: 2, ErrorRate: 0.5},
			{Min: 0.99, Fields: 1, Wrong: 0, ErrorRate: 0},
		},
		Bins: []Bin{
			{Low: 0, High: 0.25},
			{Low: 0.25, High: 0.5},
			{Low: 0.5, High: 0.75, Fields: 2, Correct: 2, MeanConfidence: 0.575, Accuracy: 1},
			{Low: 0.75, High: 1, Fields: 4, Correct: 2, MeanConfidence: 0.9575, Accuracy: 0.5},
		},
		ECE: 2.0/6*(1-0.575) + 4.0/6*(0.9575-0.5),
	}
	if diff := cmp.Diff(want, m.Calibration, approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if d := Score(lines, results, Options{}).Calibration; len(d.Bands) != len(DefaultConfidenceBands) || len(d.Bins) != DefaultCalibrationBins {
		t.Errorf("defaults: %d bands, %d bins", len(d.Bands), len(d.Bins))
	}
}

func TestScoreCost(t *testing.T) {
	t.Parallel()
	lines, results := fixture()
	c := Score(lines, results, Options{}).Cost
	c.PerDocument = nil
	want := Cost{
		Documents:      5,
		InputTokens:    Stat{Total: 3000, Mean: 600, P50: 0, P95: 2000, Max: 2000},
		OutputTokens:   Stat{Total: 400, Mean: 80, P50: 0, P95: 300, Max: 300},
		CostUSD:        Stat{Total: 0.06, Mean: 0.012, P50: 0.01, P95: 0.03, Max: 0.03},
		LatencySeconds: Stat{Total: 6.7, Mean: 1.34, P50: 1, P95: 3, Max: 3},
		LLMCalls:       3,
		CacheHits:      1,
	}
	if diff := cmp.Diff(want, c, approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, pct int
		want   float64
	}{
		{1, 50, 1}, {1, 95, 1}, {2, 50, 1}, {2, 95, 2}, {10, 50, 5}, {20, 95, 19}, {21, 95, 20}, {100, 95, 95},
	}
	for _, tt := range tests {
		xs := make([]float64, tt.n)
		for i := range xs {
			xs[i] = float64(i + 1)
		}
		if got := percentile(xs, tt.pct); got != tt.want {
			t.Errorf("p%d of 1..%d = %v, want %v", tt.pct, tt.n, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	results := []Result{
		{File: "/data/set/contracts/a.pdf", DocumentType: "first"},
		{File: "contracts/b.pdf", DocumentType: "old"},
		{File: "./contracts//b.pdf", DocumentType: "new"},
		{File: "/run/1/contracts/c.pdf", DocumentType: "run1"},
		{File: "/run/2/contracts/c.pdf", DocumentType: "run2"},
		{File: "/elsewhere/d.pdf", DocumentType: "elsewhere"},
		{File: "e.pdf", DocumentType: "e-stale"},
		{File: "e.pdf", DocumentType: "e1"},
		{File: "e.pdf", DocumentType: "e2"},
		{File: "f.pdf", DocumentType: "f-only"},
	}
	// In manifest order: e.pdf and f.pdf are listed twice.
	tests := []struct {
		name, file, want string
	}{
		{"absolute inside the dataset", "contracts/a.pdf", "first"},
		{"the last of duplicates", "contracts/b.pdf", "new"},
		{"the first of equal tails", "contracts/c.pdf", "run1"},
		{"by file name alone", "d.pdf", "elsewhere"},
		{"no result", "contracts/z.pdf", ""},
		{"a file listed twice, first line: the first of its last two results", "e.pdf", "e1"},
		{"a file listed twice, once more than it has results", "f.pdf", "f-only"},
		{"a file listed twice, second line: its last result", "./e.pdf", "e2"},
		{"a file listed twice, the left-over line: its last result", "f.pdf", "f-only"},
	}
	var lines []dataset.Line
	for _, tt := range tests {
		lines = append(lines, dataset.Line{File: tt.file})
	}
	m := newMatcher(lines, results, "/data/set")
	for _, tt := range tests {
		got := ""
		if r := m.find(tt.file); r != nil {
			got = r.DocumentType
		}
		if got != tt.want {
			t.Errorf("%s: find(%q) = %q, want %q", tt.name, tt.file, got, tt.want)
		}
	}
	if diff := cmp.Diff([]string{"contracts/b.pdf", "/run/2/contracts/c.pdf", "e.pdf"}, m.unused()); diff != "" {
		t.Errorf("unused (-want +got):\n%s", diff)
	}
}

func TestFormatOf(t *testing.T) {
	t.Parallel()
	// As score-extract: the first format tag, else "?"; neither the file's
	// extension nor an attachment's name counts.
	tests := []struct {
		line dataset.Line
		want string
	}{
		{dataset.Line{File: "a.pdf", Tags: []string{"fr", "scan", "pdf"}}, "scan"},
		{dataset.Line{File: "e.eml", Tags: []string{"eml"}}, "eml"},
		{dataset.Line{File: "t.CSV"}, "?"},
		{dataset.Line{File: "c.pdf", Tags: []string{"fr", "PDF"}}, "?"},
		{dataset.Line{File: "x.bin"}, "?"},
	}
	for _, tt := range tests {
		if got := formatOf(tt.line); got != tt.want {
			t.Errorf("formatOf(%v) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestReadResults(t *testing.T) {
	t.Parallel()
	in := "docflow: starting\n" +
		`{"file":"a.pdf","document_type":"contract","fields":{"weekly_hours":35.0},"issues":[{"code":"x","severity":"error","message":"m"}],"elapsed_seconds":1}` + "\n\n" +
		`  {"file":"b.pdf","refusal":"corrupt_document"}` + "\n"
	got, err := ReadResults(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Issues[0].Code != "x" || got[1].Refusal != "corrupt_document" {
		t.Fatalf("read %+v", got)
	}
	if n, ok := got[0].Fields["weekly_hours"].(json.Number); !ok || n != "35.0" {
		t.Errorf("weekly_hours read as %#v, want json.Number(\"35.0\")", got[0].Fields["weekly_hours"])
	}
	if _, err := ReadResults(strings.NewReader(`{"file": "a.pdf", "fields": `)); err == nil {
		t.Error("a truncated line read without error")
	}
}
