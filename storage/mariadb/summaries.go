package mariadb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The summary tables (migration 0002) are kept in step with the base
// tables by Commit, inside its transaction, and can be rebuilt from them
// by RebuildSummaries:
//
//   - summary_weekly_hours: hours per worker, client and ISO week, the
//     worker and client grouped by NameKey;
//   - summary_contract_rates: per contract key, the latest committed
//     contract's number and hourly rate (NULL while only timesheets name
//     the key); its rows are also the locks that guard the key's months;
//   - summary_contract_months: hours per contract key and calendar month,
//     priced at the key's rate: amount = ROUND(hours * rate, 2), or 0 with
//     a NULL rate while no committed contract with a rate prices them.
//
// Hours are those of committed timesheet entries, whatever their period.

// nameKeyMax is the width of the key columns.
const nameKeyMax = 255

var apostrophes = strings.NewReplacer("’", "'", "‘", "'", "ʼ", "'")

// NameKey normalises a worker or client name into the key the summaries
// group by, as the spec compares strings: Unicode NFC, case-folded with
// accents kept, typographic apostrophes as "'", runs of white space
// collapsed to one space, trimmed. "ÉLODIE  Lefèvre" and "élodie lefèvre"
// share a key, "Elodie Lefevre" does not; word order counts. A key is cut
// to 255 characters.
func NameKey(name string) string {
	s := apostrophes.Replace(name)
	// A cases.Caser keeps state, so each call makes its own.
	s = norm.NFC.String(cases.Fold().String(norm.NFC.String(s)))
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > nameKeyMax {
		s = strings.TrimSpace(string([]rune(s)[:nameKeyMax]))
	}
	return s
}

// WorkerWeek is the hours one worker did for one client in one ISO week,
// over a tenant's committed timesheets.
type WorkerWeek struct {
	// WorkerKey and ClientKey are the NameKey of the names; WorkerName and
	// ClientName the spellings on the contributing timesheet first
	// committed last.
	WorkerKey  string `json:"worker_key"`
	WorkerName string `json:"worker_name"`
	ClientKey  string `json:"client_key"`
	ClientName string `json:"client_name"`
	ISOYear    int    `json:"iso_year"`
	ISOWeek    int    `json:"iso_week"`
	// WeekStart is the Monday of the ISO week.
	WeekStart pipeline.Date `json:"week_start"`
	Hours     float64       `json:"hours"`
	// Timesheets counts the timesheets with entries in the week.
	Timesheets int `json:"timesheets"`
}

// WeeklyHoursFilter narrows WeeklyHours; its zero value keeps every row.
type WeeklyHoursFilter struct {
	// Worker and Client keep the rows of these names, compared by NameKey.
	Worker string
	Client string
	// From and To keep the ISO weeks that hold a day of From..To; either
	// may be nil.
	From, To *pipeline.Date
}

// ContractMonth is the hours billed against one contract in one calendar
// month, and their amount.
type ContractMonth struct {
	// ContractNumber is as printed on the latest committed contract, or on
	// the latest timesheet while no contract is committed.
	ContractNumber string  `json:"contract_number"`
	Year           int     `json:"year"`
	Month          int     `json:"month"`
	Hours          float64 `json:"hours"`
	// HourlyRate is the latest committed contract's rate, nil while no
	// committed contract (or one without a rate) prices the hours.
	HourlyRate *float64 `json:"hourly_rate"`
	// Amount is Hours times HourlyRate rounded to the cent, 0 when
	// HourlyRate is nil.
	Amount float64 `json:"amount"`
	// Timesheets counts the timesheets with entries in the month.
	Timesheets int `json:"timesheets"`
}

// WeeklyHours returns a tenant's hours per worker, client and ISO week,
// ordered by week, then worker and client keys.
func (r *Records) WeeklyHours(ctx context.Context, tenantID string, f WeeklyHoursFilter) ([]WorkerWeek, error) {
	if tenantID == "" {
		return nil, fmt.Errorf("weekly hours: no tenant: %w", derrors.InvalidArgument)
	}
	q := `SELECT worker_key, worker_name, client_key, client_name, iso_year, iso_week, hours, timesheets
		FROM summary_weekly_hours WHERE tenant_id = ?`
	args := []any{tenantID}
	if f.Worker != "" {
		q += " AND worker_key = ?"
		args = append(args, NameKey(f.Worker))
	}
	if f.Client != "" {
		q += " AND client_key = ?"
		args = append(args, NameKey(f.Client))
	}
	if f.From != nil {
		y, w := f.From.ISOWeek()
		q += " AND (iso_year, iso_week) >= (?, ?)"
		args = append(args, y, w)
	}
	if f.To != nil {
		y, w := f.To.ISOWeek()
		q += " AND (iso_year, iso_week) <= (?, ?)"
		args = append(args, y, w)
	}
	q += " ORDER BY iso_year, iso_week, worker_key, client_key"
	rows, err := r.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []WorkerWeek{}
	for rows.Next() {
		var w WorkerWeek
		if err := rows.Scan(&w.WorkerKey, &w.WorkerName, &w.ClientKey, &w.ClientName, &w.ISOYear, &w.ISOWeek,
			&w.Hours, &w.Timesheets); err != nil {
			return nil, err
		}
		w.WeekStart = pipeline.Date{Time: isoWeekStart(w.ISOYear, w.ISOWeek)}
		out = append(out, w)
	}
	return out, rows.Err()
}

// ContractMonths returns the hours and amounts of one contract of a
// tenant per calendar month, in order; none is an empty list.
func (r *Records) ContractMonths(ctx context.Context, tenantID, contractNumber string) ([]ContractMonth, error) {
	if tenantID == "" {
		return nil, fmt.Errorf("contract months: no tenant: %w", derrors.InvalidArgument)
	}
	rows, err := r.db.QueryContext(ctx, `SELECT contract_number, year, month, hours, hourly_rate, amount, timesheets
		FROM summary_contract_months WHERE tenant_id = ? AND contract_key = ? ORDER BY year, month`,
		tenantID, pipeline.ContractKey(contractNumber))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ContractMonth{}
	for rows.Next() {
		var m ContractMonth
		var rate sql.NullFloat64
		if err := rows.Scan(&m.ContractNumber, &m.Year, &m.Month, &m.Hours, &rate, &m.Amount, &m.Timesheets); err != nil {
			return nil, err
		}
		m.HourlyRate = fromNullFloat(rate)
		out = append(out, m)
	}
	return out, rows.Err()
}

// RebuildSummaries recomputes the summary tables of one tenant (all
// tenants when tenantID is empty) from the base tables, in one
// SERIALIZABLE transaction: the name keys of the timesheets are derived
// again with NameKey, the summary rows deleted and inserted anew. Commits
// that touch the same rows wait for it, or are retried.
func (r *Records) RebuildSummaries(ctx context.Context, tenantID string) error {
	return rebuildSummaries(ctx, r.db, tenantID)
}

func rebuildSummaries(ctx context.Context, db beginner, tenantID string) error {
	return inTx(ctx, db, sql.LevelSerializable, func(tx *sql.Tx) error {
		where := func(alias string) (string, []any) {
			if tenantID == "" {
				return "1 = 1", nil
			}
			return alias + ".tenant_id = ?", []any{tenantID}
		}
		if err := rekeyTimesheets(ctx, tx, where); err != nil {
			return err
		}
		for _, table := range []string{"summary_weekly_hours", "summary_contract_months", "summary_contract_rates"} {
			w, args := where("s")
			if _, err := tx.ExecContext(ctx, "DELETE s FROM "+table+" s WHERE "+w, args...); err != nil {
				return err
			}
		}
		w, args := where("c")
		w2, args2 := where("t")
		w3, args3 := where("c")
		w4, args4 := where("t")
		all := slices.Concat(args, args2, args3, args4)
		if _, err := tx.ExecContext(ctx, `INSERT INTO summary_contract_rates
			(tenant_id, contract_key, contract_number, contract_document_id, hourly_rate)
			SELECT k.tenant_id, k.contract_key, coalesce(lc.contract_number, lt.contract_number), lc.document_id, lc.hourly_rate
			FROM (SELECT c.tenant_id, c.contract_key FROM contracts c WHERE `+w+`
			      UNION SELECT t.tenant_id, t.contract_key FROM timesheets t WHERE `+w2+`) k
			LEFT JOIN (SELECT c.tenant_id, c.contract_key, c.contract_number, c.document_id, c.hourly_rate,
			           ROW_NUMBER() OVER (PARTITION BY c.tenant_id, c.contract_key ORDER BY c.committed_at DESC, c.id DESC) AS rn
			           FROM contracts c WHERE `+w3+`) lc
			       ON lc.tenant_id = k.tenant_id AND lc.contract_key = k.contract_key AND lc.rn = 1
			LEFT JOIN (SELECT t.tenant_id, t.contract_key, t.contract_number,
			           ROW_NUMBER() OVER (PARTITION BY t.tenant_id, t.contract_key ORDER BY t.id DESC) AS rn
			           FROM timesheets t WHERE `+w4+`) lt
			       ON lt.tenant_id = k.tenant_id AND lt.contract_key = k.contract_key AND lt.rn = 1`, all...); err != nil {
			return err
		}
		w, args = where("t")
		if _, err := tx.ExecContext(ctx, insertMonths(w), args...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertWeeks(w), args...); err != nil {
			return err
		}
		return nil
	})
}

// rekeyTimesheets sets worker_key and client_key to the NameKey of the
// names where they differ (rows written before migration 0002, or keyed
// by an earlier NameKey).
func rekeyTimesheets(ctx context.Context, tx *sql.Tx, where func(string) (string, []any)) error {
	w, args := where("t")
	rows, err := tx.QueryContext(ctx, `SELECT t.id, coalesce(t.worker_name, ''), coalesce(t.client_name, ''),
		t.worker_key, t.client_key FROM timesheets t WHERE `+w, args...)
	if err != nil {
		return err
	}
	type rekey struct {
		id             int64
		worker, client string
	}
	var todo []rekey
	for rows.Next() {
		var id int64
		var worker, client, workerKey, clientKey string
		if err := rows.Scan(&id, &worker, &client, &workerKey, &clientKey); err != nil {
			rows.Close()
			return err
		}
		if wk, ck := NameKey(worker), NameKey(client); wk != workerKey || ck != clientKey {
			todo = append(todo, rekey{id, wk, ck})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range todo {
		if _, err := tx.ExecContext(ctx, "UPDATE timesheets SET worker_key = ?, client_key = ? WHERE id = ?",
			k.worker, k.client, k.id); err != nil {
			return err
		}
	}
	return nil
}

// insertWeeks returns the statement that inserts the weekly rows of the
// entries of timesheets t matching where. Incremental maintenance and the
// rebuild share it; the ISO week is MariaDB's YEARWEEK mode 3.
func insertWeeks(where string) string {
	return `INSERT INTO summary_weekly_hours
		(tenant_id, worker_key, client_key, iso_year, iso_week, worker_name, client_name, hours, timesheets)
		SELECT g.tenant_id, g.worker_key, g.client_key, g.iso_year, g.iso_week,
		       coalesce(lt.worker_name, ''), coalesce(lt.client_name, ''), g.hours, g.n
		FROM (SELECT t.tenant_id, t.worker_key, t.client_key,
		             YEARWEEK(e.work_date, 3) DIV 100 AS iso_year, YEARWEEK(e.work_date, 3) MOD 100 AS iso_week,
		             SUM(e.hours) AS hours, COUNT(DISTINCT t.id) AS n, MAX(t.id) AS last_id
		      FROM timesheets t JOIN timesheet_entries e ON e.document_id = t.document_id AND e.tenant_id = t.tenant_id
		      WHERE ` + where + `
		      GROUP BY t.tenant_id, t.worker_key, t.client_key, iso_year, iso_week) g
		JOIN timesheets lt ON lt.id = g.last_id`
}

// insertMonths returns the statement that inserts the monthly rows of the
// entries of timesheets t matching where, priced by summary_contract_rates
// (which must be up to date for their keys).
func insertMonths(where string) string {
	return `INSERT INTO summary_contract_months
		(tenant_id, contract_key, year, month, contract_number, hours, hourly_rate, amount, timesheets)
		SELECT g.tenant_id, g.contract_key, g.y, g.m, r.contract_number, g.hours, r.hourly_rate,
		       coalesce(ROUND(g.hours * r.hourly_rate, 2), 0), g.n
		FROM (SELECT t.tenant_id, t.contract_key, YEAR(e.work_date) AS y, MONTH(e.work_date) AS m,
		             SUM(e.hours) AS hours, COUNT(DISTINCT t.id) AS n
		      FROM timesheets t JOIN timesheet_entries e ON e.document_id = t.document_id AND e.tenant_id = t.tenant_id
		      WHERE ` + where + `
		      GROUP BY t.tenant_id, t.contract_key, y, m) g
		JOIN summary_contract_rates r ON r.tenant_id = g.tenant_id AND r.contract_key = g.contract_key`
}

// rateKey, monthKey and weekKey name one row of summary_contract_rates,
// summary_contract_months and summary_weekly_hours.
type (
	rateKey  struct{ tenant, contract string }
	monthKey struct {
		tenant, contract string
		year, month      int
	}
	weekKey struct {
		tenant, worker, client string
		year, week             int
	}
)

func compareRateKeys(a, b rateKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.contract, b.contract))
}

func compareMonthKeys(a, b monthKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.contract, b.contract),
		cmp.Compare(a.year, b.year), cmp.Compare(a.month, b.month))
}

func compareWeekKeys(a, b weekKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.worker, b.worker), cmp.Compare(a.client, b.client),
		cmp.Compare(a.year, b.year), cmp.Compare(a.week, b.week))
}

type set[K comparable] map[K]struct{}

func newSet[K comparable]() set[K] { return set[K]{} }

func (s set[K]) add(k K) { s[k] = struct{}{} }

func (s set[K]) sorted(compare func(a, b K) int) []K {
	return slices.SortedFunc(maps.Keys(s), compare)
}

// lockRate creates or locks the rate row of a contract key; it stays
// locked until the transaction ends, and guards the key's month rows too.
func lockRate(ctx context.Context, tx *sql.Tx, k rateKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO summary_contract_rates (tenant_id, contract_key, contract_number)
		VALUES (?, ?, '') ON DUPLICATE KEY UPDATE tenant_id = tenant_id`, k.tenant, k.contract)
	return err
}

// lockWeek creates or locks a weekly row.
func lockWeek(ctx context.Context, tx *sql.Tx, k weekKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO summary_weekly_hours
		(tenant_id, worker_key, client_key, iso_year, iso_week, worker_name, client_name, hours, timesheets)
		VALUES (?, ?, ?, ?, ?, '', '', 0, 0) ON DUPLICATE KEY UPDATE tenant_id = tenant_id`,
		k.tenant, k.worker, k.client, k.year, k.week)
	return err
}

// recomputeRate sets a contract key's rate row from the base tables, or
// deletes it when neither a contract nor a timesheet names the key.
func recomputeRate(ctx context.Context, tx *sql.Tx, k rateKey) error {
	var number string
	var document, rate sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT contract_number, document_id, hourly_rate FROM contracts
		WHERE tenant_id = ? AND contract_key = ? ORDER BY committed_at DESC, id DESC LIMIT 1`,
		k.tenant, k.contract).Scan(&number, &document, &rate)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `SELECT contract_number FROM timesheets
			WHERE tenant_id = ? AND contract_key = ? ORDER BY id DESC LIMIT 1`, k.tenant, k.contract).Scan(&number)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, "DELETE FROM summary_contract_rates WHERE tenant_id = ? AND contract_key = ?",
				k.tenant, k.contract)
			return err
		}
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE summary_contract_rates SET contract_number = ?, contract_document_id = ?,
		hourly_rate = ? WHERE tenant_id = ? AND contract_key = ?`, number, document, rate, k.tenant, k.contract)
	return err
}

// recomputeContractMonths recomputes every month row of a contract key.
func recomputeContractMonths(ctx context.Context, tx *sql.Tx, k rateKey) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM summary_contract_months WHERE tenant_id = ? AND contract_key = ?",
		k.tenant, k.contract); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, insertMonths("t.tenant_id = ? AND t.contract_key = ?"), k.tenant, k.contract)
	return err
}

// recomputeMonth recomputes one month row of a contract key.
func recomputeMonth(ctx context.Context, tx *sql.Tx, k monthKey) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM summary_contract_months
		WHERE tenant_id = ? AND contract_key = ? AND year = ? AND month = ?`,
		k.tenant, k.contract, k.year, k.month); err != nil {
		return err
	}
	first := time.Date(k.year, time.Month(k.month), 1, 0, 0, 0, 0, time.UTC)
	_, err := tx.ExecContext(ctx, insertMonths(`t.tenant_id = ? AND t.contract_key = ?
		AND e.work_date >= ? AND e.work_date < ?`), k.tenant, k.contract,
		first.Format(time.DateOnly), first.AddDate(0, 1, 0).Format(time.DateOnly))
	return err
}

// recomputeWeek recomputes one weekly row (locked by lockWeek).
func recomputeWeek(ctx context.Context, tx *sql.Tx, k weekKey) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM summary_weekly_hours
		WHERE tenant_id = ? AND worker_key = ? AND client_key = ? AND iso_year = ? AND iso_week = ?`,
		k.tenant, k.worker, k.client, k.year, k.week); err != nil {
		return err
	}
	monday := isoWeekStart(k.year, k.week)
	_, err := tx.ExecContext(ctx, insertWeeks(`t.tenant_id = ? AND t.worker_key = ? AND t.client_key = ?
		AND e.work_date BETWEEN ? AND ?`), k.tenant, k.worker, k.client,
		monday.Format(time.DateOnly), monday.AddDate(0, 0, 6).Format(time.DateOnly))
	return err
}

// isoWeekStart returns the Monday of an ISO week (4 January is always in
// week 1).
func isoWeekStart(year, week int) time.Time {
	jan4 := time.Date(year, time.January, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(week-1))
}
