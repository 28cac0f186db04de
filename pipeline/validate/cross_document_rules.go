package validate

import (
	"context"
	"fmt"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

// crossIssues runs the rules that compare a timesheet with the committed
// contract it bills against. They are skipped without a lookup or without
// a contract_number. A lookup failure is returned, wrapped.
func (v *Validator) crossIssues(ctx context.Context, t *pipeline.Timesheet, contracts pipeline.ContractLookup) ([]pipeline.Issue, error) {
	if t == nil || contracts == nil {
		return nil, nil
	}
	number := strings.TrimSpace(t.ContractNumber)
	if number == "" {
		return nil, nil
	}
	// The number goes to the lookup as printed. A timesheet may print
	// "CM 2026 004512" or "CM2026004512" for the contract's "CM-2026-004512";
	// matching them (dropping spaces, dots and dashes, as the spec compares
	// contract numbers) is the storage's job, done on its lookup key.
	c, err := contracts.CommittedContract(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("look up committed contract %q: %w", number, err)
	}
	if c == nil {
		return []pipeline.Issue{newIssue(CodeTimesheetUnknownContract, []string{"contract_number"},
			fmt.Sprintf("No committed contract has the number %s.", number),
			fmt.Sprintf("Aucun contrat validé ne porte le numéro %s.", number))}, nil
	}
	if c.ContractNumber != "" {
		number = c.ContractNumber
	}
	var out []pipeline.Issue
	if dates := outside(dailyTotals(t.Entries), c.StartDate, c.EndDate); len(dates) > 0 {
		pEN, pFR := period(c.StartDate, c.EndDate)
		dEN, dFR := dayList(dates)
		out = append(out, newIssue(CodeTimesheetOutsideContractPeriod, []string{"entries"},
			fmt.Sprintf("Hours are entered outside %s of contract %s: %s.", pEN, number, dEN),
			fmt.Sprintf("Des heures sont saisies hors de %s du contrat %s : %s.", pFR, number, dFR)))
	}
	worker, want := strings.TrimSpace(t.WorkerName), strings.TrimSpace(c.WorkerName)
	if worker != "" && want != "" && !sameName(worker, want) {
		out = append(out, newIssue(CodeTimesheetWorkerMismatch, []string{"worker_name"},
			fmt.Sprintf("The timesheet is for \"%s\", but contract %s is for \"%s\".", worker, number, want),
			fmt.Sprintf("Le relevé concerne « %s », mais le contrat %s concerne « %s ».", worker, number, want)))
	}
	return out, nil
}
