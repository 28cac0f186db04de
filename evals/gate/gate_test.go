package gate

import (
	"strings"
	"testing"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/evals/report"
	"github.com/docflow/docflow/evals/score"
)

func acc(c, n int) score.Accuracy {
	return score.Accuracy{Correct: c, Total: n, Rate: float64(c) / float64(n)}
}

func codeStats(tp, fp, fn int) score.CodeStats {
	c := score.CodeStats{TruePositives: tp, FalsePositives: fp, FalseNegatives: fn, Precision: 1, Recall: 1}
	if tp+fp > 0 {
		c.Precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		c.Recall = float64(tp) / float64(tp+fn)
	}
	return c
}

// baseline returns a report: hourly_rate 64/67, entries 70/74, two rule
// codes, refusals 8/8, classification 140/143, $0.0100 a document.
func baseline() *report.Report {
	m := &score.Metrics{
		Fields:  acc(134, 141),
		ByField: map[string]score.Accuracy{"contract.hourly_rate": acc(64, 67), "timesheet.entries": acc(70, 74)},
		Rules: score.Rules{CodeStats: codeStats(9, 0, 1), ByCode: map[string]score.CodeStats{
			"timesheet.total_mismatch":    codeStats(6, 0, 0),
			"contract.rate_below_minimum": codeStats(3, 0, 1),
		}},
		Refusals:       score.Refusals{Accuracy: acc(8, 8)},
		Classification: score.Classification{Accuracy: acc(140, 143)},
		Cost:           score.Cost{Documents: 100, CostUSD: score.Stat{Mean: 0.01, Total: 1}},
		Missing:        []string{},
	}
	return report.New(report.Run{Dataset: "corpus/dev"}, m)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(m *score.Metrics)
		t      Thresholds
		failed bool
		// want lists a level and a piece of its message, per finding.
		want [][2]string
	}{
		{"same", func(*score.Metrics) {}, DefaultThresholds(), false, nil},
		{"noise within tolerance", func(m *score.Metrics) {
			m.ByField["contract.hourly_rate"] = acc(63, 67) // −1.49 pts
			m.Fields = acc(133, 141)
		}, DefaultThresholds(), false, nil},
		{"planted field regression", func(m *score.Metrics) {
			m.ByField["contract.hourly_rate"] = acc(61, 67) // −4.48 pts
			m.Fields = acc(131, 141)
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "field accuracy: 95.04% (134/141) → 92.91% (131/141), -2.13 pts (tolerance 2.00 pts)"},
			{"regression", "field contract.hourly_rate: 95.52% (64/67) → 91.04% (61/67), -4.48 pts"},
		}},
		{"improvement", func(m *score.Metrics) {
			m.ByField["timesheet.entries"] = acc(74, 74)
			m.Rules.ByCode["contract.rate_below_minimum"] = codeStats(4, 0, 0)
		}, DefaultThresholds(), false, [][2]string{
			{"improvement", "field timesheet.entries: 94.59% (70/74) → 100.00% (74/74), +5.41 pts"},
			{"improvement", "rule contract.rate_below_minimum recall: 75.00% (3/4) → 100.00% (4/4), +25.00 pts (tolerance 2.00 pts); small sample: one item is 25.0 pts"},
		}},
		{"rule recall drop", func(m *score.Metrics) {
			m.Rules.ByCode["timesheet.total_mismatch"] = codeStats(5, 0, 1)
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "rule timesheet.total_mismatch recall: 100.00% (6/6) → 83.33% (5/6)"},
		}},
		{"small count is a warning with MinCount", func(m *score.Metrics) {
			m.Rules.ByCode["timesheet.total_mismatch"] = codeStats(5, 0, 1)
		}, Thresholds{Field: 0.02, Recall: 0.02, MinCount: 10}, false, [][2]string{
			{"warning", "fewer than 10 items, so not failing"},
		}},
		{"precision drop", func(m *score.Metrics) {
			m.Rules.CodeStats = codeStats(9, 2, 1)
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "rule precision: 100.00% (9/9) → 81.82% (9/11)"},
		}},
		{"refusal drop", func(m *score.Metrics) {
			m.Refusals.Accuracy = acc(7, 8)
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "refusals: 100.00% (8/8) → 87.50% (7/8)"},
		}},
		{"classification drop", func(m *score.Metrics) {
			m.Classification.Accuracy = acc(130, 143)
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "classification: 97.90% (140/143) → 90.91% (130/143)"},
		}},
		{"cost rise beyond 10%", func(m *score.Metrics) {
			m.Cost.CostUSD.Mean = 0.0115
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "cost per document: $0.0100 → $0.0115, +15.0% (allowed +10%)"},
		}},
		{"cost rise within 10%", func(m *score.Metrics) {
			m.Cost.CostUSD.Mean = 0.0105
		}, DefaultThresholds(), false, nil},
		{"cost fall", func(m *score.Metrics) {
			m.Cost.CostUSD.Mean = 0.005
		}, DefaultThresholds(), false, [][2]string{
			{"improvement", "cost per document: $0.0100 → $0.0050, -50.0%"},
		}},
		{"field missing in current", func(m *score.Metrics) {
			delete(m.ByField, "timesheet.entries")
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "field timesheet.entries: the baseline had expected values and the current report has none"},
		}},
		{"code no longer expected", func(m *score.Metrics) {
			m.Rules.ByCode["contract.rate_below_minimum"] = codeStats(0, 1, 0)
		}, DefaultThresholds(), true, [][2]string{
			{"regression", "rule contract.rate_below_minimum recall: the baseline had expected codes"},
		}},
		{"new field in current", func(m *score.Metrics) {
			m.ByField["contract.reason"] = acc(60, 67)
		}, DefaultThresholds(), false, [][2]string{
			{"note", "field contract.reason: new in the current report"},
		}},
		{"checks turned off", func(m *score.Metrics) {
			m.ByField["contract.hourly_rate"] = acc(10, 67)
			m.Cost.CostUSD.Mean = 1
		}, Thresholds{Field: -1, Recall: -1, Precision: -1, Refusal: -1, Classification: -1, CostShare: -1}, false, nil},
		{"more missing results", func(m *score.Metrics) {
			m.Missing = []string{"contracts/c-0001.pdf"}
		}, DefaultThresholds(), false, [][2]string{
			{"warning", "missing results: 1 documents had no result (baseline 0), e.g. contracts/c-0001.pdf"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cur := baseline()
			tt.change(cur.Metrics)
			fs := Check(baseline(), cur, tt.t)
			if Failed(fs) != tt.failed {
				t.Errorf("Failed = %v, want %v", Failed(fs), tt.failed)
			}
			if len(fs) != len(tt.want) {
				t.Errorf("%d findings, want %d", len(fs), len(tt.want))
			}
			for i, w := range tt.want {
				if i < len(fs) && (string(fs[i].Level) != w[0] || !strings.Contains(fs[i].Message, w[1])) {
					t.Errorf("finding %d: %s %q, want %s containing %q", i, fs[i].Level, fs[i].Message, w[0], w[1])
				}
			}
			if t.Failed() {
				for _, f := range fs {
					t.Logf("%s: %s", f.Level, f.Message)
				}
			}
		})
	}
}

func TestCheckNotesRunDifferences(t *testing.T) {
	t.Parallel()
	cur := baseline()
	cur.Run.Dataset, cur.Run.IgnoreCrossDocument = "corpus/heldout", true
	fs := Check(baseline(), cur, DefaultThresholds())
	if len(fs) != 2 || fs[0].Level != Note || fs[1].Level != Note || Failed(fs) {
		t.Errorf("findings %+v, want two notes", fs)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	cur := baseline()
	cur.Metrics.Refusals.Accuracy = acc(7, 8)
	cur.Metrics.Cost.CostUSD.Mean = 0.005
	var b strings.Builder
	if err := Render(&b, Check(baseline(), cur, DefaultThresholds())); err != nil {
		t.Fatal(err)
	}
	want := "REGRESSION  refusals: 100.00% (8/8) → 87.50% (7/8), -12.50 pts (tolerance 2.00 pts); small sample: one item is 12.5 pts\n" +
		"IMPROVEMENT cost per document: $0.0100 → $0.0050, -50.0% (allowed +10%)\n" +
		"gate FAILED: 1 regressions, 0 warnings, 1 improvements, 0 notes\n"
	if b.String() != want {
		t.Errorf("Render wrote\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := Render(&b, nil); err != nil || b.String() != "gate passed: 0 regressions, 0 warnings, 0 improvements, 0 notes\n" {
		t.Errorf("Render(nil) wrote %q, %v", b.String(), err)
	}
}

func TestCheckReadBack(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := baseline().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	base, err := report.Read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if fs := Check(base, baseline(), DefaultThresholds()); len(fs) != 0 {
		t.Errorf("a report read back differs from itself: %+v", fs)
	}
}

// A baseline on clean documents (no code expected, none fired: precision
// 0/0, which counts as 100%) must not let a change that starts firing false
// error codes on every document pass: rule precision drops from 100% to 0%.
func TestCheckFailsOnPrecisionDropFromEmptyBaseline(t *testing.T) {
	t.Parallel()
	var lines []dataset.Line
	var clean, noisy []score.Result
	for _, f := range []string{"contracts/a.txt", "contracts/b.txt", "contracts/c.txt"} {
		lines = append(lines, dataset.Line{File: f, DocumentType: "contract", Fields: map[string]any{"worker_name": "Ana"}})
		clean = append(clean, score.Result{File: f, DocumentType: "contract", Fields: map[string]any{"worker_name": "Ana"}, Issues: []score.Issue{}})
		noisy = append(noisy, score.Result{File: f, DocumentType: "contract", Fields: map[string]any{"worker_name": "Ana"},
			Issues: []score.Issue{{Code: "contract.rate_below_minimum", Severity: "error"}}})
	}
	base := report.New(report.Run{Dataset: "d"}, score.Score(lines, clean, score.Options{}))
	cur := report.New(report.Run{Dataset: "d"}, score.Score(lines, noisy, score.Options{}))
	if p := cur.Metrics.Rules.Precision; p != 0 {
		t.Fatalf("current precision = %v, want 0", p)
	}
	fs := Check(base, cur, DefaultThresholds())
	want := "rule precision: 100.00% (0/0) → 0.00% (0/3), -100.00 pts (tolerance 2.00 pts)"
	if !Failed(fs) || len(fs) == 0 || fs[0].Level != Regression || !strings.HasPrefix(fs[0].Message, want) {
		t.Errorf("findings %+v, want first a regression %q", fs, want)
	}
	// The other way, from noisy to clean (current 0/0), is no drop.
	if fs := Check(cur, base, DefaultThresholds()); Failed(fs) {
		t.Errorf("precision 0/3 → 0/0 failed the gate: %+v", fs)
	}
}
