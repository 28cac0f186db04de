// Package rules is the offline rules extractor: it finds the spec's fields
// of contracts and timesheets from French and English labels, dates, amounts
// and hour rows, without a model.
package rules

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/prefilter"
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
		repairLetters(&f)
	}
	scale(f.Confidence, c.Confidence)
	return f, nil
}

// reGraveMisread finds an "é" that French spelling forbids: before one
// consonant and a final mute "e" (Menuisiére, Thérése), where OCR misread
// an "è".
var reGraveMisread = prefilter.MustCompile(`([éÉ])([bcdfghjklmnpqrstvwxzç]es?)\b`)

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

// reLMisread finds an "l" that OCR read as a digit one or a bar between
// two lower-case letters ("Horticu1teur", "Vil|eurbanne"): no word of a
// name, a title or a city holds one.
var reLMisread = prefilter.MustCompile(`(\p{Ll})[1|](\p{Ll})`)

// reCulteurMisread finds the suffix of the "-culteur" trades (agriculteur,
// horticulteur, viticulteur, apiculteur, sylviculteur...) and of
// "-culture" whose "l" OCR read as an "i": French has no word in
// "-cuiteur", "-cuitrice" or "-cuiture".
var reCulteurMisread = prefilter.MustCompile(`(?i)cu[iíï]t(?:eurs?|rices?|ures?)\b`)

// repairLetters undoes the OCR confusions of "l" that spelling rules out,
// in the names, the job title and the place read from a scan.
func repairLetters(f *pipeline.Fields) {
	fix := func(s *string) {
		for {
			t := reLMisread.ReplaceAllString(*s, "${1}l${2}")
			if t == *s {
				break
			}
			*s = t
		}
	}
	if c := f.Contract; c != nil {
		for _, s := range []*string{&c.WorkerName, &c.JobTitle, &c.WorkLocation} {
			fix(s)
		}
		c.JobTitle = reCulteurMisread.ReplaceAllStringFunc(c.JobTitle, func(m string) string {
			rs := []rune(m)
			if unicode.IsUpper(rs[2]) {
				rs[2] = 'L'
			} else {
				rs[2] = 'l'
			}
			return string(rs)
		})
	}
	if t := f.Timesheet; t != nil {
		fix(&t.WorkerName)
	}
}

// poorOCR is the reader's confidence under which a scan is poor. The
// reader's confidence of a scan is tesseract's mean word confidence (specks
// left out): 0.85 to 0.95 on a clean page scanned at 300 dpi, where words
// are read right, and below 0.8 on a page that is blurred, speckled,
// heavily compressed or scanned at a low resolution, where one word in
// five or more is in doubt and letters and digits inside the values are
// misread.
const poorOCR = 0.80

// poorScanConf is the most confidence a field read from a poor scan gets:
// under document.low_confidence's threshold (0.5), like a value read
// through an OCR repair (repairedConf), for the rules cannot tell a value
// read right from one misread and a reviewer must check them against the
// document.
const poorScanConf = repairedConf

// scale lowers the fields' confidence by the reader's (OCR) confidence:
// a little on a clean scan, and under the review threshold on a poor one.
func scale(conf map[string]float64, reader float64) {
	if reader <= 0 || reader >= 1 {
		return
	}
	for k, v := range conf {
		v *= 0.5 + reader/2
		if reader < poorOCR {
			v = math.Min(v, poorScanConf)
		}
		conf[k] = pipeline.Round2(v)
	}
}
