package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"

	"github.com/docflow/docflow/evals/score"
)

//go:embed report.html.tmpl
var htmlSource string

// HTMLOptions tune WriteHTML.
type HTMLOptions struct {
	// DocBase prefixes a document's relative path in its link, such as
	// "file:///data/corpus/dev/" or "../corpus/dev/". When empty, links are
	// the relative paths themselves. It is trusted as written.
	DocBase string
}

// WriteHTML writes r as one self-contained HTML page: no scripts, styles
// or images from elsewhere, charts drawn as inline SVG, and every wrong
// field with its expected and extracted values and a link to its document.
func (r *Report) WriteHTML(w io.Writer, opts HTMLOptions) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"pct":        pct,
		"accuracy":   accuracy,
		"rateOrNA":   rateOrNA,
		"value":      value,
		"confidence": confidence,
		"document":   document,
		"usd":        usd,
		"orNone":     func(s string) string { return strings.Trim(orNone(s), "`") },
		"link":       func(file string) template.URL { return docLink(opts.DocBase, file) },
		"recall":     codeRecall,
		"precision":  codePrecision,
		"sum":        func(a, b int) int { return a + b },
		"add":        func(d, n int) int { return n + d },
		"float":      func(n int) float64 { return float64(n) },
		"addf": func(xs ...float64) float64 {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s
		},
		"neg":  func(x float64) float64 { return -x },
		"half": func(x float64) float64 { return x / 2 },
		"list": func(cs ...columnChart) []columnChart { return cs },
	}).Parse(htmlSource)
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	m := r.Metrics
	data := struct {
		*Report
		RunLine      string
		FieldChart   barChart
		Calibration  plot
		Latency      columnChart
		Cost         columnChart
		Slices       []slice
		ConfusionCol []string
	}{
		Report:      r,
		RunLine:     strings.ReplaceAll(runLine(r.Run), "`", ""),
		FieldChart:  fieldChart(m.ByField),
		Calibration: calibrationPlot(m.Calibration),
		Latency: documentChart("Latency per document (s)", m.Cost.PerDocument,
			func(d score.DocumentCost) float64 { return d.LatencySeconds }, "%.2f s"),
		Cost: documentChart("Cost per document (USD)", m.Cost.PerDocument,
			func(d score.DocumentCost) float64 { return d.CostUSD }, "$%.4f"),
		Slices: []slice{
			{"document type", m.ByType}, {"format", m.ByFormat}, {"language", m.ByLanguage},
			{"layout", m.ByLayout}, {"tag", m.ByTag},
		},
		ConfusionCol: confusionColumns(m.Classification.Confusion),
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// slice is one breakdown of field accuracy.
type slice struct {
	Name string
	By   map[string]score.Accuracy
}

// Keys returns the slice's keys in order.
func (s slice) Keys() []string { return sortedKeys(s.By) }

// confusionColumns lists every type that was got, in order.
func confusionColumns(c map[string]map[string]int) []string {
	got := map[string]bool{}
	for _, row := range c {
		for k := range row {
			got[k] = true
		}
	}
	return sortedKeys(got)
}

// docLink is base followed by file's path, each segment escaped.
func docLink(base, file string) template.URL {
	segs := strings.Split(file, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	p := strings.Join(segs, "/")
	if base == "" {
		return template.URL(p)
	}
	return template.URL(strings.TrimSuffix(base, "/") + "/" + p)
}
