package rules

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// reDecimal finds a decimal number with a comma or a point, or an integer;
// thousands separated by a space or a dot are not expected in rates and hours.
var reDecimal = regexp.MustCompile(`\d+(?:[.,]\d+)?`)

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
var reHours = regexp.MustCompile(`\b(\d{1,3})\s?h\s?(\d{2})?(?:\b|$)|\b(\d{1,2}):(\d{2})\b|\b(\d{1,3}(?:[.,]\d{1,2})?)(\s*(?:hours?|heures?|hrs?)\b)?`)

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
