package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// siret completes 13 digits with the Luhn check digit, as INSEE numbers are.
func siret(base string) string {
	for d := '0'; d <= '9'; d++ {
		if luhn(base + string(d)) {
			return base + string(d)
		}
	}
	panic("unreachable")
}

// badSiret is base with a check digit that fails the Luhn check.
func badSiret(base string) string {
	good := siret(base)
	last := (good[13]-'0'+5)%10 + '0'
	return base + string(rune(last))
}

func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

var (
	day = testdocs.Day
	num = testdocs.Num
)

// days returns the entries of consecutive days from start, one per
// hours value; a day of 0 hours is no entry.
func days(start string, hours ...float64) []pipeline.Entry {
	d := day(start)
	var out []pipeline.Entry
	for i, h := range hours {
		if h > 0 {
			out = append(out, pipeline.Entry{Date: pipeline.Date{Time: d.AddDate(0, 0, i)}, Hours: h})
		}
	}
	return out
}

// total is the sum of the entries' hours.
func total(entries []pipeline.Entry) float64 {
	t := 0.0
	for _, e := range entries {
		t += e.Hours
	}
	return pipeline.Round2(t)
}

// hoursOn returns the hours of the entry of day d, 0 when none.
func hoursOn(entries []pipeline.Entry, d time.Time) float64 {
	for _, e := range entries {
		if e.Date.Equal(d) {
			return e.Hours
		}
	}
	return 0
}

// period returns every day from start to end included.
func period(start, end *pipeline.Date) []time.Time {
	var out []time.Time
	for d := start.Time; !d.After(end.Time); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// allDays returns the days of a timesheet's period, and those of its
// entries outside it, in order.
func allDays(t pipeline.Timesheet) []time.Time {
	out := period(t.PeriodStart, t.PeriodEnd)
	for _, e := range t.Entries {
		if e.Date.Before(t.PeriodStart.Time) || e.Date.After(t.PeriodEnd.Time) {
			out = append(out, e.Date.Time)
		}
	}
	sortTimes(out)
	return out
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// clock returns a day's start, end and break for hours worked: from 8:00,
// with an hour's break past six hours.
func clock(hours float64) (start, end string, pause int) {
	if hours > 6 {
		pause = 60
	}
	s := 8 * 60
	if hours > 9 {
		s = 6 * 60
	}
	e := s + int(hours*60+0.5) + pause
	return hm(s), hm(e), pause
}

func hm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// frHours prints hours as French time sheets do: 7h30, 8h.
func frHours(h float64) string {
	m := int(h*60 + 0.5)
	if m%60 == 0 {
		return fmt.Sprintf("%dh", m/60)
	}
	return fmt.Sprintf("%dh%02d", m/60, m%60)
}

// frDec prints a decimal with a comma and two places: 7,50.
func frDec(f float64) string { return strings.Replace(fmt.Sprintf("%.2f", f), ".", ",", 1) }

// frNum prints a decimal with a comma, without trailing zeros: 37,5.
func frNum(f float64) string { return strings.Replace(fmt.Sprintf("%g", f), ".", ",", 1) }

var frMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
var frWeekdays = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

// frLong prints "2 mars 2026".
func frLong(d time.Time) string {
	return fmt.Sprintf("%d %s %d", d.Day(), frMonths[d.Month()-1], d.Year())
}

// frShort prints "02/03/2026".
func frShort(d time.Time) string { return d.Format("02/01/2006") }

// enLong prints "March 2, 2026".
func enLong(d time.Time) string { return d.Format("January 2, 2006") }

// enShort prints "2 Mar 2026".
func enShort(d time.Time) string { return d.Format("2 Jan 2006") }

// spaced prints a SIRET as 3 3 3 5 digits.
func spaced(s string) string {
	if len(s) != 14 {
		return s
	}
	return s[:3] + " " + s[3:6] + " " + s[6:9] + " " + s[9:]
}
