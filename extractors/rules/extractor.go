// Package rules is the offline rules extractor: it finds the spec's fields
// of contracts and timesheets from French and English labels, dates, amounts
// and hour rows, without a model.
package rules

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

// Extractor extracts fields by rules. The zero value is ready to use.
type Extractor struct{}

var _ pipeline.Extractor = (*Extractor)(nil)

// New returns a rules Extractor.
func New() *Extractor { return &Extractor{} }

// Name identifies the extractor and its version.
func (*Extractor) Name() string { return "rules/v1" }

// Extract returns the fields of a contract or a timesheet found in c.Text,
// each with a confidence and a Source: the page (1-based; 1 for a text
// without form feeds), the line of the whole text (1-based; lines end at
// "\n", and at a form feed that does not follow a line end) and the text
// matched (the value as printed, or the line it came from, at most 200
// runes).
func (e *Extractor) Extract(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (pipeline.Fields, error) {
	if err := ctx.Err(); err != nil {
		return pipeline.Fields{}, err
	}
	d := newDoc(c.Text)
	var f pipeline.Fields
	switch t {
	case pipeline.TypeContract:
		f.Contract, f.Confidence, f.Sources = contract(d)
	case pipeline.TypeTimesheet:
		f.Timesheet, f.Confidence, f.Sources = timesheet(d)
	default:
		return pipeline.Fields{}, fmt.Errorf("rules: no fields for document type %q", t)
	}
	if c.Confidence > 0 && c.Confidence < 1 {
		repairAccents(&f)
	}
	scale(f.Confidence, c.Confidence)
	return f, nil
}

// reGraveMisread finds an "é" that French spelling forbids: before one
// consonant and a final mute "e" (Menuisiére, Thérése), where OCR misread
// an "è".
var reGraveMisread = regexp.MustCompile(`([éÉ])([bcdfghjklmnpqrstvwxzç]es?)\b`)

// repairAccents writes "è" for an OCR'd "é" that French spelling forbids,
// in the names and the job title read from a scan.
func repairAccents(f *pipeline.Fields) {
	fix := func(s *string) {
		*s = reGraveMisread.ReplaceAllStringFunc(*s, func(m string) string {
			if strings.HasPrefix(m, "É") {
				return "È" + strings.TrimPrefix(m, "É")
			}
			return "è" + strings.TrimPrefix(m, "é")
		})
	}
	if c := f.Contract; c != nil {
		for _, s := range []*string{&c.AgencyName, &c.ClientName, &c.WorkerName, &c.JobTitle, &c.WorkLocation} {
			fix(s)
		}
	}
	if t := f.Timesheet; t != nil {
		fix(&t.WorkerName)
		fix(&t.ClientName)
	}
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
