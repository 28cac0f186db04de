package desk

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// fieldKind is how a field is edited: text, date, decimal, reason, entries.
func fieldKind(name string) string {
	switch name {
	case "start_date", "end_date", "period_start", "period_end":
		return "date"
	case "hourly_rate", "weekly_hours", "total_hours":
		return "decimal"
	case "reason":
		return "reason"
	case "entries":
		return "entries"
	}
	return "text"
}

// fieldNames lists a type's fields in the spec's order.
func fieldNames(t pipeline.DocumentType) []string {
	switch t {
	case pipeline.TypeContract:
		return pipeline.ContractFields
	case pipeline.TypeTimesheet:
		return pipeline.TimesheetFields
	}
	return nil
}

var reasons = []string{pipeline.ReasonTemporaryIncrease, pipeline.ReasonReplacement, pipeline.ReasonSeasonal, pipeline.ReasonOther}

// corrections reads the task form: each field the form carries ("f.NAME",
// and the entry_date/entry_hours rows when "entries" is present) is parsed
// by its kind and kept only when it differs from current, so that Approve
// gets the fields that changed and nothing else (an emptied field is nil).
func corrections(t pipeline.DocumentType, current map[string]any, form url.Values) (map[string]any, error) {
	out := map[string]any{}
	for _, name := range fieldNames(t) {
		var v any
		var err error
		if name == "entries" {
			if _, ok := form["entries"]; !ok {
				continue
			}
			v, err = parseEntries(form["entry_date"], form["entry_hours"])
		} else {
			raw, ok := form["f."+name]
			if !ok {
				continue
			}
			v, err = parseField(name, strings.TrimSpace(raw[0]))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", derrors.InvalidArgument, name, err)
		}
		if !sameValue(current[name], v) {
			out[name] = v
		}
	}
	return out, nil
}

func parseField(name, s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	switch fieldKind(name) {
	case "date":
		d, err := pipeline.ParseDate(s)
		if err != nil {
			return nil, err
		}
		return d.String(), nil
	case "decimal":
		return parseDecimal(s)
	case "reason":
		if !slices.Contains(reasons, s) {
			return nil, fmt.Errorf("unknown reason %q", s)
		}
	}
	return s, nil
}

// parseDecimal reads 12.5 or 12,5.
func parseDecimal(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("%q is not a positive number", s)
	}
	return pipeline.Round2(f), nil
}

// parseEntries reads the day grid; rows left empty are dropped.
func parseEntries(dates, hours []string) (any, error) {
	if len(dates) != len(hours) {
		return nil, fmt.Errorf("the day grid is incomplete")
	}
	out := []any{}
	for i := range dates {
		ds, hs := strings.TrimSpace(dates[i]), strings.TrimSpace(hours[i])
		if ds == "" && hs == "" {
			continue
		}
		d, err := pipeline.ParseDate(ds)
		if err != nil {
			return nil, fmt.Errorf("row %d: %v", i+1, err)
		}
		h, err := parseDecimal(hs)
		if err != nil {
			return nil, fmt.Errorf("row %d: %v", i+1, err)
		}
		out = append(out, map[string]any{"date": d.String(), "hours": h})
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// sameValue compares a stored value (from Fields.Map) with a parsed one,
// as the spec compares values: decimals within 0.005, entries as sets.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch av := a.(type) {
	case float64:
		bv, ok := b.(float64)
		return ok && math.Abs(av-bv) < 0.005
	case []any:
		bv, ok := b.([]any)
		return ok && sameEntries(av, bv)
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func sameEntries(a, b []any) bool {
	key := func(es []any) []string {
		out := make([]string, 0, len(es))
		for _, e := range es {
			m, _ := e.(map[string]any)
			h, _ := m["hours"].(float64)
			out = append(out, fmt.Sprintf("%v=%.2f", m["date"], h))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}
