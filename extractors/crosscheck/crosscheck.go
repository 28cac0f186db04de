// Package crosscheck combines the offline rules extractor with an LLM
// extractor, field by field: agreement raises a field's confidence;
// disagreement keeps the rules' value (rules never follow instructions
// hidden in a document), lowers the confidence so that the field goes to
// review, and shows both candidates; a value the model gives that cannot
// be found in the document's text is distrusted (grounding check).
package crosscheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Mode says when the model is asked.
type Mode string

// Modes of a tenant or a deployment.
const (
	// RulesOnly never calls the model.
	RulesOnly Mode = "rules"
	// Always calls the model for every contract and timesheet.
	Always Mode = "always"
	// Fallback calls the model only when the rules miss a field or are
	// unsure of one.
	Fallback Mode = "fallback"
)

// Confidences given by the cross-check.
const (
	Agreed     = 0.97 // both extractors read the same value
	Disputed   = 0.3  // they differ: a person decides
	Ungrounded = 0.3  // only the model has it, and it is not in the text
	Found      = 0.7  // only the model has it, and the text shows it
	// Unsure is the rules' confidence under which Fallback asks the model.
	Unsure = 0.75
	// Unchecked caps the rules' fields while the provider is down.
	Unchecked = 0.45
)

// Extractor cross-checks Rules with LLM. It implements
// pipeline.MeteredExtractor.
type Extractor struct {
	Rules pipeline.Extractor
	LLM   pipeline.MeteredExtractor
	// Mode is the deployment's; a tenant's (pipeline.WithLLMMode) wins.
	Mode Mode
	// Breaker, when set, stops asking a provider that keeps failing: while
	// it is open, documents get the rules' fields with their confidence
	// capped under the review threshold, so a person checks them.
	Breaker *Breaker
	// Observer, when set, hears each call to the model (metrics).
	Observer pipeline.ModelObserver
}

// Name names both extractors.
func (e *Extractor) Name() string { return e.Rules.Name() + "+" + e.LLM.Name() }

// Extract returns the cross-checked fields.
func (e *Extractor) Extract(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (pipeline.Fields, error) {
	f, _, err := e.ExtractMetered(ctx, t, c)
	return f, err
}

// ExtractMetered runs the rules, asks the model when the mode says so, and
// merges. A failure of the model is returned (the queue retries or
// snoozes the job); the rules' result is never committed as if checked.
func (e *Extractor) ExtractMetered(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (pipeline.Fields, pipeline.ExtractionRun, error) {
	start := time.Now()
	rules, err := e.Rules.Extract(ctx, t, c)
	if err != nil {
		return pipeline.Fields{}, pipeline.ExtractionRun{}, err
	}
	mode := e.Mode
	if m := Mode(pipeline.LLMModeFromContext(ctx)); m != "" {
		mode = m
	}
	rulesRun := pipeline.ExtractionRun{Extractor: e.Rules.Name(), Latency: time.Since(start)}
	if mode == RulesOnly || (mode == Fallback && complete(t, rules)) {
		return rules, rulesRun, nil
	}
	if !e.Breaker.Allow() {
		return distrusted(rules), rulesRun, nil
	}
	model, run, err := e.askModel(ctx, t, c)
	if err != nil {
		if e.Breaker.Failure(err) {
			return distrusted(rules), rulesRun, nil
		}
		if errors.Is(err, derrors.Permanent) {
			// The model cannot answer this document (invalid answers after
			// a repair, a refused request): a person checks the rules' work.
			slog.Warn("model failed, rules' fields sent to review", "extractor", e.LLM.Name(), "err", err)
			run.Extractor = e.Rules.Name()
			return distrusted(rules), run, nil
		}
		return pipeline.Fields{}, run, fmt.Errorf("llm: %w", err)
	}
	e.Breaker.Success()
	run.Extractor = e.Name()
	merged, err := Merge(t, rules, model, c.Text)
	return merged, run, err
}

// distrusted caps every confidence under the review threshold: the model
// that should have checked these fields could not be asked.
func distrusted(f pipeline.Fields) pipeline.Fields {
	conf := map[string]float64{}
	for k, v := range f.Confidence {
		conf[k] = math.Min(v, Unchecked)
	}
	f.Confidence = conf
	return f
}

// complete reports whether the rules found every required field with
// enough confidence.
func complete(t pipeline.DocumentType, f pipeline.Fields) bool {
	names := pipeline.ContractFields
	if t == pipeline.TypeTimesheet {
		names = pipeline.TimesheetFields
	}
	m := f.Map()
	for _, n := range names {
		if _, ok := m[n]; !ok || f.Confidence[n] < Unsure {
			return false
		}
	}
	return true
}

// Merge combines the rules' and the model's fields of one document.
func Merge(t pipeline.DocumentType, rules, model pipeline.Fields, text string) (pipeline.Fields, error) {
	r, m := rules.Map(), model.Map()
	out := map[string]any{}
	conf := map[string]float64{}
	sources := map[string]pipeline.Source{}
	for k, v := range rules.Sources {
		sources[k] = v
	}
	names := map[string]bool{}
	for k := range r {
		names[k] = true
	}
	for k := range m {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rv, inR := r[k]
		mv, inM := m[k]
		switch {
		case inR && inM && Same(k, rv, mv):
			out[k], conf[k] = rv, math.Max(Agreed, rules.Confidence[k])
		case inR && inM:
			out[k], conf[k] = rv, Disputed
			s := sources[k]
			s.Text = strings.TrimSpace(fmt.Sprintf("candidates: rules %v, model %v. %s", show(rv), show(mv), s.Text))
			sources[k] = s
		case inR:
			out[k], conf[k] = rv, rules.Confidence[k]
		default:
			out[k], conf[k] = mv, Ungrounded
			if Grounded(k, mv, text) {
				conf[k] = Found
			}
			sources[k] = pipeline.Source{Text: fmt.Sprintf("read by the model only: %v", show(mv))}
		}
	}
	f, err := pipeline.FieldsFromMap(t, out)
	if err != nil {
		return pipeline.Fields{}, err
	}
	f.Confidence, f.Sources = conf, sources
	return f, nil
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// Same compares two values of a field as the spec does: strings NFC,
// case-folded, white space collapsed (SIRET and contract numbers without
// spaces, dots and dashes); dates as days; decimals within 0.005; entries
// as sets of (date, hours).
func Same(field string, a, b any) bool {
	switch av := a.(type) {
	case float64:
		bv, ok := b.(float64)
		return ok && math.Abs(av-bv) <= 0.005
	case string:
		bv, ok := b.(string)
		return ok && normalise(field, av) == normalise(field, bv)
	case []any:
		bv, ok := b.([]any)
		return ok && entrySet(av) == entrySet(bv)
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func normalise(field, s string) string {
	s = strings.Join(strings.Fields(cases.Fold().String(norm.NFC.String(s))), " ")
	switch field {
	case "agency_siret", "client_siret", "contract_number":
		s = strings.NewReplacer(" ", "", ".", "", "-", "").Replace(s)
	}
	return s
}

func entrySet(xs []any) string {
	var parts []string
	for _, x := range xs {
		m, _ := x.(map[string]any)
		h, _ := m["hours"].(float64)
		parts = append(parts, fmt.Sprintf("%v=%.2f", m["date"], h))
	}
	sort.Strings(parts)
	return strings.Join(parts, ";")
}

// Grounded reports whether a value can be found in the document's text,
// in one of the forms documents print it.
func Grounded(field string, v any, text string) bool {
	flat := strings.Join(strings.Fields(cases.Fold().String(norm.NFC.String(text))), " ")
	digits := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(flat)
	for _, form := range forms(field, v) {
		f := strings.Join(strings.Fields(cases.Fold().String(norm.NFC.String(form))), " ")
		if f != "" && (strings.Contains(flat, f) || strings.Contains(digits, strings.NewReplacer(" ", "", ".", "", "-", "").Replace(f))) {
			return true
		}
	}
	return false
}

// forms lists how a value may be printed.
func forms(field string, v any) []string {
	switch x := v.(type) {
	case float64:
		out := []string{fmt.Sprintf("%.2f", x), strings.Replace(fmt.Sprintf("%.2f", x), ".", ",", 1)}
		if x == math.Trunc(x) {
			out = append(out, fmt.Sprintf("%.0f", x))
		}
		if frac := x - math.Trunc(x); frac > 0 {
			out = append(out, fmt.Sprintf("%.1f", x), strings.Replace(fmt.Sprintf("%.1f", x), ".", ",", 1),
				fmt.Sprintf("%dh%02d", int(x), int(math.Round(frac*60))))
		}
		return out
	case string:
		if d, err := pipeline.ParseDate(x); err == nil {
			return dateForms(d)
		}
		return []string{x}
	}
	return nil
}

var frMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

func dateForms(d pipeline.Date) []string {
	return []string{
		d.Format("2006-01-02"), d.Format("02/01/2006"), d.Format("02.01.2006"), d.Format("01/02/2006"),
		fmt.Sprintf("%d %s %d", d.Day(), frMonths[d.Month()-1], d.Year()),
		d.Format("January 2, 2006"), d.Format("2 January 2006"), d.Format("Jan 2, 2006"),
	}
}

// askModel asks the model in a span of the document's trace, and tells the
// observer how the call went. The span carries the model's name and token
// counts, never the document's text.
func (e *Extractor) askModel(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (pipeline.Fields, pipeline.ExtractionRun, error) {
	ctx, span := otel.Tracer("github.com/docflow/docflow/extractors/crosscheck").Start(ctx, "llm",
		trace.WithAttributes(attribute.String("llm.extractor", e.LLM.Name()), attribute.String("document.type", string(t))))
	defer span.End()
	model, run, err := e.LLM.ExtractMetered(ctx, t, c)
	span.SetAttributes(attribute.String("llm.model", run.Model), attribute.Int("llm.input_tokens", run.InputTokens),
		attribute.Int("llm.output_tokens", run.OutputTokens), attribute.Bool("llm.cache_hit", run.CacheHit))
	if err != nil {
		span.SetStatus(codes.Error, "model call failed")
	}
	if e.Observer != nil {
		e.Observer.ModelCalled(run, err)
	}
	return model, run, err
}
