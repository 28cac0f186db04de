package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// Content is what a reader got out of a file.
type Content struct {
	// Text is the readable text with its layout kept: table cells stay on
	// one line, separated by runs of spaces or tabs.
	Text string
	// Format is the format the bytes were found to be: pdf, scan, docx,
	// xlsx, csv, txt or eml.
	Format string
	// Pages is the number of pages (sheets for a workbook), 0 when unknown.
	Pages int
	// Confidence is how sure the reader is of the text, 0..1 (OCR lowers it).
	Confidence float64
	// Parts are the documents an email carries: attachments, and the body
	// when the body carries the content. Empty for other formats.
	Parts []Part
	// Images are pages read by OCR, as the reader cleaned them, for a
	// vision-capable model; only when the reader is asked to keep them.
	Images []PageImage
}

// PageImage is one page as an image.
type PageImage struct {
	Page      int
	MediaType string
	Data      []byte
}

// Part is one document carried by an email.
type Part struct {
	// Name is the attachment's file name, or "(body)" for the message body.
	Name string
	// Data is the decoded content.
	Data []byte
}

// BodyPartName names the part made from an email's body.
const BodyPartName = "(body)"

// Reader turns a file's bytes into Content, or refuses them with a
// *derrors.Refusal. name is the file name as given; readers sniff the bytes
// and do not trust its extension.
type Reader interface {
	Read(ctx context.Context, name string, data []byte) (Content, error)
}

// Classifier tells what kind of document a text is, with a score 0..1.
type Classifier interface {
	Classify(c Content) (DocumentType, float64)
}

// ContextClassifier is a Classifier that needs the context (the tenant in
// it, to compare with the tenant's documents); the Analyzer prefers it.
type ContextClassifier interface {
	ClassifyContext(ctx context.Context, c Content) (DocumentType, float64)
}

// Extractor extracts the spec's fields of a contract or a timesheet.
type Extractor interface {
	// Name identifies the extractor and its version in extraction runs.
	Name() string
	Extract(ctx context.Context, t DocumentType, c Content) (Fields, error)
}

// MeteredExtractor is an Extractor that also reports what its run cost
// (model, prompt, tokens, latency); the pipeline stores it with the
// extraction run.
type MeteredExtractor interface {
	Extractor
	ExtractMetered(ctx context.Context, t DocumentType, c Content) (Fields, ExtractionRun, error)
}

// ContractLookup finds the committed contract of a number, within one
// tenant. It returns (nil, nil) when there is none.
type ContractLookup interface {
	CommittedContract(ctx context.Context, contractNumber string) (*Contract, error)
}

// ValidationInput is what the rules look at.
type ValidationInput struct {
	Type   DocumentType
	Fields Fields
	// Text is the document's text, for rules that look at it (prompt injection).
	Text string
	// Contracts finds committed contracts for cross-document rules; nil
	// skips those rules.
	Contracts ContractLookup
	// Rules are the tenant's thresholds as JSON (TenantSettings.Rules);
	// empty means the validator's defaults.
	Rules json.RawMessage
}

// Validator runs the spec's rules and returns their findings.
type Validator interface {
	Validate(ctx context.Context, in ValidationInput) ([]Issue, error)
	// CheckRules tells whether a tenant's thresholds are valid, in a
	// plain-sentence error.
	CheckRules(rules json.RawMessage) error
}

// Analyzer runs the in-process stages: read, classify, extract, validate.
// The pipeline's process job, the CLI and the evaluation harness all call it.
type Analyzer struct {
	Reader     Reader
	Classifier Classifier
	Extractor  Extractor
	Validator  Validator
}

// Analysis is the outcome of Analyze.
type Analysis struct {
	Type      DocumentType
	TypeScore float64
	Format    string
	Pages     int
	Fields    Fields
	Issues    []Issue
	Extractor string
	// Run is the extraction's cost, when the extractor reports it.
	Run ExtractionRun
	// Text is the read text, for the stages after the analysis.
	Text string
	// Parts are the documents an email carries; they are analysed on their own.
	Parts   []Part
	Timings Timings
}

// Timings records how long each stage took.
type Timings struct {
	Read     time.Duration `json:"read_ns"`
	Classify time.Duration `json:"classify_ns"`
	Extract  time.Duration `json:"extract_ns"`
	Validate time.Duration `json:"validate_ns"`
}

// Analyze reads, classifies, extracts and validates one file. A refused
// input returns a *derrors.Refusal. An email returns Type email and its Parts,
// unextracted.
func (a Analyzer) Analyze(ctx context.Context, name string, data []byte, contracts ContractLookup, rules json.RawMessage) (Analysis, error) {
	var out Analysis
	t0 := time.Now()
	span := startSpan(ctx, "read")
	c, err := a.Reader.Read(ctx, name, data)
	out.Timings.Read = time.Since(t0)
	span.end(err, attribute.String("document.format", c.Format), attribute.Int("document.pages", c.Pages))
	if err != nil {
		return out, fmt.Errorf("read: %w", err)
	}
	out.Format, out.Pages, out.Text = c.Format, c.Pages, c.Text
	if c.Format == "eml" {
		out.Type, out.TypeScore, out.Parts = TypeEmail, 1, c.Parts
		return out, nil
	}
	t0 = time.Now()
	span = startSpan(ctx, "classify")
	if cc, ok := a.Classifier.(ContextClassifier); ok {
		out.Type, out.TypeScore = cc.ClassifyContext(span.ctx, c)
	} else {
		out.Type, out.TypeScore = a.Classifier.Classify(c)
	}
	out.Timings.Classify = time.Since(t0)
	span.end(nil, attribute.String("document.type", string(out.Type)), attribute.Float64("document.type_score", out.TypeScore))
	if out.Type != TypeContract && out.Type != TypeTimesheet {
		return out, nil
	}
	t0 = time.Now()
	span = startSpan(ctx, "extract")
	if m, ok := a.Extractor.(MeteredExtractor); ok {
		out.Fields, out.Run, err = m.ExtractMetered(span.ctx, out.Type, c)
	} else {
		out.Fields, err = a.Extractor.Extract(span.ctx, out.Type, c)
	}
	out.Timings.Extract = time.Since(t0)
	out.Extractor = a.Extractor.Name()
	span.end(err, attribute.String("extractor", out.Extractor))
	if err != nil {
		return out, fmt.Errorf("extract: %w", err)
	}
	t0 = time.Now()
	span = startSpan(ctx, "validate")
	out.Issues, err = a.Validator.Validate(span.ctx, ValidationInput{Type: out.Type, Fields: out.Fields, Text: c.Text, Contracts: contracts, Rules: rules})
	out.Timings.Validate = time.Since(t0)
	span.end(err, attribute.Int("issues", len(out.Issues)))
	if err != nil {
		return out, fmt.Errorf("validate: %w", err)
	}
	return out, nil
}
