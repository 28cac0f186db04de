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
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	// it is open, documents that need the model wait as when the provider
	// fails (see MaxWait), and a probe now and then tells when it is back.
	Breaker *Breaker
	// Observer, when set, hears each call to the model (metrics).
	Observer pipeline.ModelObserver
	// MaxWait bounds how long a document that needs the model waits for a
	// provider that fails transiently (rate limits, 5xx, timeouts, an open
	// breaker), counted from pipeline.WithWaitingSince (the document's
	// arrival): until then the extraction returns a *derrors.RateLimited
	// wrapping ErrModelUnavailable, which the queue turns into a snooze;
	// past it, the rules' fields go to review, their confidence capped.
	// Zero means DefaultMaxWait; a negative value never waits.
	MaxWait time.Duration
	// MaxBackoff caps one snooze (default DefaultMaxBackoff).
	MaxBackoff time.Duration
	// Now returns the time; nil means time.Now.
	Now func() time.Time
}

// ErrModelUnavailable is wrapped in the *derrors.RateLimited returned while
// a document waits for the model.
var ErrModelUnavailable = errors.New("model unavailable")

// Waiting for a failing provider.
const (
	DefaultMaxWait    = time.Hour
	DefaultMaxBackoff = 5 * time.Minute
	// MinBackoff is the shortest snooze.
	MinBackoff = 2 * time.Second
)

// Name names both extractors.
func (e *Extractor) Name() string { return e.Rules.Name() + "+" + e.LLM.Name() }

// Extract returns the cross-checked fields.
func (e *Extractor) Extract(ctx context.Context, t pipeline.DocumentType, c pipeline.Content) (pipeline.Fields, error) {
	f, _, err := e.ExtractMetered(ctx, t, c)
	return f, err
}

// ExtractMetered runs the rules, asks the model when the mode says so, and
// merges. While the provider fails transiently, a document that needs the
// model is not decided: a *derrors.RateLimited (ErrModelUnavailable) is
// returned, so that the queue snoozes the job with a growing, capped
// delay, until the provider is back or MaxWait has passed; then the
// rules' result goes to review, never committed as if checked.
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
		// A confident and complete reading by the rules never needs the
		// model, up or down.
		return rules, rulesRun, nil
	}
	if !e.Breaker.Allow() {
		err := fmt.Errorf("%w: the provider's circuit breaker is open", derrors.Transient)
		return e.unavailable(ctx, mode, t, rules, rulesRun, err, e.Breaker.RetryIn())
	}
	model, run, err := e.askModel(ctx, t, c)
	if err != nil {
		e.Breaker.Failure(err)
		f, r, err := e.failed(ctx, mode, t, rules, rulesRun, run, err)
		switch {
		case run.Spent() == 0 || r.Spent() > 0:
		case err != nil:
			// The parts read before the failure cost tokens that no
			// outcome records: the error carries them to the store.
			err = &pipeline.SpentError{Run: run, Err: err}
		default:
			// The rules' fields are kept; the tokens spent are counted
			// with them.
			r.Model, r.InputTokens, r.OutputTokens, r.CostEstimate = run.Model, run.InputTokens, run.OutputTokens, run.CostEstimate
		}
		return f, r, err
	}
	if run.CacheHit {
		// The provider was not asked: no verdict on it. A probe's claim
		// is given back, so that a real call probes.
		e.Breaker.Release()
	} else {
		e.Breaker.Success()
	}
	run.Extractor = e.Name()
	merged, err := Merge(t, rules, model, c.Text)
	return merged, run, err
}

// failed decides for a document whose model call (run) failed: a
// permanent failure sends the rules' work to review, a transient one makes
// the document wait (unavailable), anything else is the stage's error.
func (e *Extractor) failed(ctx context.Context, mode Mode, t pipeline.DocumentType, rules pipeline.Fields,
	rulesRun, run pipeline.ExtractionRun, err error) (pipeline.Fields, pipeline.ExtractionRun, error) {
	if errors.Is(err, derrors.Permanent) {
		// The model cannot answer this document (invalid answers after a
		// repair, a refused request): a person checks the rules' work.
		slog.Warn("model failed, rules' fields sent to review", "extractor", e.LLM.Name(), "err", err)
		run.Extractor = e.Rules.Name()
		return distrust(mode, rules, "the model gave no usable answer"), run, nil
	}
	if errors.Is(err, derrors.Transient) {
		var hint time.Duration
		var rl *derrors.RateLimited
		if errors.As(err, &rl) {
			hint = rl.RetryAfter
		}
		return e.unavailable(ctx, mode, t, rules, rulesRun, err, hint)
	}
	return pipeline.Fields{}, run, fmt.Errorf("llm: %w", err)
}

func (e *Extractor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// unavailable decides for a document whose model is unavailable: it waits
// (a rate limit error, which the queue turns into a snooze of a delay that
// grows with the time already waited, at least the provider's hint, at
// most MaxBackoff), or, once MaxWait has passed since the document
// arrived, it gets the rules' fields, distrusted, for a person to check.
func (e *Extractor) unavailable(ctx context.Context, mode Mode, t pipeline.DocumentType, rules pipeline.Fields,
	rulesRun pipeline.ExtractionRun, cause error, hint time.Duration) (pipeline.Fields, pipeline.ExtractionRun, error) {
	now := e.now()
	since, ok := pipeline.WaitingSinceFromContext(ctx)
	if !ok || since.After(now) {
		since = now
	}
	waited, limit := now.Sub(since), e.MaxWait
	if limit == 0 {
		limit = DefaultMaxWait
	}
	if limit < 0 || waited >= limit {
		slog.Warn("model unavailable past the wait bound, rules' fields sent to review", "extractor", e.LLM.Name(),
			"waited", waited.Round(time.Second), "err", cause)
		return distrust(mode, rules, fmt.Sprintf("the model was unavailable for %s", waited.Round(time.Second))), rulesRun, nil
	}
	d := Backoff(waited, hint, e.MaxBackoff)
	// Come back at the bound at the latest, to decide then.
	d = max(min(d, limit-waited+time.Second), time.Second)
	return pipeline.Fields{}, rulesRun, &derrors.RateLimited{RetryAfter: d, Err: fmt.Errorf("%w: %w", ErrModelUnavailable, cause)}
}

// Backoff is the snooze of a document that has waited for the model for
// waited: half of that (so the tries thin out geometrically), at least
// MinBackoff and the provider's hint, at most ceiling (DefaultMaxBackoff
// when 0) unless the hint is longer; plus a jitter of up to a quarter, so
// that waiting documents do not all come back at once.
func Backoff(waited, hint, ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		ceiling = DefaultMaxBackoff
	}
	d := min(max(waited/2, MinBackoff, hint), max(ceiling, hint))
	return d + time.Duration(rand.Int64N(int64(d/4)+1))
}

// distrust caps the confidence of the fields that the model should have
// checked under the review threshold, and says why in their sources:
// every field in Always mode; in Fallback mode only those the rules were
// unsure of (the rules' confident fields would not have been asked about).
func distrust(mode Mode, f pipeline.Fields, why string) pipeline.Fields {
	conf := map[string]float64{}
	sources := map[string]pipeline.Source{}
	for k, v := range f.Sources {
		sources[k] = v
	}
	for k, v := range f.Confidence {
		conf[k] = v
		if mode == Fallback && v >= Unsure {
			continue
		}
		conf[k] = math.Min(v, Unchecked)
		s := sources[k]
		s.Text = strings.TrimSpace(fmt.Sprintf("not checked: %s. %s", why, s.Text))
		sources[k] = s
	}
	f.Confidence, f.Sources = conf, sources
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
//
// The model extractor's own confidence in a field bounds what the merge
// gives it: a field only the model read never gets more than that
// confidence (an extractor that distrusts its answer, as the llm extractor
// does when the model flags a possible prompt injection, keeps it under
// review), and agreeing with a field the model extractor is unsure of
// (under Unsure) does not raise the rules' confidence. In both cases the
// model's Source note for the field is kept.
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
		case inR && inM && Same(k, rv, mv) && modelConf(model, k) < Unsure:
			out[k], conf[k] = rv, rules.Confidence[k]
			sources[k] = withNote(sources[k], model.Sources[k].Text)
		case inR && inM && Same(k, rv, mv):
			out[k], conf[k] = rv, math.Max(Agreed, rules.Confidence[k])
		case inR && inM:
			out[k], conf[k] = rv, Disputed
			s := sources[k]
			s.Text = strings.TrimSpace(fmt.Sprintf("candidates: rules %v, model %v. %s", show(rv), show(mv), s.Text))
			sources[k] = withNote(s, model.Sources[k].Text)
		case inR:
			out[k], conf[k] = rv, rules.Confidence[k]
		default:
			out[k], conf[k] = mv, Ungrounded
			if Grounded(k, mv, text) {
				conf[k] = Found
			}
			conf[k] = math.Min(conf[k], modelConf(model, k))
			sources[k] = withNote(pipeline.Source{Text: fmt.Sprintf("read by the model only: %v", show(mv))}, model.Sources[k].Text)
		}
	}
	f, err := pipeline.FieldsFromMap(t, out)
	if err != nil {
		return pipeline.Fields{}, err
	}
	f.Confidence, f.Sources = conf, sources
	return f, nil
}

// modelConf is the model extractor's confidence in field k; 1 (no bound)
// when it gives none.
func modelConf(model pipeline.Fields, k string) float64 {
	if c, ok := model.Confidence[k]; ok {
		return c
	}
	return 1
}

// withNote adds the model extractor's note on a field to its source.
func withNote(s pipeline.Source, note string) pipeline.Source {
	note = strings.TrimSpace(note)
	if note == "" || strings.Contains(s.Text, note) {
		return s
	}
	s.Text = strings.TrimSpace(strings.TrimSuffix(s.Text, ".") + ". " + note)
	return s
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
// in one of the forms documents print it, as a whole token: text and value
// NFC, case-folded, white space collapsed; the match has no letter or
// digit directly on either side, nor a number joined to it by a
// separator (so 12 is not found in 12/03/2026 or 11,12), except that a
// number may be followed by a unit's letters (35h, 13,45eur) that no digit
// follows (12 is not found in 12h30). SIRET and
// contract numbers are also found with spaces, dots and dashes anywhere
// (73282932000074 in "732 829 320 00074").
func Grounded(field string, v any, text string) bool {
	flat := fold(text)
	_, number := v.(float64)
	for _, form := range forms(field, v) {
		f := fold(form)
		if f == "" {
			continue
		}
		var re *regexp.Regexp
		switch field {
		case "agency_siret", "client_siret", "contract_number":
			var b strings.Builder
			for i, r := range idSeparators.Replace(f) {
				if i > 0 {
					b.WriteString(`[ .\-]*`)
				}
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
			if b.Len() == 0 {
				continue
			}
			re = regexp.MustCompile(b.String())
		default:
			re = regexp.MustCompile(regexp.QuoteMeta(f))
		}
		if wholeToken(flat, re, number) {
			return true
		}
	}
	return false
}

var idSeparators = strings.NewReplacer(" ", "", ".", "", "-", "")

func fold(s string) string {
	return strings.Join(strings.Fields(cases.Fold().String(norm.NFC.String(s))), " ")
}

// wholeToken reports whether re matches somewhere in s as a whole token
// (a number's, with unit set: see bounded).
func wholeToken(s string, re *regexp.Regexp, unit bool) bool {
	for pos := 0; pos < len(s); {
		loc := re.FindStringIndex(s[pos:])
		if loc == nil {
			return false
		}
		start, end := pos+loc[0], pos+loc[1]
		if end > start && bounded(s, start, end, unit) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[start:])
		pos = start + max(size, 1)
	}
	return false
}

// bounded reports whether s[start:end] stands alone: no letter or digit
// directly before or after it, nor a separator that joins it to a digit
// (12/03, 11,50, 03.12, 8:30, 2026-03). With unit set, letters may follow
// when no digit follows them (35h, not 12h30).
func bounded(s string, start, end int, unit bool) bool {
	if before, size := utf8.DecodeLastRuneInString(s[:start]); start > 0 {
		if isWord(before) {
			return false
		}
		if joiner(before) {
			if r, _ := utf8.DecodeLastRuneInString(s[:start-size]); start-size > 0 && unicode.IsDigit(r) {
				return false
			}
		}
	}
	if after, size := utf8.DecodeRuneInString(s[end:]); end < len(s) {
		if unit && unicode.IsLetter(after) {
			rest := strings.TrimLeftFunc(s[end:], unicode.IsLetter)
			r, _ := utf8.DecodeRuneInString(rest)
			return rest == "" || !unicode.IsDigit(r)
		}
		if isWord(after) {
			return false
		}
		if joiner(after) {
			if r, _ := utf8.DecodeRuneInString(s[end+size:]); end+size < len(s) && unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func joiner(r rune) bool { return strings.ContainsRune("/,.:-", r) }

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

// dateForms lists how a date is printed: ISO, day first (02/01/2006 is 2
// January, as in French documents), in words. The month-first form
// (01/02/2006) only when the day cannot be a month (day > 12): otherwise
// it is the day-first form of another date.
func dateForms(d pipeline.Date) []string {
	out := []string{
		d.Format("2006-01-02"), d.Format("02/01/2006"), d.Format("02.01.2006"),
		fmt.Sprintf("%d %s %d", d.Day(), frMonths[d.Month()-1], d.Year()),
		d.Format("January 2, 2006"), d.Format("2 January 2006"), d.Format("Jan 2, 2006"),
	}
	if d.Day() > 12 {
		out = append(out, d.Format("01/02/2006"))
	}
	return out
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
