package score

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/docflow/docflow/evals/dataset"
)

// Options tune Score.
type Options struct {
	// DatasetDir is the dataset's folder, to make absolute result paths
	// relative. When empty, absolute paths match by their trailing path
	// components only.
	DatasetDir string
	// IgnoreCrossDocument leaves out the rule codes that depend on other
	// documents (see CrossDocument), as when documents are extracted one
	// by one without a store of committed contracts.
	IgnoreCrossDocument bool
	// ConfidenceBands are the thresholds of Calibration.Bands;
	// DefaultConfidenceBands when empty.
	ConfidenceBands []float64
	// CalibrationBins is the number of bins of the calibration curve;
	// DefaultCalibrationBins when 0 or less.
	CalibrationBins int
}

// crossDocument holds the codes that need other documents to fire.
var crossDocument = map[string]bool{
	"timesheet.unknown_contract":        true,
	"timesheet.outside_contract_period": true,
	"timesheet.worker_mismatch":         true,
}

// CrossDocument reports whether code is checked against other documents
// (the referenced contract), so that it cannot fire on a lone extraction.
func CrossDocument(code string) bool { return crossDocument[code] }

// formats are the tags that name a document's format.
var formats = []string{"pdf", "scan", "docx", "xlsx", "csv", "txt", "eml"}

// Score compares results with the ground truth of lines, the way
// score-extract does, and returns the metrics. Results are matched to lines
// by file (see Options.DatasetDir) and e-mail attachments by name; when
// several results have the same file, the last one counts, unless the
// manifest lists the file several times too: then its lines take its last
// results in order, so that the runner's results (one per line, in
// manifest order) are each scored against their own line.
func Score(lines []dataset.Line, results []Result, opts Options) *Metrics {
	if len(opts.ConfidenceBands) == 0 {
		opts.ConfidenceBands = DefaultConfidenceBands
	}
	if opts.CalibrationBins <= 0 {
		opts.CalibrationBins = DefaultCalibrationBins
	}
	s := newScorer(opts)
	m := newMatcher(lines, results, opts.DatasetDir)
	for _, l := range lines {
		s.line(l, m.find(l.File))
	}
	s.m.Unused = m.unused()
	return s.finish()
}

// scorer accumulates the metrics of one Score call.
type scorer struct {
	opts Options
	m    *Metrics
	cal  calibrator
}

func newScorer(opts Options) *scorer {
	return &scorer{
		opts: opts,
		cal:  calibrator{bands: opts.ConfidenceBands, bins: opts.CalibrationBins},
		m: &Metrics{
			ByField:    map[string]Accuracy{},
			ByType:     map[string]Accuracy{},
			ByFormat:   map[string]Accuracy{},
			ByLayout:   map[string]Accuracy{},
			ByLanguage: map[string]Accuracy{},
			ByTag:      map[string]Accuracy{},
			Rules:      Rules{ByCode: map[string]CodeStats{}},
			Classification: Classification{
				ByType:    map[string]Accuracy{},
				Confusion: map[string]map[string]int{},
			},
		},
	}
}

// line scores one manifest line given its result (nil if none).
func (s *scorer) line(l dataset.Line, got *Result) {
	file := filepath.Clean(l.File)
	s.m.Lines++
	if got != nil {
		s.m.Cost.add(file, got)
	}
	if l.DocumentType == "refused" {
		gotCode := ""
		if got != nil {
			gotCode = got.Refusal
		}
		ok := got != nil && (gotCode == l.Refusal || l.AcceptsRefusal(gotCode))
		s.refusal(file, "", l.Refusal, gotCode, ok)
		return
	}
	if got == nil {
		s.m.Missing = append(s.m.Missing, file)
	}
	if l.DocumentType != "email" {
		s.document(file, "", l, got, l)
		return
	}
	parts := map[string]*Result{}
	if got != nil {
		for i := range got.Attachments {
			parts[got.Attachments[i].Name] = &got.Attachments[i]
		}
	}
	for _, a := range l.Attachments {
		ga := parts[a.Name]
		if a.DocumentType != "refused" {
			s.document(file, a.Name, a, ga, l)
			continue
		}
		gotCode := ""
		if ga != nil {
			gotCode = ga.Refusal
		}
		// As score-extract: the e-mail's alt_refusal tags apply to its
		// attachments, except to those that must be refused as encrypted;
		// an attachment's own tags are not read.
		ok := gotCode == a.Refusal || (a.Refusal != "encrypted_document" && l.AcceptsRefusal(gotCode))
		s.refusal(file, a.Name, a.Refusal, gotCode, ok)
	}
}

func (s *scorer) refusal(file, name, want, got string, ok bool) {
	s.m.Refusals.count(ok)
	if !ok {
		s.m.Refusals.Wrong = append(s.m.Refusals.Wrong, WrongRefusal{File: file, Name: name, Want: want, Got: got})
	}
}

// document scores a contract, timesheet or other document: truth is its
// ground truth and line the manifest line that carries its tags (the
// e-mail, for an attachment).
func (s *scorer) document(file, name string, truth dataset.Line, got *Result, line dataset.Line) {
	if got == nil {
		got = &Result{}
	}
	s.classify(truth.DocumentType, got.DocumentType)
	groups := []struct {
		m   map[string]Accuracy
		key string
	}{
		{s.m.ByType, truth.DocumentType},
		{s.m.ByFormat, formatOf(line)},
		{s.m.ByLayout, firstTag(line.Tags, func(t string) bool { return strings.Contains(t, "layout") })},
		{s.m.ByLanguage, firstTag(line.Tags, func(t string) bool { return t == "fr" || t == "en" })},
	}
	for _, field := range sortedKeys(truth.Fields) {
		want, value := truth.Fields[field], got.Fields[field]
		ok := Equal(field, want, value)
		s.m.Fields.count(ok)
		bump(s.m.ByField, truth.DocumentType+"."+field, ok)
		for _, g := range groups {
			bump(g.m, g.key, ok)
		}
		for _, t := range line.Tags {
			bump(s.m.ByTag, t, ok)
		}
		conf, hasConf := got.Confidence[field]
		s.cal.add(conf, hasConf, ok)
		if !ok {
			w := WrongField{File: file, Name: name, DocumentType: truth.DocumentType, Field: field, Expected: want, Got: value}
			if hasConf {
				w.Confidence = &conf
			}
			s.m.WrongFields = append(s.m.WrongFields, w)
		}
	}
	s.rules(file, name, truth.ExpectedIssues, got.Issues)
}

func (s *scorer) classify(want, got string) {
	s.m.Classification.count(got == want)
	bump(s.m.Classification.ByType, want, got == want)
	if got == "" {
		got = "none"
	}
	row := s.m.Classification.Confusion[want]
	if row == nil {
		row = map[string]int{}
		s.m.Classification.Confusion[want] = row
	}
	row[got]++
}

// rules counts the codes of one document: every expected code must fire
// (at any severity), and no unexpected code of severity error may. As in
// score-extract, an issue without a severity counts as an error (Issue's
// UnmarshalJSON reads it as "error"), and one whose severity is "" or null
// does not.
func (s *scorer) rules(file, name string, expected []string, issues []Issue) {
	want, fired, errs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range expected {
		want[c] = true
	}
	for _, is := range issues {
		fired[is.Code] = true
		if is.Severity == "error" {
			errs[is.Code] = true
		}
	}
	if s.opts.IgnoreCrossDocument {
		for c := range crossDocument {
			delete(want, c)
			delete(fired, c)
			delete(errs, c)
		}
	}
	r := &s.m.Rules
	for _, c := range sortedKeys(want) {
		cs := r.ByCode[c]
		if fired[c] {
			r.TruePositives++
			cs.TruePositives++
		} else {
			r.FalseNegatives++
			cs.FalseNegatives++
			r.Mistakes = append(r.Mistakes, RuleMistake{File: file, Name: name, Code: c, Kind: Missed})
		}
		r.ByCode[c] = cs
	}
	for _, c := range sortedKeys(errs) {
		if want[c] {
			continue
		}
		cs := r.ByCode[c]
		r.FalsePositives++
		cs.FalsePositives++
		r.ByCode[c] = cs
		r.Mistakes = append(r.Mistakes, RuleMistake{File: file, Name: name, Code: c, Kind: Unexpected})
	}
}

// finish computes the rates.
func (s *scorer) finish() *Metrics {
	m := s.m
	m.Fields.rate()
	for _, g := range []map[string]Accuracy{m.ByField, m.ByType, m.ByFormat, m.ByLayout, m.ByLanguage, m.ByTag, m.Classification.ByType} {
		for k, a := range g {
			a.rate()
			g[k] = a
		}
	}
	m.Refusals.rate()
	m.Classification.rate()
	m.Rules.CodeStats.rate()
	for c, cs := range m.Rules.ByCode {
		cs.rate()
		m.Rules.ByCode[c] = cs
	}
	m.Calibration = s.cal.result()
	m.Cost.finish()
	// Lists encode as [] rather than null when empty.
	m.Missing = nonNil(m.Missing)
	m.Unused = nonNil(m.Unused)
	m.WrongFields = nonNil(m.WrongFields)
	m.Rules.Mistakes = nonNil(m.Rules.Mistakes)
	m.Refusals.Wrong = nonNil(m.Refusals.Wrong)
	m.Cost.PerDocument = nonNil(m.Cost.PerDocument)
	return m
}

// nonNil returns s, or an empty slice for nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *Accuracy) count(ok bool) {
	a.Total++
	if ok {
		a.Correct++
	}
}

func (a *Accuracy) rate() { a.Rate = fraction(a.Correct, a.Total, 1) }

func (c *CodeStats) rate() {
	c.Precision = fraction(c.TruePositives, c.TruePositives+c.FalsePositives, 1)
	c.Recall = fraction(c.TruePositives, c.TruePositives+c.FalseNegatives, 1)
}

// bump counts one answer under key.
func bump(m map[string]Accuracy, key string, ok bool) {
	a := m[key]
	a.count(ok)
	m[key] = a
}

// formatOf is the line's first format tag, else "?", as score-extract
// groups them: the file's extension is not read.
func formatOf(line dataset.Line) string {
	return firstTag(line.Tags, func(t string) bool { return slices.Contains(formats, t) })
}

// firstTag is the first tag that matches, or "?".
func firstTag(tags []string, match func(string) bool) string {
	for _, t := range tags {
		if match(t) {
			return t
		}
	}
	return "?"
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
