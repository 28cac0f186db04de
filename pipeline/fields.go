package pipeline

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// DocumentType is what a document is: contract, timesheet, other or email.
type DocumentType string

// Document types of the spec.
const (
	TypeContract  DocumentType = "contract"
	TypeTimesheet DocumentType = "timesheet"
	TypeOther     DocumentType = "other"
	TypeEmail     DocumentType = "email"
)

// Date is a calendar day, written as ISO 8601 (2026-03-02) in JSON.
type Date struct{ time.Time }

// NewDate returns the Date of year, month, day.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ParseDate parses an ISO 8601 day.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// String returns the ISO 8601 form.
func (d Date) String() string { return d.Format(time.DateOnly) }

// MarshalJSON writes the ISO 8601 day.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads an ISO 8601 day (a longer timestamp is cut to its day).
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: want a string: %w", err)
	}
	if len(s) > 10 {
		s = s[:10]
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Round2 rounds a decimal to two places, as amounts and hours are stored.
func Round2(f float64) float64 { return math.Round(f*100) / 100 }

// Contract holds the fields of an assignment contract (contrat de mission).
type Contract struct {
	ContractNumber string   `json:"contract_number,omitempty"`
	AgencyName     string   `json:"agency_name,omitempty"`
	AgencySIRET    string   `json:"agency_siret,omitempty"`
	ClientName     string   `json:"client_name,omitempty"`
	ClientSIRET    string   `json:"client_siret,omitempty"`
	WorkerName     string   `json:"worker_name,omitempty"`
	JobTitle       string   `json:"job_title,omitempty"`
	StartDate      *Date    `json:"start_date,omitempty"`
	EndDate        *Date    `json:"end_date,omitempty"`
	HourlyRate     *float64 `json:"hourly_rate,omitempty"`
	WeeklyHours    *float64 `json:"weekly_hours,omitempty"`
	WorkLocation   string   `json:"work_location,omitempty"`
	Reason         string   `json:"reason,omitempty"`
}

// Contract reasons of the spec.
const (
	ReasonTemporaryIncrease = "temporary_increase"
	ReasonReplacement       = "replacement"
	ReasonSeasonal          = "seasonal"
	ReasonOther             = "other"
)

// ContractFields lists the contract's fields in the spec's order; all are required.
var ContractFields = []string{
	"contract_number", "agency_name", "agency_siret", "client_name", "client_siret",
	"worker_name", "job_title", "start_date", "end_date", "hourly_rate",
	"weekly_hours", "work_location", "reason",
}

// Entry is one day of a timesheet with the hours worked that day.
type Entry struct {
	Date  Date    `json:"date"`
	Hours float64 `json:"hours"`
}

// Timesheet holds the fields of a timesheet (relevé d'heures).
type Timesheet struct {
	ContractNumber string   `json:"contract_number,omitempty"`
	WorkerName     string   `json:"worker_name,omitempty"`
	ClientName     string   `json:"client_name,omitempty"`
	PeriodStart    *Date    `json:"period_start,omitempty"`
	PeriodEnd      *Date    `json:"period_end,omitempty"`
	Entries        []Entry  `json:"entries,omitempty"`
	TotalHours     *float64 `json:"total_hours,omitempty"`
}

// TimesheetFields lists the timesheet's fields in the spec's order; all are required.
var TimesheetFields = []string{
	"contract_number", "worker_name", "client_name", "period_start", "period_end",
	"entries", "total_hours",
}

// Fields is what was extracted from one document: a contract or a timesheet
// (at most one is set), with a confidence between 0 and 1 per field name
// and where each field was found.
type Fields struct {
	Contract   *Contract          `json:"-"`
	Timesheet  *Timesheet         `json:"-"`
	Confidence map[string]float64 `json:"-"`
	Sources    map[string]Source  `json:"-"`
}

// Source tells where a field's value was found, so that a reviewer can be
// shown it: the page (1-based, 0 when the format has none), the line of the
// read text (1-based) and the text that was matched.
type Source struct {
	Page int    `json:"page,omitempty"`
	Line int    `json:"line,omitempty"`
	Text string `json:"text"`
}

// Map returns the fields as a JSON object keyed by the spec's field names.
func (f Fields) Map() map[string]any {
	var v any
	switch {
	case f.Contract != nil:
		v = f.Contract
	case f.Timesheet != nil:
		v = f.Timesheet
	default:
		return map[string]any{}
	}
	b, _ := json.Marshal(v)
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	return m
}

// FieldsFromMap decodes a JSON object of spec field names into Fields of
// the given type. Unknown names and values of the wrong type are errors.
func FieldsFromMap(t DocumentType, m map[string]any) (Fields, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return Fields{}, err
	}
	return FieldsFromJSON(t, b)
}

// FieldsFromJSON decodes a JSON object of spec field names into Fields.
func FieldsFromJSON(t DocumentType, b []byte) (Fields, error) {
	dec := func(v any) error {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	switch t {
	case TypeContract:
		c := &Contract{}
		if err := dec(c); err != nil {
			return Fields{}, fmt.Errorf("contract fields: %w", err)
		}
		if err := exactNames(b, ContractFields); err != nil {
			return Fields{}, fmt.Errorf("contract fields: %w", err)
		}
		return Fields{Contract: c}, nil
	case TypeTimesheet:
		ts := &Timesheet{}
		if err := dec(ts); err != nil {
			return Fields{}, fmt.Errorf("timesheet fields: %w", err)
		}
		if err := exactNames(b, TimesheetFields); err != nil {
			return Fields{}, fmt.Errorf("timesheet fields: %w", err)
		}
		return Fields{Timesheet: ts}, nil
	}
	return Fields{}, nil
}

// exactNames refuses the names that are the spec's only when case is
// ignored, as encoding/json matches them: "Hourly_Rate" would set
// hourly_rate, or be overwritten by it, while a confidence or a correction
// stays under the wrong name.
func exactNames(b []byte, names []string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	for k := range obj {
		if !slices.Contains(names, k) {
			return fmt.Errorf("json: unknown field %q", k)
		}
	}
	var entries []map[string]json.RawMessage
	if raw, ok := obj["entries"]; ok && json.Unmarshal(raw, &entries) == nil {
		for _, e := range entries {
			for k := range e {
				if k != "date" && k != "hours" {
					return fmt.Errorf("json: unknown field %q in entries", k)
				}
			}
		}
	}
	return nil
}

// Merge returns f with the given corrections laid over it: every name in
// corrections replaces the field of that name (null clears it). The
// corrected values must be ones the spec allows (a reason of its list, no
// negative amount; amounts are rounded to the cent), whichever front end
// sent them; a type without fields takes no correction.
func (f Fields) Merge(t DocumentType, corrections map[string]any) (Fields, error) {
	if t != TypeContract && t != TypeTimesheet && len(corrections) > 0 {
		return Fields{}, fmt.Errorf("a document of type %q has no fields to correct", t)
	}
	m := f.Map()
	for k, v := range corrections {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	out, err := FieldsFromMap(t, m)
	if err != nil {
		return Fields{}, err
	}
	if err := out.checkCorrected(); err != nil {
		return Fields{}, err
	}
	out.Confidence = map[string]float64{}
	for k, v := range f.Confidence {
		out.Confidence[k] = v
	}
	out.Sources = map[string]Source{}
	for k, v := range f.Sources {
		out.Sources[k] = v
	}
	for k := range corrections {
		out.Confidence[k] = 1
		out.Sources[k] = Source{Text: "corrected by a reviewer"}
	}
	return out, nil
}

// checkCorrected refuses values the spec does not allow and rounds
// amounts to the cent.
func (f Fields) checkCorrected() error {
	amount := func(name string, v *float64) error {
		if v == nil {
			return nil
		}
		if *v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) {
			return fmt.Errorf("%s must be a positive number, not %v", name, *v)
		}
		*v = Round2(*v)
		return nil
	}
	if c := f.Contract; c != nil {
		if c.Reason != "" && !slices.Contains([]string{ReasonTemporaryIncrease, ReasonReplacement, ReasonSeasonal, ReasonOther}, c.Reason) {
			return fmt.Errorf("reason must be temporary_increase, replacement, seasonal or other, not %q", c.Reason)
		}
		if err := amount("hourly_rate", c.HourlyRate); err != nil {
			return err
		}
		if err := amount("weekly_hours", c.WeeklyHours); err != nil {
			return err
		}
	}
	if ts := f.Timesheet; ts != nil {
		if err := amount("total_hours", ts.TotalHours); err != nil {
			return err
		}
		for i := range ts.Entries {
			if err := amount("entries.hours", &ts.Entries[i].Hours); err != nil {
				return err
			}
		}
	}
	return nil
}

// ContractKey normalises a contract number for matching, as the spec
// compares them: case-folded, with spaces, dots and dashes dropped, so that
// "CM-2026-004512", "CM 2026 004512" and "cm2026004512" are one contract.
func ContractKey(number string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(number) {
		switch r {
		case ' ', '.', '-', '\t', '\u00a0', '\u2010', '\u2011', '\u2013':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
