// Package gate compares an evaluation report with a baseline and decides
// whether a change may go in: it fails on a drop in field accuracy, rule
// recall or precision, refusal or classification accuracy beyond a
// tolerance, or on a rise of the cost per document beyond a share.
package gate

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/docflow/docflow/evals/report"
	"github.com/docflow/docflow/evals/score"
)

// Thresholds say how much worse the current report may be than the
// baseline. Tolerances are absolute rates (0.02 is 2 percentage points); a
// negative one turns its check off.
type Thresholds struct {
	// Field applies to overall field accuracy and to each field's.
	Field float64
	// Recall applies to each rule code's recall.
	Recall float64
	// Precision applies to the overall rule precision.
	Precision      float64
	Refusal        float64
	Classification float64
	// CostShare is how much the mean cost per document may rise, as a
	// share of the baseline's (0.10 is 10%).
	CostShare float64
	// MinCount turns a drop beyond tolerance into a warning, which does
	// not fail, when the baseline or the current report counted fewer than
	// MinCount items for it. 0 lets every drop fail.
	MinCount int
}

// DefaultThresholds returns 2 points for every rate, 10% for the cost, and
// no MinCount: on a small slice one more mistake fails, since rule codes
// and refusals are deterministic given the fields and each miss matters.
func DefaultThresholds() Thresholds {
	return Thresholds{Field: 0.02, Recall: 0.02, Precision: 0.02, Refusal: 0.02, Classification: 0.02, CostShare: 0.10}
}

// Level grades a finding.
type Level string

// The levels of a finding, from the most serious. Only a Regression fails
// the gate.
const (
	Regression  Level = "regression"
	Warning     Level = "warning"
	Improvement Level = "improvement"
	Note        Level = "note"
)

// Finding is one difference worth telling.
type Finding struct {
	Level Level `json:"level"`
	// Metric names what changed: "field contract.hourly_rate",
	// "rule timesheet.total_mismatch recall", "cost per document", ….
	Metric   string  `json:"metric"`
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	Message  string  `json:"message"`
}

// eps absorbs rounding, so that a drop of exactly the tolerance passes.
const eps = 1e-9

// Check compares current with baseline and returns the findings, the most
// serious first.
//
// A field or rule code that the baseline scored and the current report
// does not (no expected values, or no expected code any more) is a
// regression: losing coverage could hide a drop, and a dataset that changed
// on purpose calls for a new baseline. A field or code that only the
// current report has is a note.
func Check(baseline, current *report.Report, t Thresholds) []Finding {
	c := report.Compare(baseline, current)
	var fs []Finding
	add := func(f *Finding) {
		if f != nil {
			fs = append(fs, *f)
		}
	}
	fs = append(fs, runNotes(baseline.Run, current.Run)...)
	add(rate("field accuracy", c.Fields.A, c.Fields.B, t.Field, t.MinCount))
	for _, d := range c.ByField {
		add(presence("field "+d.Key, d.A != nil, d.B != nil, "expected values"))
		add(rate("field "+d.Key, d.A, d.B, t.Field, t.MinCount))
	}
	for _, d := range c.ByCode {
		fs = append(fs, code(d, t)...)
	}
	add(precisionRate(precision(c.Rules.A), precision(c.Rules.B), t.Precision, t.MinCount))
	add(rate("refusals", c.Refusals.A, c.Refusals.B, t.Refusal, t.MinCount))
	add(presence("refusals", c.Refusals.A.Total > 0, c.Refusals.B.Total > 0, "inputs to refuse"))
	add(rate("classification", c.Classification.A, c.Classification.B, t.Classification, t.MinCount))
	add(cost(c, t.CostShare))
	add(missing(baseline.Metrics, current.Metrics))
	sort.SliceStable(fs, func(i, j int) bool { return rank(fs[i].Level) < rank(fs[j].Level) })
	return fs
}

// Failed reports whether any finding is a regression.
func Failed(fs []Finding) bool {
	for _, f := range fs {
		if f.Level == Regression {
			return true
		}
	}
	return false
}

// Render writes the findings one a line, then a verdict.
func Render(w io.Writer, fs []Finding) error {
	var b strings.Builder
	counts := map[Level]int{}
	for _, f := range fs {
		counts[f.Level]++
		fmt.Fprintf(&b, "%-11s %s\n", strings.ToUpper(string(f.Level)), f.Message)
	}
	verdict := "passed"
	if Failed(fs) {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "gate %s: %d regressions, %d warnings, %d improvements, %d notes\n",
		verdict, counts[Regression], counts[Warning], counts[Improvement], counts[Note])
	_, err := io.WriteString(w, b.String())
	return err
}

func rank(l Level) int {
	return map[Level]int{Regression: 0, Warning: 1, Improvement: 2, Note: 3}[l]
}

// runNotes tells where the two runs differ in what makes them comparable.
func runNotes(a, b report.Run) []Finding {
	var fs []Finding
	if a.Dataset != b.Dataset {
		fs = append(fs, Finding{Level: Note, Metric: "dataset",
			Message: fmt.Sprintf("datasets differ: baseline %q, current %q", a.Dataset, b.Dataset)})
	}
	if a.IgnoreCrossDocument != b.IgnoreCrossDocument {
		fs = append(fs, Finding{Level: Note, Metric: "ignore_cross_document",
			Message: fmt.Sprintf("cross-document codes ignored: baseline %v, current %v", a.IgnoreCrossDocument, b.IgnoreCrossDocument)})
	}
	return fs
}

// rate checks one accuracy; nil when it is within tolerance, off, or
// missing on either side.
func rate(metric string, base, cur *score.Accuracy, tol float64, minCount int) *Finding {
	if tol < 0 || base == nil || cur == nil || base.Total == 0 || cur.Total == 0 {
		return nil
	}
	return judge(metric, *base, *cur, tol, minCount)
}

// precisionRate checks the overall rule precision. Unlike other rates, a
// baseline that flagged nothing (0/0) counts as 100%: a change that starts
// raising false errors on a clean baseline is a drop from 100%. The check
// runs whenever the current report flagged something; a current 0/0 cannot
// have dropped.
func precisionRate(base, cur *score.Accuracy, tol float64, minCount int) *Finding {
	if tol < 0 || base == nil || cur == nil || cur.Total == 0 {
		return nil
	}
	b := *base
	if b.Total == 0 {
		b.Rate = 1
	}
	return judge("rule precision", b, *cur, tol, minCount)
}

// judge grades the change from base to cur against the tolerance; nil
// when it is within it.
func judge(metric string, base, cur score.Accuracy, tol float64, minCount int) *Finding {
	delta := cur.Rate - base.Rate
	f := &Finding{Metric: metric, Baseline: base.Rate, Current: cur.Rate}
	switch {
	case -delta > tol+eps:
		f.Level = Regression
		if base.Total < minCount || cur.Total < minCount {
			f.Level = Warning
		}
	case delta > tol+eps:
		f.Level = Improvement
	default:
		return nil
	}
	f.Message = fmt.Sprintf("%s: %s → %s, %+.2f pts (tolerance %.2f pts)%s",
		metric, counted(base), counted(cur), 100*delta, 100*tol, smallSample(base, cur, tol))
	if f.Level == Warning {
		f.Message += fmt.Sprintf("; fewer than %d items, so not failing", minCount)
	}
	return f
}

// counted prints an accuracy with its counts.
func counted(a score.Accuracy) string {
	return fmt.Sprintf("%.2f%% (%d/%d)", 100*a.Rate, a.Correct, a.Total)
}

// smallSample warns when one item moves the rate by more than the
// tolerance, so that the check means "no item may change". An empty side
// (a 0/0 precision baseline) does not count.
func smallSample(base, cur score.Accuracy, tol float64) string {
	n := min(base.Total, cur.Total)
	if n == 0 {
		n = max(base.Total, cur.Total)
	}
	if n == 0 {
		return ""
	}
	if step := 1 / float64(n); step > tol {
		return fmt.Sprintf("; small sample: one item is %.1f pts", 100*step)
	}
	return ""
}

// presence reports a slice that one side scored and the other did not.
func presence(metric string, inBase, inCur bool, what string) *Finding {
	switch {
	case inBase && !inCur:
		return &Finding{Level: Regression, Metric: metric,
			Message: fmt.Sprintf("%s: the baseline had %s and the current report has none; a dataset changed on purpose needs a new baseline", metric, what)}
	case !inBase && inCur:
		return &Finding{Level: Note, Metric: metric,
			Message: fmt.Sprintf("%s: new in the current report, no baseline to compare with", metric)}
	}
	return nil
}

// code checks one rule code's recall; only codes that were expected count.
func code(d report.CodeDelta, t Thresholds) []Finding {
	metric := "rule " + d.Code + " recall"
	inBase := d.A != nil && d.A.Expected() > 0
	inCur := d.B != nil && d.B.Expected() > 0
	var fs []Finding
	if f := presence(metric, inBase, inCur, "expected codes"); f != nil {
		fs = append(fs, *f)
	}
	if inBase && inCur {
		if f := rate(metric, recall(d.A), recall(d.B), t.Recall, t.MinCount); f != nil {
			fs = append(fs, *f)
		}
	}
	return fs
}

func recall(c *score.CodeStats) *score.Accuracy {
	return &score.Accuracy{Correct: c.TruePositives, Total: c.Expected(), Rate: c.Recall}
}

func precision(c *score.CodeStats) *score.Accuracy {
	return &score.Accuracy{Correct: c.TruePositives, Total: c.TruePositives + c.FalsePositives, Rate: c.Precision}
}

// cost checks the mean cost per document.
func cost(c *report.Comparison, share float64) *Finding {
	d, ok := c.CostDelta(report.CostPerDocument)
	if !ok || share < 0 {
		return nil
	}
	f := &Finding{Metric: "cost per document", Baseline: d.A, Current: d.B}
	switch {
	case d.A == 0 && d.B > 0:
		f.Level, f.Message = Note, fmt.Sprintf("cost per document: $%.4f, the baseline has no cost to compare with", d.B)
		return f
	case d.A == 0:
		return nil
	case d.Share > share+eps:
		f.Level = Regression
	case d.Share < -share-eps:
		f.Level = Improvement
	default:
		return nil
	}
	f.Message = fmt.Sprintf("cost per document: $%.4f → $%.4f, %+.1f%% (allowed +%.0f%%)", d.A, d.B, 100*d.Share, 100*share)
	return f
}

// missing warns when more documents had no result than in the baseline:
// their fields already count as wrong, but a crash deserves a look.
func missing(base, cur *score.Metrics) *Finding {
	a, b := len(base.Missing), len(cur.Missing)
	if b <= a {
		return nil
	}
	return &Finding{Level: Warning, Metric: "missing results", Baseline: float64(a), Current: float64(b),
		Message: fmt.Sprintf("missing results: %d documents had no result (baseline %d), e.g. %s", b, a, cur.Missing[0])}
}
