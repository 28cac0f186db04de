package score

import "sort"

// Cost sums what the documents cost. A document is a manifest line with a
// result (an e-mail's result already sums its parts); lines without one are
// left out.
type Cost struct {
	Documents      int  `json:"documents"`
	InputTokens    Stat `json:"input_tokens"`
	OutputTokens   Stat `json:"output_tokens"`
	CostUSD        Stat `json:"cost_usd"`
	LatencySeconds Stat `json:"latency_seconds"`
	LLMCalls       int  `json:"llm_calls"`
	CacheHits      int  `json:"cache_hits"`
	// PerDocument lists each document's cost, in manifest order.
	PerDocument []DocumentCost `json:"per_document"`
}

// Stat sums a per-document quantity. P50 and P95 are nearest-rank
// percentiles: the smallest value with at least that share of documents at
// or below it. All are 0 when there are no documents.
type Stat struct {
	Total float64 `json:"total"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	Max   float64 `json:"max"`
}

// DocumentCost is what one document cost.
type DocumentCost struct {
	File           string  `json:"file"`
	InputTokens    int     `json:"input_tokens"`
	OutputTokens   int     `json:"output_tokens"`
	CostUSD        float64 `json:"cost_usd"`
	LatencySeconds float64 `json:"latency_seconds"`
}

func (c *Cost) add(file string, r *Result) {
	c.Documents++
	c.LLMCalls += r.LLMCalls
	c.CacheHits += r.CacheHits
	c.PerDocument = append(c.PerDocument, DocumentCost{
		File:           file,
		InputTokens:    r.InputTokens,
		OutputTokens:   r.OutputTokens,
		CostUSD:        r.CostUSD,
		LatencySeconds: r.LatencySeconds,
	})
}

func (c *Cost) finish() {
	pick := func(f func(DocumentCost) float64) Stat {
		xs := make([]float64, len(c.PerDocument))
		for i, d := range c.PerDocument {
			xs[i] = f(d)
		}
		return newStat(xs)
	}
	c.InputTokens = pick(func(d DocumentCost) float64 { return float64(d.InputTokens) })
	c.OutputTokens = pick(func(d DocumentCost) float64 { return float64(d.OutputTokens) })
	c.CostUSD = pick(func(d DocumentCost) float64 { return d.CostUSD })
	c.LatencySeconds = pick(func(d DocumentCost) float64 { return d.LatencySeconds })
}

func newStat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := Stat{}
	for _, x := range xs {
		s.Total += x
	}
	s.Mean = s.Total / float64(len(xs))
	sorted := append([]float64(nil), xs...)
	sort.Float64s(sorted)
	s.P50 = percentile(sorted, 50)
	s.P95 = percentile(sorted, 95)
	s.Max = sorted[len(sorted)-1]
	return s
}

// percentile is the nearest-rank pct-th percentile of sorted values: the
// value of rank ⌈pct·n/100⌉, computed in integers to avoid rounding.
func percentile(sorted []float64, pct int) float64 {
	rank := (pct*len(sorted) + 99) / 100
	return sorted[min(max(rank, 1), len(sorted))-1]
}
