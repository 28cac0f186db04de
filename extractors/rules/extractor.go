// Package rules is the offline rules extractor: it finds the spec's fields
// of contracts and timesheets from French and English labels, dates, amounts
// and hour rows, without a model.
package rules

import (
	"context"
	"fmt"

	"github.com/docflow/docflow/pipeline"
)

// Extractor extracts fields by rules. The zero value is ready to use.
type Extractor struct{}

var _ pipeline.Extractor = (*Extractor)(nil)

// New returns a rules Extractor.
func New() *Extractor { return &Extractor{} }

// Name identifies the extractor and its version.
func (*Extractor) Name() string { return "rules/v1" }

// Extract returns the fields of a contract or a timesheet found in c.Text.
func (e *Extractor) Extract(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (pipeline.Fields, error) {
	if err := ctx.Err(); err != nil {
		return pipeline.Fields{}, err
	}
	d := newDoc(c.Text)
	var f pipeline.Fields
	switch t {
	case pipeline.TypeContract:
		f.Contract, f.Confidence = contract(d)
	case pipeline.TypeTimesheet:
		f.Timesheet, f.Confidence = timesheet(d)
	default:
		return pipeline.Fields{}, fmt.Errorf("rules: no fields for document type %q", t)
	}
	scale(f.Confidence, c.Confidence)
	return f, nil
}

// scale lowers the fields' confidence by the reader's (OCR) confidence.
func scale(conf map[string]float64, reader float64) {
	if reader <= 0 || reader >= 1 {
		return
	}
	for k, v := range conf {
		conf[k] = pipeline.Round2(v * (0.5 + reader/2))
	}
}
