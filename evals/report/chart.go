package report

import (
	"fmt"
	"math"

	"github.com/docflow/docflow/evals/score"
)

// The charts of the HTML page are inline SVG, laid out here and drawn by
// the template: coordinates are in pixels of the SVG's viewBox.

// barChart is a horizontal bar chart, one row per label.
type barChart struct {
	Width, Height int
	// LabelX is where labels end and BarX where bars start.
	LabelX, BarX float64
	Rows         []barRow
}

// barRow is one bar: its top, its baseline for text, its length, where its
// text starts, and what it says.
type barRow struct {
	Top, TextY, Length, TextX float64
	Label, Text, Title        string
	Class                     string
}

// fieldChart draws accuracy per field.
func fieldChart(m map[string]score.Accuracy) barChart {
	const rowH, labelW, barW = 20, 230, 360
	c := barChart{Width: labelW + barW + 130, LabelX: labelW - 6, BarX: labelW}
	for i, k := range sortedKeys(m) {
		a := m[k]
		class := "good"
		switch {
		case a.Rate < 0.9:
			class = "bad"
		case a.Rate < 0.98:
			class = "fair"
		}
		c.Rows = append(c.Rows, barRow{
			Top:    float64(i*rowH) + 3,
			TextY:  float64(i*rowH) + 14,
			Length: a.Rate * barW,
			TextX:  labelW + a.Rate*barW + 4,
			Label:  k,
			Text:   fmt.Sprintf("%s (%d/%d)", pct(a.Rate), a.Correct, a.Total),
			Title:  fmt.Sprintf("%s: %d of %d right", k, a.Correct, a.Total),
			Class:  class,
		})
	}
	c.Height = len(c.Rows)*rowH + 4
	return c
}

// plot is a square plot of the calibration curve against the diagonal.
type plot struct {
	Size, Margin, Inner float64
	// Low and Mid are the inner square's bottom (and right) edge and middle.
	Low, Mid float64
	Points   []plotPoint
	Line     string // polyline points through Points
	Ticks    []plotTick
}

type plotPoint struct {
	X, Y, R float64
	Title   string
}

// plotTick labels a value on both axes: at X on the horizontal axis and
// at Y on the vertical one.
type plotTick struct {
	X, Y  float64
	Label string
}

// calibrationPlot draws accuracy against mean confidence for each bin that
// has fields, with dots sized by the number of fields.
func calibrationPlot(c score.Calibration) plot {
	p := plot{Size: 320, Margin: 40}
	p.Inner = p.Size - 2*p.Margin
	p.Low, p.Mid = p.Margin+p.Inner, p.Margin+p.Inner/2
	x := func(v float64) float64 { return p.Margin + v*p.Inner }
	y := func(v float64) float64 { return p.Margin + (1-v)*p.Inner }
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		p.Ticks = append(p.Ticks, plotTick{X: x(v), Y: y(v), Label: fmt.Sprintf("%.2g", v)})
	}
	for _, b := range c.Bins {
		if b.Fields == 0 {
			continue
		}
		pt := plotPoint{
			X: x(b.MeanConfidence), Y: y(b.Accuracy), R: 3 + math.Min(9, math.Sqrt(float64(b.Fields))),
			Title: fmt.Sprintf("confidence %.2f–%.2f: %d fields, mean confidence %.3f, accuracy %s", b.Low, b.High, b.Fields, b.MeanConfidence, pct(b.Accuracy)),
		}
		p.Points = append(p.Points, pt)
		p.Line += fmt.Sprintf("%.1f,%.1f ", pt.X, pt.Y)
	}
	return p
}

// columnChart is a vertical bar chart, one column per document.
type columnChart struct {
	Title         string
	Width, Height float64
	Base          float64 // the axis under the columns
	Columns       []column
	Max           string
	Mean          float64 // where the line of the mean is drawn
	MeanText      string
}

type column struct {
	X, Y, W, H float64
	Title      string
}

// documentChart draws one quantity per document; the bars keep the
// manifest's order.
func documentChart(title string, docs []score.DocumentCost, f func(score.DocumentCost) float64, format string) columnChart {
	const height = 160.0
	w := math.Max(2, math.Min(24, 720/math.Max(1, float64(len(docs)))))
	c := columnChart{Title: title, Width: math.Max(240, w*float64(len(docs))), Height: height + 2, Base: height}
	top, sum := 0.0, 0.0
	for _, d := range docs {
		top = math.Max(top, f(d))
		sum += f(d)
	}
	c.Max = fmt.Sprintf(format, top)
	if top == 0 || len(docs) == 0 {
		return c
	}
	for i, d := range docs {
		h := f(d) / top * height
		c.Columns = append(c.Columns, column{
			X: float64(i) * w, Y: height - h, W: math.Max(1, w-1), H: h,
			Title: d.File + ": " + fmt.Sprintf(format, f(d)),
		})
	}
	mean := sum / float64(len(docs))
	c.Mean = height - mean/top*height
	c.MeanText = "mean " + fmt.Sprintf(format, mean)
	return c
}
