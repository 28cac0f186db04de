package score

import "math"

// DefaultConfidenceBands are the thresholds Calibration reports when
// Options.ConfidenceBands is empty.
var DefaultConfidenceBands = []float64{0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99}

// DefaultCalibrationBins is the number of equal-width bins over [0, 1] used
// when Options.CalibrationBins is 0.
const DefaultCalibrationBins = 10

// Calibration tells how far the extractor's field confidences can be
// trusted. Only the fields that Fields counts are used.
type Calibration struct {
	// Scored counts fields with a confidence; Unscored, fields without.
	Scored   int `json:"scored"`
	Unscored int `json:"unscored"`
	// Bands gives, for each threshold, the fields with a confidence at or
	// above it and how many of them were wrong.
	Bands []Band `json:"bands"`
	// Bins is the calibration curve: accuracy against mean confidence in
	// equal-width bins; the last bin includes 1.
	Bins []Bin `json:"bins"`
	// ECE is the expected calibration error: the mean over fields of
	// |accuracy − mean confidence| of each field's bin.
	ECE float64 `json:"ece"`
}

// Band counts the fields with a confidence at or above Min.
type Band struct {
	Min    float64 `json:"min"`
	Fields int     `json:"fields"`
	Wrong  int     `json:"wrong"`
	// ErrorRate is Wrong/Fields, 0 when Fields is 0.
	ErrorRate float64 `json:"error_rate"`
}

// Bin counts the fields with a confidence in [Low, High).
type Bin struct {
	Low            float64 `json:"low"`
	High           float64 `json:"high"`
	Fields         int     `json:"fields"`
	Correct        int     `json:"correct"`
	MeanConfidence float64 `json:"mean_confidence"`
	// Accuracy is Correct/Fields, 0 when Fields is 0.
	Accuracy float64 `json:"accuracy"`
}

// calibrator collects (confidence, right) pairs.
type calibrator struct {
	bands []float64
	bins  int
	confs []float64
	oks   []bool
	none  int
}

func (c *calibrator) add(conf float64, hasConf, ok bool) {
	if !hasConf {
		c.none++
		return
	}
	c.confs = append(c.confs, conf)
	c.oks = append(c.oks, ok)
}

func (c *calibrator) result() Calibration {
	out := Calibration{Scored: len(c.confs), Unscored: c.none}
	for _, min := range c.bands {
		b := Band{Min: min}
		for i, conf := range c.confs {
			if conf >= min {
				b.Fields++
				if !c.oks[i] {
					b.Wrong++
				}
			}
		}
		b.ErrorRate = fraction(b.Wrong, b.Fields, 0)
		out.Bands = append(out.Bands, b)
	}
	out.Bins = c.curve()
	for _, b := range out.Bins {
		if b.Fields > 0 {
			out.ECE += float64(b.Fields) / float64(len(c.confs)) * math.Abs(b.Accuracy-b.MeanConfidence)
		}
	}
	return out
}

func (c *calibrator) curve() []Bin {
	bins := make([]Bin, c.bins)
	sums := make([]float64, c.bins)
	for i := range bins {
		bins[i].Low = float64(i) / float64(c.bins)
		bins[i].High = float64(i+1) / float64(c.bins)
	}
	for i, conf := range c.confs {
		k := min(max(int(math.Floor(conf*float64(c.bins))), 0), c.bins-1)
		bins[k].Fields++
		sums[k] += conf
		if c.oks[i] {
			bins[k].Correct++
		}
	}
	for i := range bins {
		if bins[i].Fields > 0 {
			bins[i].MeanConfidence = sums[i] / float64(bins[i].Fields)
		}
		bins[i].Accuracy = fraction(bins[i].Correct, bins[i].Fields, 0)
	}
	return bins
}

// fraction is a/b, or empty when b is 0.
func fraction(a, b int, empty float64) float64 {
	if b == 0 {
		return empty
	}
	return float64(a) / float64(b)
}
