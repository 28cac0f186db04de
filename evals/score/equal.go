package score

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The field groups that compare by the spec's special rules; every other
// field compares as a string.
var (
	idFields      = map[string]bool{"agency_siret": true, "client_siret": true, "contract_number": true}
	dateFields    = map[string]bool{"start_date": true, "end_date": true, "period_start": true, "period_end": true}
	decimalFields = map[string]bool{"hourly_rate": true, "weekly_hours": true, "total_hours": true}
)

// decimalTolerance is how far apart two decimals may be and still be equal.
const decimalTolerance = 0.005

// Equal reports whether got is a right value for field when want is the
// ground truth, by the spec's rules ("How values compare") as score-extract
// applies them:
//
//   - strings: NFC, case-folded, accents kept, white space collapsed and
//     trimmed; agency_siret, client_siret and contract_number also drop
//     spaces, dots and dashes. A null (or absent) value equals only a null.
//     A number compares by its Python text (12345, 13.45).
//   - dates (start_date, end_date, period_start, period_end): the first ten
//     characters of got equal want, so "2026-03-02T00:00:00Z" is right.
//   - decimals (hourly_rate, weekly_hours, total_hours): numbers, or strings
//     with a decimal point or comma, within 0.005; null is never right.
//   - entries: the same set of (date, hours) pairs, hours rounded to two
//     places; duplicates and order do not count.
//
// Values of other Go types (structs, typed slices) compare as their JSON.
func Equal(field string, want, got any) bool {
	want, got = plain(want), plain(got)
	switch {
	case field == "entries":
		return equalEntries(want, got)
	case decimalFields[field]:
		a, okA := toFloat(want)
		b, okB := toFloat(got)
		return okA && okB && math.Abs(a-b) <= decimalTolerance
	case dateFields[field]:
		return got != nil && firstRunes(pyStr(got), 10) == pyStr(want)
	}
	a, okA := normString(want, field)
	b, okB := normString(got, field)
	return okA == okB && a == b
}

// plain returns v as encoding/json decodes it into an any, if it is not
// already such a value.
func plain(v any) any {
	switch v.(type) {
	case nil, string, bool, float64, float32, int, int64, json.Number, []any, map[string]any:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return v
	}
	return out
}

// NormalizeString returns s as the spec compares strings: NFC, case-folded,
// white space collapsed and trimmed, and for the identifier fields
// (agency_siret, client_siret, contract_number) without spaces, dots or
// dashes.
func NormalizeString(field, s string) string {
	s = caseFold(norm.NFC.String(s))
	s = strings.Join(strings.FieldsFunc(s, isPySpace), " ")
	if idFields[field] {
		s = strings.NewReplacer(" ", "", ".", "", "-", "").Replace(s)
	}
	return s
}

// normString is NormalizeString for any JSON value; ok is false for null.
func normString(v any, field string) (s string, ok bool) {
	if v == nil {
		return "", false
	}
	return NormalizeString(field, pyStr(v)), true
}

// caseFold is Unicode full case folding. golang.org/x/text folds Cherokee
// capitals (U+13A0–U+13F5) to small letters, which CaseFolding.txt (and
// Python's str.casefold) leaves alone, so those runes pass through.
func caseFold(s string) string {
	isCherokee := func(r rune) bool { return r >= 0x13A0 && r <= 0x13F5 }
	if strings.IndexFunc(s, isCherokee) < 0 {
		return cases.Fold().String(s)
	}
	var b strings.Builder
	for s != "" {
		i := strings.IndexFunc(s, isCherokee)
		if i < 0 {
			i = len(s)
		}
		b.WriteString(cases.Fold().String(s[:i]))
		s = s[i:]
		j := strings.IndexFunc(s, func(r rune) bool { return !isCherokee(r) })
		if j < 0 {
			j = len(s)
		}
		b.WriteString(s[:j])
		s = s[j:]
	}
	return b.String()
}

// equalEntries compares two lists of {date, hours} as sets of pairs.
func equalEntries(want, got any) bool {
	a, okA := entryPairs(want)
	b, okB := entryPairs(got)
	if !okA || !okB || len(a) != len(b) {
		return false
	}
	for p := range a {
		if !b[p] {
			return false
		}
	}
	return true
}

// entryPairs returns the set of (date, hours) pairs of a list of entries;
// items that are not objects are skipped and a value that is not a list is
// an empty set. ok is false when an hours value is NaN, which equals
// nothing, not even itself.
func entryPairs(v any) (set map[string]bool, ok bool) {
	set = map[string]bool{}
	items, _ := v.([]any)
	for _, it := range items {
		e, isObj := it.(map[string]any)
		if !isObj {
			continue
		}
		date := "None"
		if d, present := e["date"]; present && d != nil {
			date = pyStr(d)
		}
		hours := "None"
		if h, isNum := toFloat(e["hours"]); isNum {
			if math.IsNaN(h) {
				return nil, false
			}
			hours = strconv.FormatFloat(h, 'f', 2, 64)
			if hours == "-0.00" {
				hours = "0.00"
			}
		}
		set[date+"\x00"+hours] = true
	}
	return set, true
}

// firstRunes returns the first n runes of s.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
