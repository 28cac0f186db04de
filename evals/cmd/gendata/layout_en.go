package main

import (
	"fmt"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

var enReasons = map[string]string{
	pipeline.ReasonTemporaryIncrease: "Temporary increase in activity",
	pipeline.ReasonReplacement:       "Replacement of an absent employee",
	pipeline.ReasonSeasonal:          "Seasonal work",
	pipeline.ReasonOther:             "Other (article L. 1251-6 of the French Labour Code)",
}

// contractRowsEN is an English contract as label and value pairs.
func contractRowsEN(c pipeline.Contract) [][]string {
	rows := [][]string{
		{"Staffing agency", c.AgencyName},
		{"Agency SIRET", c.AgencySIRET},
		{"Client company", c.ClientName},
		{"Client SIRET", c.ClientSIRET},
		{"Temporary worker", c.WorkerName},
	}
	if c.JobTitle != "" {
		rows = append(rows, []string{"Job title", c.JobTitle})
	}
	return append(rows,
		[]string{"Reason for assignment", enReasons[c.Reason]},
		[]string{"Assignment start date", enLong(c.StartDate.Time)},
		[]string{"Assignment end date", enLong(c.EndDate.Time)},
		[]string{"Place of work", addresses[c.WorkLocation] + " " + c.WorkLocation},
		[]string{"Weekly working hours", fmt.Sprintf("%g hours", *c.WeeklyHours)},
		[]string{"Hourly rate (gross)", fmt.Sprintf("€%.2f", *c.HourlyRate)},
	)
}

// contractEN is an English contract of label and value columns.
func contractEN(c pipeline.Contract, note string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nTemporary Assignment Contract\nContract no. %s\n\n", strings.ToUpper(c.AgencyName), c.ContractNumber)
	for _, r := range contractRowsEN(c) {
		fmt.Fprintf(&b, "%-30s %s\n", r[0], r[1])
	}
	b.WriteString("\nThe worker is placed at the client's disposal for the duration of the assignment.\n")
	if note != "" {
		b.WriteString(note + "\n")
	}
	b.WriteString("Signed in two copies.\nFor the agency                         The worker\n")
	return b.String()
}

// timesheetEN is an English weekly timesheet with one row per day.
func timesheetEN(t pipeline.Timesheet) string {
	var b strings.Builder
	b.WriteString("WEEKLY TIMESHEET\n")
	fmt.Fprintf(&b, "Assignment no.: %s\nEmployee name: %s\nClient company: %s\nPeriod: %s – %s\n\n",
		t.ContractNumber, t.WorkerName, t.ClientName, enShort(t.PeriodStart.Time), enShort(t.PeriodEnd.Time))
	for _, r := range timesheetRowsEN(t) {
		fmt.Fprintf(&b, "%-14s %-7s %-7s %-7s %s\n", r[0], r[1], r[2], r[3], r[4])
	}
	fmt.Fprintf(&b, "\nTotal hours worked: %.2f\n\nApproved by the client (signature and stamp)\n", *t.TotalHours)
	return b.String()
}

// timesheetRowsEN are the rows of an English timesheet: Date, Start, End,
// Break, Hours, the entries only.
func timesheetRowsEN(t pipeline.Timesheet) [][]string {
	rows := [][]string{{"Date", "Start", "End", "Break", "Hours"}}
	for _, e := range t.Entries {
		s, en, p := clock(e.Hours)
		rows = append(rows, []string{enShort(e.Date.Time), s, en, fmt.Sprintf("%d:%02d", p/60, p%60), fmt.Sprintf("%.2f", e.Hours)})
	}
	return rows
}

// csvEN is an English time-clock export with commas and ISO dates.
func csvEN(t pipeline.Timesheet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Client,%s\nPeriod,%s,%s\n", t.ClientName, t.PeriodStart, t.PeriodEnd)
	b.WriteString("Employee,Assignment,Date,Clock in,Clock out,Break (min),Hours\n")
	for _, e := range t.Entries {
		s, en, p := clock(e.Hours)
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%d,%.2f\n", t.WorkerName, t.ContractNumber, e.Date, s, en, p, e.Hours)
	}
	fmt.Fprintf(&b, "Total,,,,,,%.2f\n", *t.TotalHours)
	return b.String()
}

// bodyEN is an English e-mail listing the hours of a week.
func bodyEN(t pipeline.Timesheet, signer, title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\nPlease find below the hours worked by %s (assignment ref. %s) for the period %s to %s:\n\n",
		t.WorkerName, t.ContractNumber, enLong(t.PeriodStart.Time), enLong(t.PeriodEnd.Time))
	for _, e := range t.Entries {
		fmt.Fprintf(&b, "%s: %g h\n", e.Date.Format("Mon 2 Jan"), e.Hours)
	}
	fmt.Fprintf(&b, "\nTotal: %g hours\n\nKind regards,\n\n%s\n%s\n%s\n", *t.TotalHours, signer, title, t.ClientName)
	return b.String()
}

var enWeekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// sheetEN is an English timesheet workbook.
func sheetEN(t pipeline.Timesheet) [][]cell {
	rows := [][]cell{
		{str("Timesheet")},
		{str("Client"), str(t.ClientName)},
		{str("Worker"), str(t.WorkerName)},
		{str("Assignment no."), str(t.ContractNumber)},
		{str("Period from"), xlDate(t.PeriodStart.Time), str("to"), xlDate(t.PeriodEnd.Time)},
		{},
		{str("Date"), str("Day"), str("Start"), str("End"), str("Break (min)"), str("Hours")},
	}
	return append(rows, dayRows(t, enWeekdays)...)
}
