package rules

import (
	"math"
	"strconv"
	"strings"

	"github.com/docflow/docflow/pipeline/prefilter"
)

// reDecimal finds a decimal number with a comma or a point, or an integer;
// thousands separated by a space or a dot are not expected in rates and hours.
var reDecimal = prefilter.MustCompile(`\d+(?:[.,]\d+)?`)

// parseDecimal returns the first number in s ("13,45", "13.45", "35").
func parseDecimal(s string) (float64, bool) {
	m := reDecimal.FindString(s)
	if m == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", "."), 64)
	return f, err == nil
}

// hoursToken is an amount of time found in a folded line.
type hoursToken struct {
	hours      float64
	start, end int // byte range in the folded line
	// clock is set for HH:MM, which may be a time of day rather than a duration.
	clock bool
	// unit is set when the amount carries an hour unit (h, hours, heures).
	unit bool
	// integer is set for a bare whole number.
	integer bool
}

// reHours finds amounts of hours: 7h30, 7 h 30, 8h, 7:30, 7,50, 7.5, 35
// hours. Groups: 1-2 "7h30", 3-4 clock, 5 decimal, 6 unit after a decimal
// or integer.
var reHours = prefilter.MustCompile(`\b(\d{1,3})\s?h\s?(\d{2})?(?:\b|$)|\b(\d{1,2}):(\d{2})\b|\b(\d{1,3}(?:[.,]\d{1,2})?)(\s*(?:hours?|heures?|hrs?)\b)?`)

// findHours returns the amounts of time in a folded line.
func findHours(s string) []hoursToken {
	var out []hoursToken
	for _, m := range reHours.FindAllStringSubmatchIndex(s, -1) {
		g := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		t := hoursToken{start: m[0], end: m[1]}
		switch {
		case g(1) != "":
			h, _ := strconv.Atoi(g(1))
			mins := 0
			if g(2) != "" {
				mins, _ = strconv.Atoi(g(2))
			}
			if mins >= 60 {
				continue
			}
			t.hours, t.unit = float64(h)+float64(mins)/60, true
		case g(3) != "":
			h, _ := strconv.Atoi(g(3))
			mins, _ := strconv.Atoi(g(4))
			if mins >= 60 {
				continue
			}
			t.hours, t.clock = float64(h)+float64(mins)/60, true
		default:
			f, err := strconv.ParseFloat(strings.ReplaceAll(g(5), ",", "."), 64)
			if err != nil {
				continue
			}
			t.hours = f
			t.unit = g(6) != ""
			t.integer = !strings.ContainsAny(g(5), ".,")
		}
		t.hours = math.Round(t.hours*100) / 100
		out = append(out, t)
	}
	return out
}

// parseHours reads one amount of hours from s ("7h30" → 7.5).
func parseHours(s string) (float64, bool) {
	ts := findHours(fold(s))
	if len(ts) == 0 {
		return 0, false
	}
	return ts[0].hours, true
}

// repairedConf is the confidence of a value read through an OCR repair:
// low enough (below 0.5) that document.low_confidence sends it to review.
const repairedConf = 0.45

// Plausible gross hourly rates in EUR: a printed rate outside is taken for
// misread rather than kept.
const (
	minRate, maxRate = 5.0, 200.0
)

// parseRate reads an hourly rate in EUR from s. A rate within
// minRate..maxRate is read as printed. A whole number of 4 or 5 digits
// ("1258", "12584"), which no hourly rate is, is read as OCR noise that
// dropped the decimal comma (and turned "€" into a digit): its first two
// digits are the euros and the next two the cents, when that gives 9..49
// EUR (a usual temporary worker's rate; more is left to a reviewer);
// repaired reports that. Anything else is not a rate.
func parseRate(s string) (rate float64, repaired, ok bool) {
	m := reDecimal.FindString(s)
	if m == "" {
		return 0, false, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", "."), 64)
	if err != nil {
		return 0, false, false
	}
	if v >= minRate && v <= maxRate {
		return v, false, true
	}
	if len(m) >= 4 && len(m) <= 5 && !strings.ContainsAny(m, ".,") {
		euros, _ := strconv.Atoi(m[:2])
		cents, _ := strconv.Atoi(m[2:4])
		if r := float64(euros) + float64(cents)/100; euros >= 9 && euros < 50 {
			return r, true, true
		}
	}
	return 0, false, false
}

// parseWeekly reads weekly working hours from s: an amount within 1..80
// hours as printed, or a 4-digit whole number ("3500", "3750") read as
// hours whose decimal comma OCR dropped, when that gives 10..60 hours.
func parseWeekly(s string) (hours float64, repaired, ok bool) {
	if v, ok := parseHours(s); ok && v > 0 && v <= 80 {
		return v, false, true
	}
	m := reDecimal.FindString(s)
	if len(m) == 4 && !strings.ContainsAny(m, ".,") {
		v, _ := strconv.Atoi(m)
		if h := float64(v) / 100; h >= 10 && h <= 60 {
			return h, true, true
		}
	}
	return 0, false, false
}
