package validate

import (
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/pipeline"
)

// eps absorbs float noise in threshold comparisons: 12.02 parsed from text
// and 12.02 from the config compare equal, 12.01 stays below.
const eps = 1e-9

// contractIssues runs the contract rules. A rule that needs a missing field
// is skipped; the missing field is reported once by contract.missing_field.
func (v *Validator) contractIssues(c *pipeline.Contract) []pipeline.Issue {
	if c == nil {
		c = &pipeline.Contract{}
	}
	var out []pipeline.Issue
	if missing := missingFields(pipeline.Fields{Contract: c}, pipeline.ContractFields); len(missing) > 0 {
		out = append(out, missingIssue(CodeContractMissingField, missing, "The contract", "du contrat"))
	}
	if c.StartDate != nil && c.EndDate != nil {
		out = append(out, v.contractDates(*c.StartDate, *c.EndDate)...)
	}
	if c.HourlyRate != nil && *c.HourlyRate < v.cfg.MinHourlyRate-eps {
		out = append(out, rateIssue(*c.HourlyRate, v.cfg.MinHourlyRate))
	}
	if c.WeeklyHours != nil && *c.WeeklyHours > v.cfg.MaxContractWeeklyHours+eps {
		out = append(out, weeklyHoursIssue(*c.WeeklyHours, v.cfg.MaxContractWeeklyHours))
	}
	out = append(out, siretIssues("agency_siret", c.AgencySIRET)...)
	out = append(out, siretIssues("client_siret", c.ClientSIRET)...)
	return out
}

// contractDates checks that the end is not before the start and that the
// assignment does not last more than MaxDurationMonths.
//
// end_date is the last day of the assignment. The latest allowed end_date is
// start_date plus MaxDurationMonths calendar months, the day clamped to the
// end of a shorter month: a contract starting 2026-01-05 may end on
// 2027-07-05 at the latest, one starting 2026-08-31 on 2028-02-29. Strictly,
// 2026-01-05..2027-07-05 counted inclusively is 18 months and one day; the
// rule accepts it ("ends no later than the same day 18 months on"), so that
// only an end_date after that day is flagged and contracts drawn up by
// date arithmetic are not.
func (v *Validator) contractDates(start, end pipeline.Date) []pipeline.Issue {
	startEN, startFR := day(start)
	endEN, endFR := day(end)
	if end.Before(start.Time) {
		return []pipeline.Issue{newIssue(CodeContractDatesInverted, []string{"start_date", "end_date"},
			fmt.Sprintf("The end date %s is before the start date %s.", endEN, startEN),
			fmt.Sprintf("La date de fin (%s) est antérieure à la date de début (%s).", endFR, startFR))}
	}
	limit := addMonths(start, v.cfg.MaxDurationMonths)
	if !end.After(limit.Time) {
		return nil
	}
	limitEN, limitFR := day(limit)
	n := v.cfg.MaxDurationMonths
	return []pipeline.Issue{newIssue(CodeContractDurationExceedsMax, []string{"start_date", "end_date"},
		fmt.Sprintf("The assignment runs from %s to %s, longer than the maximum of %d months: it must end by %s.", startEN, endEN, n, limitEN),
		fmt.Sprintf("La mission court du %s au %s, au-delà du maximum de %d mois : elle doit se terminer au plus tard le %s.", startFR, endFR, n, limitFR))}
}

// addMonths adds n calendar months to d, clamping the day to the last day
// of the resulting month (time.AddDate would roll over into the next month).
func addMonths(d pipeline.Date, n int) pipeline.Date {
	y, m, dd := d.Date()
	lastDay := time.Date(y, m+time.Month(n)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return pipeline.NewDate(y, m+time.Month(n), min(dd, lastDay))
}

func rateIssue(rate, minimum float64) pipeline.Issue {
	rEN, rFR := money(rate)
	mEN, mFR := money(minimum)
	return newIssue(CodeContractRateBelowMinimum, []string{"hourly_rate"},
		fmt.Sprintf("Hourly rate %s EUR is below the minimum wage of %s EUR.", rEN, mEN),
		fmt.Sprintf("Le taux horaire de %s EUR est inférieur au salaire minimum de %s EUR.", rFR, mFR))
}

func weeklyHoursIssue(h, maximum float64) pipeline.Issue {
	hEN, hFR := hours(h)
	mEN, mFR := hours(maximum)
	return newIssue(CodeContractWeeklyHoursExceedsMax, []string{"weekly_hours"},
		fmt.Sprintf("Weekly hours of %s h are above the maximum of %s h.", hEN, mEN),
		fmt.Sprintf("La durée hebdomadaire de %s h dépasse le maximum de %s h.", hFR, mFR))
}

// siretIssues checks one SIRET field; each invalid SIRET gets its own issue
// so that the issue names exactly the field to correct.
func siretIssues(field, value string) []pipeline.Issue {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil
	}
	var whyEN, whyFR string
	switch checkSIRET(value) {
	case siretOK:
		return nil
	case siretNotDigits:
		whyEN, whyFR = "it holds characters other than digits", "il contient des caractères autres que des chiffres"
	case siretLength:
		n := len(normalizeSIRET(value))
		whyEN = fmt.Sprintf("it has %d digits instead of 14", n)
		whyFR = fmt.Sprintf("il compte %d chiffres au lieu de 14", n)
	case siretChecksum:
		whyEN, whyFR = "its check digit is wrong (Luhn check)", "sa clé de contrôle est fausse (contrôle de Luhn)"
	}
	whoEN, whoFR := "Agency SIRET", "Le SIRET de l'agence"
	if field == "client_siret" {
		whoEN, whoFR = "Client SIRET", "Le SIRET de l'entreprise utilisatrice"
	}
	return []pipeline.Issue{newIssue(CodeContractInvalidSIRET, []string{field},
		fmt.Sprintf("%s %s is invalid: %s.", whoEN, value, whyEN),
		fmt.Sprintf("%s %s est invalide : %s.", whoFR, value, whyFR))}
}
