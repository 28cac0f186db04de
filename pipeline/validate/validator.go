// Package validate runs the rules of the spec (shared/spec/documents.md) on
// the fields extracted from a contract or a timesheet, and on the document's
// text, and returns their findings as pipeline.Issue values with the spec's
// rule codes and severities, and messages in English and French.
//
// The thresholds are per-tenant settings (Config); the cross-document rules
// use a pipeline.ContractLookup scoped to the tenant.
package validate

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/docflow/docflow/pipeline"
)

// Validator implements pipeline.Validator with one tenant's thresholds.
// It is safe for concurrent use.
type Validator struct {
	cfg Config
	err error
}

var _ pipeline.Validator = (*Validator)(nil)

// New returns a Validator for cfg, with zero thresholds set to their
// defaults. If cfg is invalid, every call to Validate returns the error of
// Config.Validate; check it first to fail early.
func New(cfg Config) *Validator {
	cfg = cfg.WithDefaults()
	return &Validator{cfg: cfg, err: cfg.Validate()}
}

// Config returns the thresholds the Validator applies.
func (v *Validator) Config() Config { return v.cfg }

// Validate runs every rule that applies to in.Type and returns the findings
// in the order of the spec's table, then by field; it returns an empty
// slice when nothing fires. Only a failed contract lookup or an invalid
// Config gives an error.
func (v *Validator) Validate(ctx context.Context, in pipeline.ValidationInput) ([]pipeline.Issue, error) {
	if v.err != nil {
		return nil, fmt.Errorf("validation config: %w", v.err)
	}
	if len(in.Rules) > 0 {
		tv, err := v.withRules(in.Rules)
		if err != nil {
			return nil, fmt.Errorf("tenant rules: %w", err)
		}
		v = tv
	}
	issues := []pipeline.Issue{}
	var required []string
	switch in.Type {
	case pipeline.TypeContract:
		required = pipeline.ContractFields
		issues = append(issues, v.contractIssues(in.Fields.Contract)...)
	case pipeline.TypeTimesheet:
		required = pipeline.TimesheetFields
		issues = append(issues, v.timesheetIssues(in.Fields.Timesheet)...)
		cross, err := v.crossIssues(ctx, in.Fields.Timesheet, in.Contracts)
		if err != nil {
			return nil, err
		}
		issues = append(issues, cross...)
	}
	if f, ok := detectInjection(in.Text); ok {
		issues = append(issues, injectionIssue(f))
	}
	issues = append(issues, v.lowConfidenceIssues(in.Fields, required)...)
	sortIssues(issues)
	return issues, nil
}

// CheckRules tells whether a tenant's thresholds (JSON of Config's
// fields; absent ones keep this Validator's values) are valid.
func (v *Validator) CheckRules(rules json.RawMessage) error {
	_, err := v.withRules(rules)
	return err
}

// withRules returns a Validator with a tenant's thresholds laid over v's.
func (v *Validator) withRules(rules json.RawMessage) (*Validator, error) {
	cfg := v.cfg
	dec := json.NewDecoder(bytes.NewReader(rules))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("reading the thresholds: %v", err)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Validator{cfg: cfg}, nil
}

// sortIssues orders issues by the spec's table, then by their first field
// in the spec's field order.
func sortIssues(issues []pipeline.Issue) {
	slices.SortStableFunc(issues, func(a, b pipeline.Issue) int {
		return cmp.Or(
			cmp.Compare(codeRank(a.Code), codeRank(b.Code)),
			cmp.Compare(fieldRank(a.Fields), fieldRank(b.Fields)),
		)
	})
}

// codeRank is a code's row in the spec's table; unknown codes go last.
func codeRank(code string) int {
	if i := slices.IndexFunc(rules, func(r rule) bool { return r.code == code }); i >= 0 {
		return i
	}
	return len(rules)
}

// fieldRank is the position of the first field in the spec's field lists.
func fieldRank(fields []string) int {
	if len(fields) == 0 {
		return -1
	}
	if i := slices.Index(pipeline.ContractFields, fields[0]); i >= 0 {
		return i
	}
	if i := slices.Index(pipeline.TimesheetFields, fields[0]); i >= 0 {
		return i
	}
	return len(pipeline.ContractFields)
}
