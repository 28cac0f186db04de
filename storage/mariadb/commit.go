package mariadb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/pipeline"
	"github.com/go-sql-driver/mysql"
)

// Commit upserts the document's contract or timesheet (with its entries)
// and brings the summary tables up to date, all in one transaction, keyed
// by the document id: running it twice leaves the same rows, and a
// re-commit with other values replaces the document's earlier contribution
// to the summaries instead of adding to it.
//
// The transaction runs at READ COMMITTED and takes its locks in one order
// (the document's row, then summary_contract_rates rows, then
// summary_weekly_hours rows, each sorted by key) before it writes the
// base tables and recomputes every summary row that the old or the new
// version of the document touches. A summary row is recomputed only by a
// transaction that holds its lock (a month row is guarded by its contract
// key's rate row), after every earlier holder has committed, so its
// recompute reads every committed contribution. A deadlock (1213), which
// this order should prevent, is retried.
//
// The same transaction writes the document.committed event to the outbox,
// for the relay (package events) to deliver.
func (r *Records) Commit(ctx context.Context, d pipeline.Document) error {
	now := time.Now().UTC()
	var fn func(tx *sql.Tx) error
	switch {
	case d.Type == pipeline.TypeContract && d.Fields.Contract != nil:
		c := *d.Fields.Contract
		fn = func(tx *sql.Tx) error { return commitContract(ctx, tx, d, c, now) }
	case d.Type == pipeline.TypeTimesheet && d.Fields.Timesheet != nil:
		t := *d.Fields.Timesheet
		fn = func(tx *sql.Tx) error { return commitTimesheet(ctx, tx, d, t, now) }
	default:
		return fmt.Errorf("document %s of type %q has no fields to commit: %w", d.ID, d.Type, derrors.Permanent)
	}
	ev := events.Committed(d, now)
	return r.inTx(ctx, sql.LevelReadCommitted, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return writeOutbox(ctx, tx, ev)
	})
}

// maxAttempts bounds the runs of a transaction that deadlocks.
const maxAttempts = 3

// inTx runs fn in one transaction at the given isolation level, running it
// again (from the start, in a new transaction) when MariaDB chose it as a
// deadlock victim.
func (r *Records) inTx(ctx context.Context, level sql.IsolationLevel, fn func(tx *sql.Tx) error) error {
	return inTx(ctx, r.db, level, fn)
}

// beginner is a *sql.DB or a *sql.Conn.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func inTx(ctx context.Context, db beginner, level sql.IsolationLevel, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := withTxOptions(ctx, db, &sql.TxOptions{Isolation: level}, fn)
		if err == nil || attempt == maxAttempts || !isDeadlock(err) || ctx.Err() != nil {
			return err
		}
	}
}

// isDeadlock reports whether err is MariaDB's ER_LOCK_DEADLOCK.
func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1213
}

func commitContract(ctx context.Context, tx *sql.Tx, d pipeline.Document, c pipeline.Contract, now time.Time) error {
	key := pipeline.ContractKey(c.ContractNumber)
	values := []any{c.ContractNumber, key,
		null(c.AgencyName), null(c.AgencySIRET), null(c.ClientName), null(c.ClientSIRET), null(c.WorkerName),
		null(c.JobTitle), date(c.StartDate), date(c.EndDate), c.HourlyRate, c.WeeklyHours,
		null(c.WorkLocation), null(c.Reason)}
	// The document's row first, created or locked: another commit of the
	// same document waits here, and then reads this one's version as the old.
	if _, err := tx.ExecContext(ctx, `INSERT INTO contracts (tenant_id, document_id, contract_number, contract_key,
		agency_name, agency_siret, client_name, client_siret, worker_name, job_title, start_date, end_date,
		hourly_rate, weekly_hours, work_location, reason, committed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE id = id`, append(append([]any{d.TenantID, d.ID}, values...), now)...); err != nil {
		return err
	}
	var oldTenant, oldKey string
	if err := tx.QueryRowContext(ctx, "SELECT tenant_id, contract_key FROM contracts WHERE document_id = ?",
		d.ID).Scan(&oldTenant, &oldKey); err != nil {
		return err
	}
	if oldTenant != d.TenantID {
		return fmt.Errorf("document %s is committed for another tenant: %w", d.ID, derrors.Permanent)
	}
	keys := newSet[rateKey]()
	keys.add(rateKey{d.TenantID, oldKey})
	keys.add(rateKey{d.TenantID, key})
	for _, k := range keys.sorted(compareRateKeys) {
		if err := lockRate(ctx, tx, k); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contracts SET contract_number = ?, contract_key = ?,
		agency_name = ?, agency_siret = ?, client_name = ?, client_siret = ?, worker_name = ?, job_title = ?,
		start_date = ?, end_date = ?, hourly_rate = ?, weekly_hours = ?, work_location = ?, reason = ?
		WHERE document_id = ?`, append(values, d.ID)...); err != nil {
		return err
	}
	// The rate of a contract key prices all its months: recompute them all.
	for _, k := range keys.sorted(compareRateKeys) {
		if err := recomputeRate(ctx, tx, k); err != nil {
			return err
		}
		if err := recomputeContractMonths(ctx, tx, k); err != nil {
			return err
		}
	}
	return nil
}

func commitTimesheet(ctx context.Context, tx *sql.Tx, d pipeline.Document, t pipeline.Timesheet, now time.Time) error {
	key, workerKey, clientKey := pipeline.ContractKey(t.ContractNumber), NameKey(t.WorkerName), NameKey(t.ClientName)
	values := []any{t.ContractNumber, key, null(t.WorkerName), null(t.ClientName), workerKey, clientKey,
		date(t.PeriodStart), date(t.PeriodEnd), t.TotalHours}
	// The document's row first, created or locked (see commitContract).
	if _, err := tx.ExecContext(ctx, `INSERT INTO timesheets (tenant_id, document_id, contract_number, contract_key,
		worker_name, client_name, worker_key, client_key, period_start, period_end, total_hours, committed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE id = id`, append(append([]any{d.TenantID, d.ID}, values...), now)...); err != nil {
		return err
	}
	// The version committed before, if any: its keys and entry days. A row
	// created just now has no entries, so it contributes nothing.
	var oldTenant, oldWorker, oldClient, oldKey string
	if err := tx.QueryRowContext(ctx, `SELECT tenant_id, worker_key, client_key, contract_key FROM timesheets
		WHERE document_id = ?`, d.ID).Scan(&oldTenant, &oldWorker, &oldClient, &oldKey); err != nil {
		return err
	}
	if oldTenant != d.TenantID {
		return fmt.Errorf("document %s is committed for another tenant: %w", d.ID, derrors.Permanent)
	}
	oldDays, err := entryDays(ctx, tx, d.ID)
	if err != nil {
		return err
	}

	rates, weeks, months := newSet[rateKey](), newSet[weekKey](), newSet[monthKey]()
	touch := func(worker, client, contract string, day time.Time) {
		y, w := day.ISOWeek()
		weeks.add(weekKey{d.TenantID, worker, client, y, w})
		months.add(monthKey{d.TenantID, contract, day.Year(), int(day.Month())})
	}
	rates.add(rateKey{d.TenantID, oldKey})
	rates.add(rateKey{d.TenantID, key})
	for _, day := range oldDays {
		touch(oldWorker, oldClient, oldKey, day)
	}
	for _, e := range t.Entries {
		touch(workerKey, clientKey, key, e.Date.Time)
	}

	sortedRates := rates.sorted(compareRateKeys)
	for _, k := range sortedRates {
		if err := lockRate(ctx, tx, k); err != nil {
			return err
		}
	}
	sortedWeeks := weeks.sorted(compareWeekKeys)
	for _, k := range sortedWeeks {
		if err := lockWeek(ctx, tx, k); err != nil {
			return err
		}
	}

	if _, err := tx.ExecContext(ctx, `UPDATE timesheets SET contract_number = ?, contract_key = ?,
		worker_name = ?, client_name = ?, worker_key = ?, client_key = ?, period_start = ?, period_end = ?,
		total_hours = ? WHERE document_id = ?`, append(values, d.ID)...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM timesheet_entries WHERE document_id = ?", d.ID); err != nil {
		return err
	}
	if err := insertEntries(ctx, tx, d, t.Entries); err != nil {
		return err
	}

	for _, k := range sortedRates {
		if err := recomputeRate(ctx, tx, k); err != nil {
			return err
		}
	}
	for _, k := range months.sorted(compareMonthKeys) {
		if err := recomputeMonth(ctx, tx, k); err != nil {
			return err
		}
	}
	for _, k := range sortedWeeks {
		if err := recomputeWeek(ctx, tx, k); err != nil {
			return err
		}
	}
	return nil
}

// insertEntries writes the entries in one statement; two entries of one
// day add up, as they always did.
func insertEntries(ctx context.Context, tx *sql.Tx, d pipeline.Document, entries []pipeline.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO timesheet_entries (tenant_id, document_id, work_date, hours) VALUES ")
	args := make([]any, 0, 4*len(entries))
	for i, e := range entries {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?)")
		args = append(args, d.TenantID, d.ID, e.Date.Format(time.DateOnly), pipeline.Round2(e.Hours))
	}
	q.WriteString(" ON DUPLICATE KEY UPDATE hours = hours + VALUES(hours)")
	_, err := tx.ExecContext(ctx, q.String(), args...)
	return err
}

// entryDays returns the days of a document's committed entries.
func entryDays(ctx context.Context, tx *sql.Tx, documentID string) ([]time.Time, error) {
	rows, err := tx.QueryContext(ctx, "SELECT work_date FROM timesheet_entries WHERE document_id = ?", documentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var day time.Time
		if err := rows.Scan(&day); err != nil {
			return nil, err
		}
		out = append(out, day)
	}
	return out, rows.Err()
}

// WithTx runs fn in one transaction, committed when fn returns nil.
func WithTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	return withTxOptions(ctx, db, nil, fn)
}

func withTxOptions(ctx context.Context, db beginner, opts *sql.TxOptions, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
