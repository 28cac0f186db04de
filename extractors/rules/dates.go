package rules

import (
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/prefilter"
)

// months maps French and English month names and abbreviations, folded, to
// month numbers.
var months = map[string]time.Month{
	"janvier": 1, "janv": 1, "jan": 1, "january": 1,
	"fevrier": 2, "fevr": 2, "fev": 2, "feb": 2, "february": 2,
	"mars": 3, "mar": 3, "march": 3,
	"avril": 4, "avr": 4, "apr": 4, "april": 4,
	"mai": 5, "may": 5,
	"juin": 6, "jun": 6, "june": 6,
	"juillet": 7, "juil": 7, "jul": 7, "july": 7,
	"aout": 8, "aou": 8, "aug": 8, "august": 8,
	"septembre": 9, "sept": 9, "sep": 9, "september": 9,
	"octobre": 10, "oct": 10, "october": 10,
	"novembre": 11, "nov": 11, "november": 11,
	"decembre": 12, "dec": 12, "december": 12,
}

const monthNames = `janvier|janv|jan|january|fevrier|fevr|fev|february|feb|mars|march|mar|avril|avr|april|apr|mai|may|juin|june|jun|juillet|juil|july|jul|aout|aou|august|aug|septembre|september|sept|sep|octobre|october|oct|novembre|november|nov|decembre|december|dec`

// Date patterns, matched on folded text. Each names its parts.
var (
	reISODate   = prefilter.MustCompile(`\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b`)
	reNumDate   = prefilter.MustCompile(`\b(?P<d>\d{1,2})\s?[/.]\s?(?P<m>\d{1,2})\s?[/.]\s?(?P<y>\d{4}|\d{2})\b`)
	reDayMonth  = prefilter.MustCompile(`\b(?P<d>\d{1,2})(?:er|st|nd|rd|th)?\.?\s+(?P<mn>` + monthNames + `)\.?(?:\s*,?\s*(?P<y>\d{4}))?\b`)
	reMonthDay  = prefilter.MustCompile(`\b(?P<mn>` + monthNames + `)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s*,?\s*(?P<y>\d{4}))?\b`)
	reShortDate = prefilter.MustCompile(`\b(?P<d>\d{1,2})/(?P<m>\d{1,2})\b`)
)

// dateMatch is a date found in a folded string, with its byte range.
type dateMatch struct {
	date       pipeline.Date
	start, end int
	// yearless is set when the year was not printed and was guessed.
	yearless bool
}

// findDates returns the dates in a folded string, in order, without
// overlaps. Dates printed without a year take defaultYear (0: skipped).
func findDates(s string, defaultYear int) []dateMatch {
	var out []dateMatch
	taken := make([]bool, len(s)+1)
	patterns := []*prefilter.Regexp{reISODate, reNumDate}
	if defaultYear > 0 {
		patterns = append(patterns, reShortDate)
	}
	patterns = append(patterns, reDayMonth, reMonthDay)
	for _, re := range patterns {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			if overlaps(taken, m[0], m[1]) {
				continue
			}
			get := func(name string) string {
				i := re.SubexpIndex(name)
				if i < 0 || m[2*i] < 0 {
					return ""
				}
				return s[m[2*i]:m[2*i+1]]
			}
			d, yearless, ok := buildDate(get("y"), get("m"), get("mn"), get("d"), defaultYear)
			if !ok {
				continue
			}
			if re == reShortDate && !shortDateContext(s, m[0], m[1]) {
				continue
			}
			for k := m[0]; k < m[1]; k++ {
				taken[k] = true
			}
			out = append(out, dateMatch{date: d, start: m[0], end: m[1], yearless: yearless})
		}
	}
	sortDates(out)
	return out
}

// shortDateContext rejects d/m pairs that are parts of fractions or
// references (1/2, 3/4 pages): the next rune must not be a slash or digit.
func shortDateContext(s string, start, end int) bool {
	if end < len(s) && (s[end] == '/' || s[end] == '.') {
		return false
	}
	return !(start > 0 && (s[start-1] == '/' || s[start-1] == '-'))
}

func overlaps(taken []bool, a, b int) bool {
	for k := a; k < b; k++ {
		if taken[k] {
			return true
		}
	}
	return false
}

func sortDates(ds []dateMatch) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].start < ds[j-1].start; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// buildDate checks and assembles a date from its printed parts.
func buildDate(ys, ms, mn, ds string, defaultYear int) (pipeline.Date, bool, bool) {
	day, err := strconv.Atoi(ds)
	if err != nil {
		return pipeline.Date{}, false, false
	}
	var month time.Month
	if mn != "" {
		month = months[strings.TrimSuffix(mn, ".")]
	} else if m, err := strconv.Atoi(ms); err == nil {
		month = time.Month(m)
	}
	yearless := false
	year := 0
	if ys == "" {
		year, yearless = defaultYear, true
	} else {
		year, _ = strconv.Atoi(ys)
		if year < 100 {
			year += 2000
		}
	}
	if year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 {
		return pipeline.Date{}, false, false
	}
	d := pipeline.NewDate(year, month, day)
	if d.Day() != day {
		return pipeline.Date{}, false, false // 31 February
	}
	return d, yearless, true
}

// parseDate returns the first date in s (raw or folded text).
func parseDate(s string, defaultYear int) (pipeline.Date, bool) {
	ds := findDates(fold(s), defaultYear)
	if len(ds) == 0 {
		return pipeline.Date{}, false
	}
	return ds[0].date, true
}
