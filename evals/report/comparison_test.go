package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	c := Compare(sample(false), sample(true))
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	field := func(key string) RateDelta {
		for _, d := range c.ByField {
			if d.Key == key {
				return d
			}
		}
		t.Fatalf("no field %s", key)
		return RateDelta{}
	}
	code := func(key string) CodeDelta {
		for _, d := range c.ByCode {
			if d.Code == key {
				return d
			}
		}
		t.Fatalf("no code %s", key)
		return CodeDelta{}
	}
	cost, _ := c.CostDelta(CostPerDocument)
	tests := []struct {
		name      string
		got, want float64
	}{
		{"contract.worker_name", field("contract.worker_name").Delta, 1},
		{"contract.hourly_rate", field("contract.hourly_rate").Delta, 0},
		{"classification", c.Classification.Delta, 1.0 / 3},
		{"refusals", c.Refusals.Delta, 0},
		{"rule recall", c.Rules.RecallDelta, 0.25},
		{"rate_below_minimum recall", code("contract.rate_below_minimum").RecallDelta, 1},
		{"cost per document", cost.B, 0.024},
		{"cost share", cost.Share, 1},
	}
	for _, tt := range tests {
		if !near(tt.got, tt.want) {
			t.Errorf("%s: delta %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if !near(c.Fields.A.Rate, 3.0/7) || !near(c.Fields.B.Rate, 1) || !near(c.Fields.Delta, 4.0/7) {
		t.Errorf("fields %+v", c.Fields)
	}
	if d := code("contract.missing_field"); d.A == nil || d.B == nil || d.A.FalsePositives != 1 {
		t.Errorf("missing_field %+v", d)
	}

	var md bytes.Buffer
	if err := c.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- **A**: testdata/tiny — config `default` · extractor `llm` · model `model-a`",
		"- **B**: testdata/tiny — config `default` · extractor `llm` · model `model-b`",
		"| fields | 42.86% (3/7) | 100.00% (7/7) | +57.14 pts |",
		"| rule recall | 50.00% (2/4) | 75.00% (3/4) | +25.00 pts |",
		"| contract.worker_name | 0.00% (0/1) | 100.00% (1/1) | +100.00 pts |",
		"| `contract.rate_below_minimum` | 0.00% (0/1) | 100.00% (1/1) | +100.00 pts |",
		"| cost_usd_mean | 0.012 | 0.024 | +0.012 | +100.0% |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md.String())
	}

	var js bytes.Buffer
	if err := c.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != ComparisonSchema || len(back.ByField) != len(c.ByField) || !near(back.Fields.Delta, c.Fields.Delta) {
		t.Errorf("comparison JSON read back as %+v", back)
	}
}

func TestCompareMissingKeys(t *testing.T) {
	t.Parallel()
	a, b := sample(false), sample(false)
	delete(b.Metrics.ByField, "contract.end_date")
	delete(a.Metrics.Rules.ByCode, "contract.missing_field")
	c := Compare(a, b)
	for _, d := range c.ByField {
		if d.Key == "contract.end_date" && (d.A == nil || d.B != nil || d.Delta != 0) {
			t.Errorf("end_date only in A: %+v", d)
		}
	}
	for _, d := range c.ByCode {
		if d.Code == "contract.missing_field" && (d.A != nil || d.B == nil) {
			t.Errorf("missing_field only in B: %+v", d)
		}
	}
	var md bytes.Buffer
	if err := c.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| contract.end_date | 0.00% (0/1) | — | – |") {
		t.Errorf("Markdown does not show the missing side:\n%s", md.String())
	}
}
