package report

import (
	"bytes"
	"fmt"
	"io"

	"github.com/docflow/docflow/evals/score"
)

// ComparisonSchema names the JSON layout of a Comparison.
const ComparisonSchema = "docflow.eval.comparison/v1"

// Comparison puts two reports side by side: A (such as a baseline) and B.
// Deltas are B − A. Lists are sorted by key and hold every key of either
// report; a side that lacks a key is null.
type Comparison struct {
	Schema         string       `json:"schema"`
	A              Run          `json:"a"`
	B              Run          `json:"b"`
	Fields         RateDelta    `json:"fields"`
	ByField        []RateDelta  `json:"by_field"`
	ByType         []RateDelta  `json:"by_type"`
	Classification RateDelta    `json:"classification"`
	Refusals       RateDelta    `json:"refusals"`
	Rules          CodeDelta    `json:"rules"`
	ByCode         []CodeDelta  `json:"by_code"`
	Cost           []ValueDelta `json:"cost"`
}

// RateDelta compares one accuracy.
type RateDelta struct {
	Key string          `json:"key"`
	A   *score.Accuracy `json:"a"`
	B   *score.Accuracy `json:"b"`
	// Delta is B's rate minus A's, 0 when either side lacks the key.
	Delta float64 `json:"delta"`
}

// CodeDelta compares one rule code, or all of them.
type CodeDelta struct {
	Code string           `json:"code"`
	A    *score.CodeStats `json:"a"`
	B    *score.CodeStats `json:"b"`
	// RecallDelta and PrecisionDelta are B's minus A's, 0 when either side
	// lacks the code.
	RecallDelta    float64 `json:"recall_delta"`
	PrecisionDelta float64 `json:"precision_delta"`
}

// ValueDelta compares one quantity, such as the mean cost per document.
type ValueDelta struct {
	Key   string  `json:"key"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Delta float64 `json:"delta"`
	// Share is Delta/A, 0 when A is 0.
	Share float64 `json:"share"`
}

// The keys of Comparison.Cost.
const (
	CostPerDocument    = "cost_usd_mean"
	CostTotal          = "cost_usd_total"
	LatencyP50         = "latency_seconds_p50"
	LatencyP95         = "latency_seconds_p95"
	InputTokensMean    = "input_tokens_mean"
	OutputTokensMean   = "output_tokens_mean"
	DocumentsWithCosts = "documents"
)

// Compare compares report a with report b.
func Compare(a, b *Report) *Comparison {
	ma, mb := a.Metrics, b.Metrics
	c := &Comparison{
		Schema:         ComparisonSchema,
		A:              a.Run,
		B:              b.Run,
		Fields:         rateDelta("fields", &ma.Fields, &mb.Fields),
		ByField:        rateDeltas(ma.ByField, mb.ByField),
		ByType:         rateDeltas(ma.ByType, mb.ByType),
		Classification: rateDelta("classification", &ma.Classification.Accuracy, &mb.Classification.Accuracy),
		Refusals:       rateDelta("refusals", &ma.Refusals.Accuracy, &mb.Refusals.Accuracy),
		Rules:          codeDelta("all", &ma.Rules.CodeStats, &mb.Rules.CodeStats),
	}
	for _, k := range unionKeys(ma.Rules.ByCode, mb.Rules.ByCode) {
		c.ByCode = append(c.ByCode, codeDelta(k, lookup(ma.Rules.ByCode, k), lookup(mb.Rules.ByCode, k)))
	}
	ca, cb := ma.Cost, mb.Cost
	for _, v := range []struct {
		key  string
		a, b float64
	}{
		{CostPerDocument, ca.CostUSD.Mean, cb.CostUSD.Mean},
		{CostTotal, ca.CostUSD.Total, cb.CostUSD.Total},
		{LatencyP50, ca.LatencySeconds.P50, cb.LatencySeconds.P50},
		{LatencyP95, ca.LatencySeconds.P95, cb.LatencySeconds.P95},
		{InputTokensMean, ca.InputTokens.Mean, cb.InputTokens.Mean},
		{OutputTokensMean, ca.OutputTokens.Mean, cb.OutputTokens.Mean},
		{DocumentsWithCosts, float64(ca.Documents), float64(cb.Documents)},
	} {
		d := ValueDelta{Key: v.key, A: v.a, B: v.b, Delta: v.b - v.a}
		if v.a != 0 {
			d.Share = d.Delta / v.a
		}
		c.Cost = append(c.Cost, d)
	}
	return c
}

// CostDelta returns the cost comparison under key, and whether it exists.
func (c *Comparison) CostDelta(key string) (ValueDelta, bool) {
	for _, d := range c.Cost {
		if d.Key == key {
			return d, true
		}
	}
	return ValueDelta{}, false
}

func rateDelta(key string, a, b *score.Accuracy) RateDelta {
	d := RateDelta{Key: key, A: a, B: b}
	if a != nil && b != nil {
		d.Delta = b.Rate - a.Rate
	}
	return d
}

func rateDeltas(a, b map[string]score.Accuracy) []RateDelta {
	var out []RateDelta
	for _, k := range unionKeys(a, b) {
		out = append(out, rateDelta(k, lookup(a, k), lookup(b, k)))
	}
	return out
}

func codeDelta(code string, a, b *score.CodeStats) CodeDelta {
	d := CodeDelta{Code: code, A: a, B: b}
	if a != nil && b != nil {
		d.RecallDelta = b.Recall - a.Recall
		d.PrecisionDelta = b.Precision - a.Precision
	}
	return d
}

// lookup returns a pointer to a copy of m[k], or nil.
func lookup[V any](m map[string]V, k string) *V {
	v, ok := m[k]
	if !ok {
		return nil
	}
	return &v
}

// unionKeys returns the keys of a and b, in order.
func unionKeys[V any](a, b map[string]V) []string {
	all := map[string]bool{}
	for k := range a {
		all[k] = true
	}
	for k := range b {
		all[k] = true
	}
	return sortedKeys(all)
}

// WriteJSON writes c as indented JSON.
func (c *Comparison) WriteJSON(w io.Writer) error { return writeJSON(w, c) }

// WriteMarkdown writes c as Markdown tables: the summary, accuracy per
// document type and per field, rule codes, and cost.
func (c *Comparison) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## Comparison\n\n- **A**: %s — %s\n- **B**: %s — %s\n\n", c.A.Dataset, runLine(c.A), c.B.Dataset, runLine(c.B))
	b.WriteString("| metric | A | B | Δ |\n|---|---:|---:|---:|\n")
	for _, d := range []RateDelta{c.Fields, c.Classification, c.Refusals} {
		mdRateRow(&b, d)
	}
	mdCodeRows(&b, []CodeDelta{c.Rules}, true)
	b.WriteString("\n")
	for _, t := range []struct {
		title string
		ds    []RateDelta
	}{{"Field accuracy per document type", c.ByType}, {"Accuracy per field", c.ByField}} {
		fmt.Fprintf(&b, "### %s\n\n| key | A | B | Δ |\n|---|---:|---:|---:|\n", t.title)
		for _, d := range t.ds {
			mdRateRow(&b, d)
		}
		b.WriteString("\n")
	}
	b.WriteString("### Rule codes\n\n| code | recall A | recall B | Δ | precision A | precision B | Δ |\n|---|---:|---:|---:|---:|---:|---:|\n")
	mdCodeRows(&b, c.ByCode, false)
	b.WriteString("\n### Cost\n\n| per run | A | B | Δ | change |\n|---|---:|---:|---:|---:|\n")
	for _, d := range c.Cost {
		share := "–"
		if d.A != 0 {
			share = fmt.Sprintf("%+.1f%%", 100*d.Share)
		}
		fmt.Fprintf(&b, "| %s | %.4g | %.4g | %+.4g | %s |\n", d.Key, d.A, d.B, d.Delta, share)
	}
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}

func mdRateRow(b *bytes.Buffer, d RateDelta) {
	delta := "–"
	if d.A != nil && d.B != nil {
		delta = points(d.Delta)
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s |\n", cell(d.Key, 0), optAccuracy(d.A), optAccuracy(d.B), delta)
}

// mdCodeRows writes rule-code rows: in the summary table (recall and
// precision on two rows), or in the per-code table.
func mdCodeRows(b *bytes.Buffer, ds []CodeDelta, summary bool) {
	for _, d := range ds {
		recA, recB, precA, precB := "—", "—", "—", "—"
		if d.A != nil {
			recA, precA = codeRecall(*d.A), codePrecision(*d.A)
		}
		if d.B != nil {
			recB, precB = codeRecall(*d.B), codePrecision(*d.B)
		}
		dr, dp := "–", "–"
		if d.A != nil && d.B != nil {
			dr, dp = points(d.RecallDelta), points(d.PrecisionDelta)
		}
		if summary {
			fmt.Fprintf(b, "| rule recall | %s | %s | %s |\n| rule precision | %s | %s | %s |\n", recA, recB, dr, precA, precB, dp)
			continue
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", d.Code, recA, recB, dr, precA, precB, dp)
	}
}

// optAccuracy prints an accuracy, or "—" for none.
func optAccuracy(a *score.Accuracy) string {
	if a == nil {
		return "—"
	}
	return accuracy(*a)
}
