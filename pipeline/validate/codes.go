package validate

import "github.com/docflow/docflow/pipeline"

// Rule codes of the spec (shared/spec/documents.md), in the order of its table.
const (
	CodeContractMissingField           = "contract.missing_field"
	CodeContractDatesInverted          = "contract.dates_inverted"
	CodeContractDurationExceedsMax     = "contract.duration_exceeds_max"
	CodeContractRateBelowMinimum       = "contract.rate_below_minimum"
	CodeContractWeeklyHoursExceedsMax  = "contract.weekly_hours_exceeds_max"
	CodeContractInvalidSIRET           = "contract.invalid_siret"
	CodeTimesheetMissingField          = "timesheet.missing_field"
	CodeTimesheetDailyHoursExceeded    = "timesheet.daily_hours_exceeded"
	CodeTimesheetWeeklyHoursExceeded   = "timesheet.weekly_hours_exceeded"
	CodeTimesheetTotalMismatch         = "timesheet.total_mismatch"
	CodeTimesheetEntryOutsidePeriod    = "timesheet.entry_outside_period"
	CodeTimesheetUnknownContract       = "timesheet.unknown_contract"
	CodeTimesheetOutsideContractPeriod = "timesheet.outside_contract_period"
	CodeTimesheetWorkerMismatch        = "timesheet.worker_mismatch"
	CodePromptInjection                = pipeline.CodePromptInjection
	CodeLowConfidence                  = "document.low_confidence"
)

// rule is one row of the spec's table.
type rule struct {
	code     string
	severity pipeline.Severity
}

// rules is the spec's table: the order of issues and each code's severity.
var rules = []rule{
	{CodeContractMissingField, pipeline.SeverityError},
	{CodeContractDatesInverted, pipeline.SeverityError},
	{CodeContractDurationExceedsMax, pipeline.SeverityError},
	{CodeContractRateBelowMinimum, pipeline.SeverityError},
	{CodeContractWeeklyHoursExceedsMax, pipeline.SeverityError},
	{CodeContractInvalidSIRET, pipeline.SeverityError},
	{CodeTimesheetMissingField, pipeline.SeverityError},
	{CodeTimesheetDailyHoursExceeded, pipeline.SeverityError},
	{CodeTimesheetWeeklyHoursExceeded, pipeline.SeverityError},
	{CodeTimesheetTotalMismatch, pipeline.SeverityError},
	{CodeTimesheetEntryOutsidePeriod, pipeline.SeverityError},
	{CodeTimesheetUnknownContract, pipeline.SeverityError},
	{CodeTimesheetOutsideContractPeriod, pipeline.SeverityError},
	{CodeTimesheetWorkerMismatch, pipeline.SeverityError},
	{CodePromptInjection, pipeline.SeverityWarning},
	{CodeLowConfidence, pipeline.SeverityWarning},
}

// Severity returns the spec's severity of a rule code, and false for a code
// the spec does not define.
func Severity(code string) (pipeline.Severity, bool) {
	for _, r := range rules {
		if r.code == code {
			return r.severity, true
		}
	}
	return "", false
}

// Codes returns every rule code of the spec, in the order of its table.
func Codes() []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.code
	}
	return out
}
