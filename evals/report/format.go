package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/docflow/docflow/evals/score"
)

// pct prints a rate as a percentage with two decimals.
func pct(rate float64) string { return fmt.Sprintf("%.2f%%", 100*rate) }

// accuracy prints an Accuracy as "99.57% (1383/1389)", or "n/a (0/0)".
func accuracy(a score.Accuracy) string {
	if a.Total == 0 {
		return "n/a (0/0)"
	}
	return fmt.Sprintf("%s (%d/%d)", pct(a.Rate), a.Correct, a.Total)
}

// ratio prints a rate over a count as "80.77% (42/52)", or "n/a (0/0)".
func ratio(rate float64, num, den int) string {
	return accuracy(score.Accuracy{Correct: num, Total: den, Rate: rate})
}

// codeRecall prints a rule code's recall with its counts.
func codeRecall(c score.CodeStats) string {
	return ratio(c.Recall, c.TruePositives, c.Expected())
}

// codePrecision prints a rule code's precision with its counts.
func codePrecision(c score.CodeStats) string {
	return ratio(c.Precision, c.TruePositives, c.TruePositives+c.FalsePositives)
}

// points prints a change of rate in percentage points, signed.
func points(delta float64) string { return fmt.Sprintf("%+.2f pts", 100*delta) }

// usd prints an amount of dollars.
func usd(v float64) string { return fmt.Sprintf("$%.4f", v) }

// value prints a field's value as compact JSON.
func value(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// confidence prints an optional confidence.
func confidence(c *float64) string {
	if c == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", *c)
}

// document names a document or an e-mail's attachment.
func document(file, name string) string {
	if name == "" {
		return file
	}
	return file + " › " + name
}

// cell makes s safe in a Markdown table cell, cut to max runes (0: no cut).
func cell(s string, max int) string {
	if r := []rune(s); max > 0 && len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	s = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "`", "'").Replace(s)
	return s
}
