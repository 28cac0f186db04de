package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/docflow/docflow/evals/score"
)

// DefaultMaxWrong is how many wrong fields WriteMarkdown lists by default.
const DefaultMaxWrong = 50

// WriteMarkdown writes r for a pull request: the run, a summary table, the
// accuracy per field and per slice, the rule codes, refusals,
// classification, calibration, cost, and the first maxWrong wrong fields
// (DefaultMaxWrong when maxWrong is 0 or less) with their count.
func (r *Report) WriteMarkdown(w io.Writer, maxWrong int) error {
	if maxWrong <= 0 {
		maxWrong = DefaultMaxWrong
	}
	var b bytes.Buffer
	m := r.Metrics
	fmt.Fprintf(&b, "## Evaluation: %s\n\n%s\n\n", r.Run.Dataset, runLine(r.Run))
	mdSummary(&b, m)
	mdAccuracies(&b, "Accuracy per field", "field", m.ByField)
	for _, s := range []struct {
		title string
		m     map[string]score.Accuracy
	}{
		{"document type", m.ByType}, {"format", m.ByFormat}, {"language", m.ByLanguage}, {"layout", m.ByLayout},
	} {
		mdAccuracies(&b, "Field accuracy per "+s.title, s.title, s.m)
	}
	mdRules(&b, m.Rules)
	mdRefusals(&b, m.Refusals)
	mdClassification(&b, m.Classification)
	mdCalibration(&b, m.Calibration)
	mdCost(&b, m.Cost)
	mdWrongFields(&b, m.WrongFields, maxWrong)
	mdList(&b, "Documents missing from the results", m.Missing)
	mdList(&b, "Results that no manifest line used", m.Unused)
	_, err := w.Write(b.Bytes())
	return err
}

// runLine describes the run in one line.
func runLine(run Run) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" `"+cell(v, 0)+"`")
		}
	}
	add("config", run.Config)
	add("extractor", run.Extractor)
	add("model", run.Model)
	for _, k := range sortedKeys(run.Prompts) {
		add("prompt "+k, run.Prompts[k])
	}
	add("commit", run.Commit)
	if !run.Date.IsZero() {
		add("date", run.Date.UTC().Format("2006-01-02 15:04 MST"))
	}
	if run.IgnoreCrossDocument {
		parts = append(parts, "cross-document codes ignored")
	}
	return strings.Join(parts, " · ")
}

func mdSummary(b *bytes.Buffer, m *score.Metrics) {
	r := m.Rules
	fmt.Fprintf(b, "| metric | value |\n|---|---:|\n")
	fmt.Fprintf(b, "| field accuracy | %s |\n", accuracy(m.Fields))
	fmt.Fprintf(b, "| classification | %s |\n", accuracy(m.Classification.Accuracy))
	fmt.Fprintf(b, "| rule recall | %s |\n", codeRecall(r.CodeStats))
	fmt.Fprintf(b, "| rule precision | %s |\n", codePrecision(r.CodeStats))
	fmt.Fprintf(b, "| refusals | %s |\n", accuracy(m.Refusals.Accuracy))
	fmt.Fprintf(b, "| calibration error (ECE) | %.4f |\n", m.Calibration.ECE)
	fmt.Fprintf(b, "| cost per document | %s mean, %s in all (%d documents) |\n", usd(m.Cost.CostUSD.Mean), usd(m.Cost.CostUSD.Total), m.Cost.Documents)
	fmt.Fprintf(b, "| latency per document | %.2fs p50, %.2fs p95 |\n", m.Cost.LatencySeconds.P50, m.Cost.LatencySeconds.P95)
	fmt.Fprintf(b, "| missing results | %d |\n| wrong fields | %d |\n\n", len(m.Missing), len(m.WrongFields))
}

func mdAccuracies(b *bytes.Buffer, title, key string, m map[string]score.Accuracy) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s\n\n| %s | accuracy | right | total |\n|---|---:|---:|---:|\n", title, key)
	for _, k := range sortedKeys(m) {
		a := m[k]
		fmt.Fprintf(b, "| %s | %s | %d | %d |\n", cell(k, 0), pct(a.Rate), a.Correct, a.Total)
	}
	b.WriteString("\n")
}

func mdRules(b *bytes.Buffer, r score.Rules) {
	fmt.Fprintf(b, "### Rule codes\n\nRecall %s, precision %s.\n\n", codeRecall(r.CodeStats), codePrecision(r.CodeStats))
	if len(r.ByCode) == 0 {
		return
	}
	b.WriteString("| code | expected | fired right | missed | unexpected errors | recall | precision |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range sortedKeys(r.ByCode) {
		s := r.ByCode[c]
		fmt.Fprintf(b, "| `%s` | %d | %d | %d | %d | %s | %s |\n", c, s.Expected(), s.TruePositives, s.FalseNegatives, s.FalsePositives,
			rateOrNA(s.Recall, s.Expected()), rateOrNA(s.Precision, s.TruePositives+s.FalsePositives))
	}
	b.WriteString("\n")
}

// rateOrNA prints a rate, or "n/a" when nothing was counted.
func rateOrNA(rate float64, n int) string {
	if n == 0 {
		return "n/a"
	}
	return pct(rate)
}

func mdRefusals(b *bytes.Buffer, r score.Refusals) {
	fmt.Fprintf(b, "### Refusals\n\n%s right.\n\n", accuracy(r.Accuracy))
	if len(r.Wrong) == 0 {
		return
	}
	b.WriteString("| document | expected | got |\n|---|---|---|\n")
	for _, w := range r.Wrong {
		fmt.Fprintf(b, "| %s | `%s` | %s |\n", cell(document(w.File, w.Name), 0), w.Want, orNone(w.Got))
	}
	b.WriteString("\n")
}

// orNone quotes a code, or says there was none.
func orNone(code string) string {
	if code == "" {
		return "none"
	}
	return "`" + code + "`"
}

func mdClassification(b *bytes.Buffer, c score.Classification) {
	fmt.Fprintf(b, "### Classification\n\n%s right.\n\n", accuracy(c.Accuracy))
	got := map[string]bool{}
	for _, row := range c.Confusion {
		for k := range row {
			got[k] = true
		}
	}
	cols := sortedKeys(got)
	if len(cols) == 0 {
		return
	}
	fmt.Fprintf(b, "| expected \\ got | %s |\n|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)))
	for _, want := range sortedKeys(c.Confusion) {
		cells := make([]string, len(cols))
		for i, g := range cols {
			cells[i] = fmt.Sprint(c.Confusion[want][g])
		}
		fmt.Fprintf(b, "| %s | %s |\n", want, strings.Join(cells, " | "))
	}
	b.WriteString("\n")
}

func mdCalibration(b *bytes.Buffer, c score.Calibration) {
	fmt.Fprintf(b, "### Confidence calibration\n\n%d fields with a confidence, %d without; expected calibration error %.4f.\n\n", c.Scored, c.Unscored, c.ECE)
	b.WriteString("| confidence ≥ | fields | wrong | error rate |\n|---:|---:|---:|---:|\n")
	for _, band := range c.Bands {
		fmt.Fprintf(b, "| %.2f | %d | %d | %s |\n", band.Min, band.Fields, band.Wrong, rateOrNA(band.ErrorRate, band.Fields))
	}
	b.WriteString("\n| confidence | fields | mean confidence | accuracy |\n|---|---:|---:|---:|\n")
	for _, bin := range c.Bins {
		if bin.Fields > 0 {
			fmt.Fprintf(b, "| %.2f–%.2f | %d | %.3f | %s |\n", bin.Low, bin.High, bin.Fields, bin.MeanConfidence, pct(bin.Accuracy))
		}
	}
	b.WriteString("\n")
}

func mdCost(b *bytes.Buffer, c score.Cost) {
	fmt.Fprintf(b, "### Cost\n\n%d documents, %d model calls, %d cache hits.\n\n", c.Documents, c.LLMCalls, c.CacheHits)
	b.WriteString("| per document | total | mean | p50 | p95 | max |\n|---|---:|---:|---:|---:|---:|\n")
	for _, s := range []struct {
		name string
		s    score.Stat
		f    string
	}{
		{"input tokens", c.InputTokens, "%.0f"}, {"output tokens", c.OutputTokens, "%.0f"},
		{"cost (USD)", c.CostUSD, "%.4f"}, {"latency (s)", c.LatencySeconds, "%.2f"},
	} {
		v := func(x float64) string { return fmt.Sprintf(s.f, x) }
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", s.name, v(s.s.Total), v(s.s.Mean), v(s.s.P50), v(s.s.P95), v(s.s.Max))
	}
	b.WriteString("\n")
}

func mdWrongFields(b *bytes.Buffer, ws []score.WrongField, max int) {
	fmt.Fprintf(b, "### Wrong fields (%d)\n\n", len(ws))
	if len(ws) == 0 {
		return
	}
	b.WriteString("| document | field | expected | got | confidence |\n|---|---|---|---|---:|\n")
	for i, w := range ws {
		if i == max {
			fmt.Fprintf(b, "\n…and %d more; the HTML and JSON reports list them all.\n", len(ws)-max)
			break
		}
		fmt.Fprintf(b, "| %s | %s.%s | `%s` | `%s` | %s |\n", cell(document(w.File, w.Name), 0), w.DocumentType, w.Field,
			cell(value(w.Expected), 80), cell(value(w.Got), 80), confidence(w.Confidence))
	}
	b.WriteString("\n")
}

func mdList(b *bytes.Buffer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s (%d)\n\n", title, len(items))
	for _, it := range items {
		fmt.Fprintf(b, "- `%s`\n", cell(it, 0))
	}
	b.WriteString("\n")
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
