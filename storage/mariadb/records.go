package mariadb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

var _ pipeline.Records = (*Records)(nil)

const contractColumns = `tenant_id, document_id, contract_number, agency_name, agency_siret, client_name,
	client_siret, worker_name, job_title, start_date, end_date, hourly_rate, weekly_hours, work_location,
	reason, committed_at`

func scanContract(row interface{ Scan(...any) error }) (pipeline.CommittedContract, error) {
	var c pipeline.CommittedContract
	var s [9]sql.NullString
	var start, end sql.NullTime
	var rate, hours sql.NullFloat64
	err := row.Scan(&c.TenantID, &c.DocumentID, &c.ContractNumber, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5],
		&start, &end, &rate, &hours, &s[6], &s[7], &c.CommittedAt)
	if err != nil {
		return c, err
	}
	c.AgencyName, c.AgencySIRET, c.ClientName, c.ClientSIRET = s[0].String, s[1].String, s[2].String, s[3].String
	c.WorkerName, c.JobTitle, c.WorkLocation, c.Reason = s[4].String, s[5].String, s[6].String, s[7].String
	c.StartDate, c.EndDate = fromNullTime(start), fromNullTime(end)
	c.HourlyRate, c.WeeklyHours = fromNullFloat(rate), fromNullFloat(hours)
	return c, nil
}

// Contract returns the latest committed contract of this number.
func (r *Records) Contract(ctx context.Context, tenantID, number string) (pipeline.CommittedContract, error) {
	c, err := scanContract(r.db.QueryRowContext(ctx, "SELECT "+contractColumns+` FROM contracts
		WHERE tenant_id = ? AND contract_key = ? ORDER BY committed_at DESC, id DESC LIMIT 1`,
		tenantID, pipeline.ContractKey(number)))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("contract %q: %w", number, derrors.NotFound)
	}
	return c, err
}

// Holds reports whether a contract or timesheet row of the document is
// in the system of record.
func (r *Records) Holds(ctx context.Context, tenantID, documentID string) (bool, error) {
	var held bool
	err := r.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM contracts WHERE tenant_id = ? AND document_id = ?)
		OR EXISTS (SELECT 1 FROM timesheets WHERE tenant_id = ? AND document_id = ?)`,
		tenantID, documentID, tenantID, documentID).Scan(&held)
	return held, err
}

// ContractLookup returns the committed-contract lookup of one tenant, for
// the cross-document rules.
func (r *Records) ContractLookup(tenantID string) pipeline.ContractLookup {
	return contractLookup{r: r, tenantID: tenantID}
}

type contractLookup struct {
	r        *Records
	tenantID string
}

func (l contractLookup) CommittedContract(ctx context.Context, number string) (*pipeline.Contract, error) {
	c, err := l.r.Contract(ctx, l.tenantID, number)
	if errors.Is(err, derrors.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c.Contract, nil
}

// Timesheets returns the committed timesheets of a contract with their entries.
func (r *Records) Timesheets(ctx context.Context, tenantID, number string) ([]pipeline.CommittedTimesheet, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT tenant_id, document_id, contract_number, worker_name, client_name,
		period_start, period_end, total_hours, committed_at FROM timesheets
		WHERE tenant_id = ? AND contract_key = ? ORDER BY period_start, id`, tenantID, pipeline.ContractKey(number))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pipeline.CommittedTimesheet{}
	for rows.Next() {
		var t pipeline.CommittedTimesheet
		var worker, client sql.NullString
		var start, end sql.NullTime
		var total sql.NullFloat64
		if err := rows.Scan(&t.TenantID, &t.DocumentID, &t.ContractNumber, &worker, &client, &start, &end, &total, &t.CommittedAt); err != nil {
			return nil, err
		}
		t.WorkerName, t.ClientName = worker.String, client.String
		t.PeriodStart, t.PeriodEnd, t.TotalHours = fromNullTime(start), fromNullTime(end), fromNullFloat(total)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Entries, err = r.entries(ctx, tenantID, out[i].DocumentID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Records) entries(ctx context.Context, tenantID, documentID string) ([]pipeline.Entry, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT work_date, hours FROM timesheet_entries
		WHERE tenant_id = ? AND document_id = ? ORDER BY work_date`, tenantID, documentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pipeline.Entry{}
	for rows.Next() {
		var e pipeline.Entry
		var day time.Time
		if err := rows.Scan(&day, &e.Hours); err != nil {
			return nil, err
		}
		e.Date = pipeline.Date{Time: day.UTC()}
		out = append(out, e)
	}
	return out, rows.Err()
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func date(d *pipeline.Date) any {
	if d == nil {
		return nil
	}
	return d.Format(time.DateOnly)
}

func fromNullTime(t sql.NullTime) *pipeline.Date {
	if !t.Valid {
		return nil
	}
	d := pipeline.NewDate(t.Time.Year(), t.Time.Month(), t.Time.Day())
	return &d
}

func fromNullFloat(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}

// WorkerRecords returns the tenant's committed contracts and timesheets of
// the worker (pipeline.NormalizeName on both sides).
func (r *Records) WorkerRecords(ctx context.Context, tenantID, name string) ([]pipeline.CommittedContract, []pipeline.CommittedTimesheet, error) {
	want := pipeline.NormalizeName(name)
	// Candidates by lower case and collapsed spaces; then compared exactly
	// as the spec compares names (the collation may ignore accents).
	const match = `LOWER(TRIM(REGEXP_REPLACE(worker_name, '[[:space:]]+', ' '))) = ?`
	rows, err := r.db.QueryContext(ctx, "SELECT "+contractColumns+` FROM contracts
		WHERE tenant_id = ? AND `+match+` ORDER BY start_date, document_id`, tenantID, want)
	if err != nil {
		return nil, nil, err
	}
	contracts := []pipeline.CommittedContract{}
	numbers := map[string]bool{}
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		if pipeline.NormalizeName(c.WorkerName) == want {
			contracts = append(contracts, c)
			numbers[c.ContractNumber] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	trows, err := r.db.QueryContext(ctx, `SELECT DISTINCT contract_number FROM timesheets WHERE tenant_id = ? AND `+match, tenantID, want)
	if err != nil {
		return nil, nil, err
	}
	for trows.Next() {
		var n string
		if err := trows.Scan(&n); err != nil {
			trows.Close()
			return nil, nil, err
		}
		numbers[n] = true
	}
	trows.Close()
	if err := trows.Err(); err != nil {
		return nil, nil, err
	}
	timesheets := []pipeline.CommittedTimesheet{}
	for n := range numbers {
		ts, err := r.Timesheets(ctx, tenantID, n)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			if pipeline.NormalizeName(t.WorkerName) == want {
				timesheets = append(timesheets, t)
			}
		}
	}
	return contracts, timesheets, nil
}
