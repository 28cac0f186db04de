package validate

import (
	"fmt"
	"math"
	"slices"

	"github.com/docflow/docflow/pipeline"
)

// dayTotal is the hours of one date, summed over the entries of that date.
type dayTotal struct {
	date  pipeline.Date
	hours float64
}

// timesheetIssues runs the rules that look at one timesheet alone. A rule
// that needs a missing field is skipped; timesheet.missing_field reports it.
func (v *Validator) timesheetIssues(t *pipeline.Timesheet) []pipeline.Issue {
	if t == nil {
		t = &pipeline.Timesheet{}
	}
	var out []pipeline.Issue
	if missing := missingFields(pipeline.Fields{Timesheet: t}, pipeline.TimesheetFields); len(missing) > 0 {
		out = append(out, missingIssue(CodeTimesheetMissingField, missing, "The timesheet", "du relevé"))
	}
	if len(t.Entries) == 0 {
		return out
	}
	days := dailyTotals(t.Entries)
	out = append(out, v.dailyHoursIssues(days)...)
	out = append(out, v.weeklyHoursIssues(days)...)
	if t.TotalHours != nil {
		out = append(out, v.totalIssues(days, *t.TotalHours)...)
	}
	if dates := outside(days, t.PeriodStart, t.PeriodEnd); len(dates) > 0 {
		pEN, pFR := period(t.PeriodStart, t.PeriodEnd)
		dEN, dFR := dayList(dates)
		out = append(out, newIssue(CodeTimesheetEntryOutsidePeriod, []string{"period_start", "period_end", "entries"},
			fmt.Sprintf("Hours are entered outside %s: %s.", pEN, dEN),
			fmt.Sprintf("Des heures sont saisies hors de %s : %s.", pFR, dFR)))
	}
	return out
}

// dailyTotals sums the entries of each date, in date order.
func dailyTotals(entries []pipeline.Entry) []dayTotal {
	var days []dayTotal
	for _, e := range entries {
		i := slices.IndexFunc(days, func(d dayTotal) bool { return d.date.Equal(e.Date.Time) })
		if i < 0 {
			days = append(days, dayTotal{date: e.Date})
			i = len(days) - 1
		}
		days[i].hours += e.Hours
	}
	slices.SortFunc(days, func(a, b dayTotal) int { return a.date.Compare(b.date.Time) })
	return days
}

// dailyHoursIssues reports the days above MaxDailyHours, all in one issue.
func (v *Validator) dailyHoursIssues(days []dayTotal) []pipeline.Issue {
	var en, fr []string
	for _, d := range days {
		if d.hours > v.cfg.MaxDailyHours+eps {
			dEN, dFR := day(d.date)
			hEN, hFR := hours(d.hours)
			en = append(en, fmt.Sprintf("%s (%s h)", dEN, hEN))
			fr = append(fr, fmt.Sprintf("le %s (%s h)", dFR, hFR))
		}
	}
	if len(en) == 0 {
		return nil
	}
	mEN, mFR := hours(v.cfg.MaxDailyHours)
	return []pipeline.Issue{newIssue(CodeTimesheetDailyHoursExceeded, []string{"entries"},
		fmt.Sprintf("Hours exceed the maximum of %s h a day on %s.", mEN, join(en, "and")),
		fmt.Sprintf("Les heures dépassent le maximum de %s h par jour %s.", mFR, join(fr, "et")))}
}

// weeklyHoursIssues reports the ISO weeks above MaxWeeklyHours, all in one issue.
func (v *Validator) weeklyHoursIssues(days []dayTotal) []pipeline.Issue {
	type week struct {
		year, week int
		hours      float64
	}
	var weeks []week
	for _, d := range days {
		y, w := d.date.ISOWeek()
		if n := len(weeks); n > 0 && weeks[n-1].year == y && weeks[n-1].week == w {
			weeks[n-1].hours += d.hours
			continue
		}
		weeks = append(weeks, week{y, w, d.hours})
	}
	var en, fr []string
	for _, w := range weeks {
		if w.hours <= v.cfg.MaxWeeklyHours+eps {
			continue
		}
		monEN, monFR := day(isoMonday(w.year, w.week))
		sunEN, sunFR := day(pipeline.Date{Time: isoMonday(w.year, w.week).AddDate(0, 0, 6)})
		hEN, hFR := hours(w.hours)
		en = append(en, fmt.Sprintf("ISO week %d-W%02d, %s to %s (%s h)", w.year, w.week, monEN, sunEN, hEN))
		fr = append(fr, fmt.Sprintf("la semaine %d de %d, du %s au %s (%s h)", w.week, w.year, monFR, sunFR, hFR))
	}
	if len(en) == 0 {
		return nil
	}
	mEN, mFR := hours(v.cfg.MaxWeeklyHours)
	return []pipeline.Issue{newIssue(CodeTimesheetWeeklyHoursExceeded, []string{"entries"},
		fmt.Sprintf("Hours exceed the maximum of %s h a week in %s.", mEN, join(en, "and")),
		fmt.Sprintf("Les heures dépassent le maximum de %s h par semaine pour %s.", mFR, join(fr, "et")))}
}

// isoMonday returns the Monday of an ISO week.
func isoMonday(year, week int) pipeline.Date {
	jan4 := pipeline.NewDate(year, 1, 4) // always in ISO week 1
	offset := (int(jan4.Weekday()) + 6) % 7
	return pipeline.Date{Time: jan4.AddDate(0, 0, -offset+7*(week-1))}
}

// totalIssues compares the printed total with the sum of the entries.
func (v *Validator) totalIssues(days []dayTotal, total float64) []pipeline.Issue {
	sum := 0.0
	for _, d := range days {
		sum += d.hours
	}
	if math.Abs(sum-total) <= v.cfg.TotalTolerance+eps {
		return nil
	}
	sEN, sFR := hours(sum)
	tEN, tFR := hours(total)
	return []pipeline.Issue{newIssue(CodeTimesheetTotalMismatch, []string{"total_hours"},
		fmt.Sprintf("The daily entries add up to %s h, but the printed total is %s h.", sEN, tEN),
		fmt.Sprintf("Les heures par jour totalisent %s h, mais le total indiqué est de %s h.", sFR, tFR))}
}

// outside returns the dates before start or after end; a nil bound is not checked.
func outside(days []dayTotal, start, end *pipeline.Date) []pipeline.Date {
	var out []pipeline.Date
	for _, d := range days {
		if (start != nil && d.date.Before(start.Time)) || (end != nil && d.date.After(end.Time)) {
			out = append(out, d.date)
		}
	}
	return out
}

// period describes a period whose bounds may be unknown.
func period(start, end *pipeline.Date) (en, fr string) {
	switch {
	case start != nil && end != nil:
		sEN, sFR := day(*start)
		eEN, eFR := day(*end)
		return fmt.Sprintf("the period %s to %s", sEN, eEN), fmt.Sprintf("la période du %s au %s", sFR, eFR)
	case start != nil:
		sEN, sFR := day(*start)
		return "the period starting " + sEN, "la période commençant le " + sFR
	case end != nil:
		eEN, eFR := day(*end)
		return "the period ending " + eEN, "la période se terminant le " + eFR
	}
	return "the period", "la période"
}

// dayList lists dates as "2026-03-09 and 2026-03-10" / "09/03/2026 et 10/03/2026".
func dayList(dates []pipeline.Date) (en, fr string) {
	var e, f []string
	for _, d := range dates {
		dEN, dFR := day(d)
		e, f = append(e, dEN), append(f, dFR)
	}
	return join(e, "and"), join(f, "et")
}
