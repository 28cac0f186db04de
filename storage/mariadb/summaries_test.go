package mariadb_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// ledger commits documents and keeps, beside the database, what the
// summaries must say: the last version of every document, and the order
// in which contracts were first committed (the latest prices its key).
type ledger struct {
	t          *testing.T
	r          *mariadb.Records
	timesheets map[string]tsVersion
	contracts  map[string]ctVersion
	order      []string
}

type tsVersion struct {
	tenant string
	ts     pipeline.Timesheet
}

type ctVersion struct {
	tenant, number string
	rate           *float64
}

func newLedger(t *testing.T, db *sql.DB) *ledger {
	return &ledger{t: t, r: mariadb.New(db), timesheets: map[string]tsVersion{}, contracts: map[string]ctVersion{}}
}

func entry(day string, hours float64) pipeline.Entry {
	d, err := pipeline.ParseDate(day)
	if err != nil {
		panic(err)
	}
	return pipeline.Entry{Date: d, Hours: hours}
}

func timesheet(number, worker, client string, entries ...pipeline.Entry) pipeline.Timesheet {
	ts := pipeline.Timesheet{ContractNumber: number, WorkerName: worker, ClientName: client, Entries: entries}
	var total float64
	for _, e := range entries {
		total += e.Hours
	}
	ts.TotalHours = &total
	if len(entries) > 0 {
		start, end := entries[0].Date, entries[len(entries)-1].Date
		ts.PeriodStart, ts.PeriodEnd = &start, &end
	}
	return ts
}

func rate(f float64) *float64 { return &f }

func timesheetDoc(tenant, id string, ts pipeline.Timesheet) pipeline.Document {
	return pipeline.Document{ID: id, TenantID: tenant, Type: pipeline.TypeTimesheet, Fields: pipeline.Fields{Timesheet: &ts}}
}

func contractDoc(tenant, id, number string, hourly *float64) pipeline.Document {
	c := pipeline.Contract{ContractNumber: number, WorkerName: "Élodie Lefèvre", ClientName: "Boulangeries Martin SAS", HourlyRate: hourly}
	return pipeline.Document{ID: id, TenantID: tenant, Type: pipeline.TypeContract, Fields: pipeline.Fields{Contract: &c}}
}

func (l *ledger) timesheet(tenant, id string, ts pipeline.Timesheet) {
	l.t.Helper()
	if err := l.r.Commit(context.Background(), timesheetDoc(tenant, id, ts)); err != nil {
		l.t.Fatalf("commit timesheet %s: %v", id, err)
	}
	l.timesheets[id] = tsVersion{tenant, ts}
}

func (l *ledger) contract(tenant, id, number string, hourly *float64) {
	l.t.Helper()
	if err := l.r.Commit(context.Background(), contractDoc(tenant, id, number, hourly)); err != nil {
		l.t.Fatalf("commit contract %s: %v", id, err)
	}
	if _, seen := l.contracts[id]; !seen {
		l.order = append(l.order, id)
	}
	l.contracts[id] = ctVersion{tenant, number, hourly}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// expectedWeeks computes a tenant's weekly rows from the ledger alone.
func (l *ledger) expectedWeeks(tenant string) []mariadb.WorkerWeek {
	type key struct {
		worker, client string
		y, w           int
	}
	rows := map[key]*mariadb.WorkerWeek{}
	docs := map[key]map[string]bool{}
	for id, v := range l.timesheets {
		if v.tenant != tenant {
			continue
		}
		for _, e := range v.ts.Entries {
			y, w := e.Date.ISOWeek()
			k := key{mariadb.NameKey(v.ts.WorkerName), mariadb.NameKey(v.ts.ClientName), y, w}
			if rows[k] == nil {
				monday := e.Date.AddDate(0, 0, -((int(e.Date.Weekday()) + 6) % 7))
				rows[k] = &mariadb.WorkerWeek{WorkerKey: k.worker, ClientKey: k.client, ISOYear: y, ISOWeek: w,
					WeekStart: pipeline.Date{Time: monday}}
				docs[k] = map[string]bool{}
			}
			rows[k].Hours = round2(rows[k].Hours + round2(e.Hours))
			docs[k][id] = true
		}
	}
	out := []mariadb.WorkerWeek{}
	for k, r := range rows {
		r.Timesheets = len(docs[k])
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b mariadb.WorkerWeek) int {
		return cmpAll(a.ISOYear-b.ISOYear, a.ISOWeek-b.ISOWeek, cmpString(a.WorkerKey, b.WorkerKey), cmpString(a.ClientKey, b.ClientKey))
	})
	return out
}

// expectedMonths computes a tenant's monthly rows of one contract from the
// ledger alone.
func (l *ledger) expectedMonths(tenant, number string) []mariadb.ContractMonth {
	key := pipeline.ContractKey(number)
	var hourly *float64
	for _, id := range l.order {
		if c := l.contracts[id]; c.tenant == tenant && pipeline.ContractKey(c.number) == key {
			hourly = c.rate
		}
	}
	type ym struct{ y, m int }
	rows := map[ym]*mariadb.ContractMonth{}
	docs := map[ym]map[string]bool{}
	for id, v := range l.timesheets {
		if v.tenant != tenant || pipeline.ContractKey(v.ts.ContractNumber) != key {
			continue
		}
		for _, e := range v.ts.Entries {
			k := ym{e.Date.Year(), int(e.Date.Month())}
			if rows[k] == nil {
				rows[k] = &mariadb.ContractMonth{Year: k.y, Month: k.m, HourlyRate: hourly}
				docs[k] = map[string]bool{}
			}
			rows[k].Hours = round2(rows[k].Hours + round2(e.Hours))
			docs[k][id] = true
		}
	}
	out := []mariadb.ContractMonth{}
	for k, r := range rows {
		r.Timesheets = len(docs[k])
		if hourly != nil {
			r.Amount = round2(r.Hours * *hourly)
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b mariadb.ContractMonth) int { return cmpAll(a.Year-b.Year, a.Month-b.Month) })
	return out
}

func cmpAll(c ...int) int {
	for _, v := range c {
		if v != 0 {
			return v
		}
	}
	return 0
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var approx = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 0.005 })

// checkAgainstLedger compares the read API with the ledger's expectations.
func (l *ledger) checkAgainstLedger(tenant string, numbers ...string) {
	l.t.Helper()
	ctx := context.Background()
	got, err := l.r.WeeklyHours(ctx, tenant, mariadb.WeeklyHoursFilter{})
	if err != nil {
		l.t.Fatal(err)
	}
	// Names are display spellings; the ledger checks keys and numbers.
	for i := range got {
		got[i].WorkerName, got[i].ClientName = "", ""
	}
	if diff := cmp.Diff(l.expectedWeeks(tenant), got, approx); diff != "" {
		l.t.Errorf("weekly hours of tenant %s (-want +got):\n%s", tenant, diff)
	}
	for _, n := range numbers {
		got, err := l.r.ContractMonths(ctx, tenant, n)
		if err != nil {
			l.t.Fatal(err)
		}
		for i := range got {
			got[i].ContractNumber = ""
		}
		if diff := cmp.Diff(l.expectedMonths(tenant, n), got, approx); diff != "" {
			l.t.Errorf("months of %s, tenant %s (-want +got):\n%s", n, tenant, diff)
		}
	}
}

// dump returns every row of the summary tables, as text, in key order.
func dump(t *testing.T, db *sql.DB) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	for table, order := range map[string]string{
		"summary_weekly_hours":    "tenant_id, worker_key, client_key, iso_year, iso_week",
		"summary_contract_rates":  "tenant_id, contract_key",
		"summary_contract_months": "tenant_id, contract_key, year, month",
		"timesheets":              "id",
	} {
		cols := "*"
		if table == "timesheets" {
			cols = "document_id, worker_key, client_key"
		}
		rows, err := db.Query("SELECT " + cols + " FROM " + table + " ORDER BY " + order)
		if err != nil {
			t.Fatal(err)
		}
		names, _ := rows.Columns()
		out[table] = [][]string{}
		for rows.Next() {
			vals := make([]sql.NullString, len(names))
			ptrs := make([]any, len(names))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(names))
			for i, v := range vals {
				row[i] = names[i] + "=" + map[bool]string{true: v.String, false: "NULL"}[v.Valid]
			}
			out[table] = append(out[table], row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

func TestSummariesIncrementalEqualRebuild(t *testing.T) {
	t.Parallel()
	db := dbtest.MariaDB(t)
	ctx := context.Background()
	l := newLedger(t, db)
	a, b := uuid.NewString(), uuid.NewString()
	ts1, ts2, ts3, ts4, ts5 := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	c1, c1b, c2 := uuid.NewString(), uuid.NewString(), uuid.NewString()

	// A contract committed before its timesheets.
	l.contract(a, c1, "CM-2026-000100", rate(13.45))
	l.timesheet(a, ts1, timesheet("CM-2026-000100", "Élodie Lefèvre", "Boulangeries Martin SAS",
		entry("2026-03-02", 7.5), entry("2026-03-03", 7.5), entry("2026-03-04", 7.5), entry("2026-03-05", 7.5), entry("2026-03-06", 7.5)))
	// The same worker and client spelled otherwise, one ISO week over two months.
	l.timesheet(a, ts2, timesheet("cm 2026 000100", "ÉLODIE  LEFÈVRE", "boulangeries  martin sas",
		entry("2026-03-30", 7), entry("2026-03-31", 7), entry("2026-04-01", 7), entry("2026-04-02", 3.5)))
	// Timesheets before their contract (one never gets one), across a year:
	// 2025-12-29 is in ISO week 2026-W01 and in December 2025.
	l.timesheet(a, ts3, timesheet("CM-2026-000200", "Marc Dubois", "Acme Logistique",
		entry("2025-12-29", 8), entry("2025-12-31", 8), entry("2026-01-02", 6)))
	l.timesheet(a, ts4, timesheet("CM-2026-000300", "Marc Dubois", "Acme Logistique", entry("2026-01-05", 4)))
	if m, err := l.r.ContractMonths(ctx, a, "CM-2026-000200"); err != nil || len(m) != 2 || m[0].HourlyRate != nil || m[0].Amount != 0 {
		t.Fatalf("months before the contract = %+v, %v; want two unpriced months", m, err)
	}
	l.contract(a, c2, "CM-2026-000200", rate(14))
	if m, err := l.r.ContractMonths(ctx, a, "CM-2026-000200"); err != nil || len(m) != 2 || m[0].Amount != 224 || m[1].Amount != 84 {
		t.Fatalf("months after the contract = %+v, %v; want 224 and 84", m, err)
	}
	// A timesheet without entries: a contract key with no months.
	l.timesheet(a, ts5, timesheet("CM-2026-000400", "Paul Girard", "Acme Logistique"))
	l.checkAgainstLedger(a, "CM-2026-000100", "CM-2026-000200", "CM-2026-000300", "CM-2026-000400")

	// The same commit again changes nothing.
	before := dump(t, db)
	l.timesheet(a, ts1, l.timesheets[ts1].ts)
	l.contract(a, c2, "CM-2026-000200", rate(14))
	if diff := cmp.Diff(before, dump(t, db)); diff != "" {
		t.Errorf("a second commit of the same documents changed the summaries:\n%s", diff)
	}

	// Corrected re-commits: other entries; another contract, worker and
	// client (the old keys must lose the document's hours); a corrected rate;
	// a later contract of the same number, which prices the key from now on.
	l.timesheet(a, ts2, timesheet("CM-2026-000100", "Élodie Lefèvre", "Boulangeries Martin SAS",
		entry("2026-03-30", 7), entry("2026-03-31", 7.5)))
	l.timesheet(a, ts4, timesheet("CM-2026-000100", "élodie lefèvre", "Boulangeries Martin SAS", entry("2026-01-05", 4.25)))
	l.contract(a, c2, "CM-2026-000200", rate(14.25))
	l.contract(a, c1b, "CM 2026 000100", rate(13.8))

	// Tenant B: the same numbers and names, and a worker of its own.
	l.contract(b, uuid.NewString(), "CM-2026-000100", rate(20))
	l.timesheet(b, uuid.NewString(), timesheet("CM-2026-000100", "Élodie Lefèvre", "Boulangeries Martin SAS", entry("2026-03-02", 10)))
	l.timesheet(b, uuid.NewString(), timesheet("CM-2026-000900", "Only In B", "Acme Logistique", entry("2026-03-03", 9)))

	numbers := []string{"CM-2026-000100", "CM-2026-000200", "CM-2026-000300", "CM-2026-000400", "CM-2026-000900"}
	l.checkAgainstLedger(a, numbers...)
	l.checkAgainstLedger(b, numbers...)

	m, err := l.r.ContractMonths(ctx, a, "cm-2026-000100")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m[0].ContractNumber != "CM 2026 000100" || *m[0].HourlyRate != 13.8 || m[0].Amount != 58.65 {
		t.Errorf("CM-2026-000100 months = %+v; want January and March (April corrected away) at 13.80, January 4.25 h = 58.65", m)
	}
	if m, _ := l.r.ContractMonths(ctx, a, "CM-2026-000300"); len(m) != 0 {
		t.Errorf("CM-2026-000300 keeps months after its only timesheet moved: %+v", m)
	}
	w, err := l.r.WeeklyHours(ctx, a, mariadb.WeeklyHoursFilter{Worker: "ELODIE LEFÈVRE  ", Client: "boulangeries martin sas",
		From: &pipeline.Date{Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, To: &pipeline.Date{Time: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 0 {
		t.Errorf("the filter matched without the accent: %+v", w)
	}
	w, err = l.r.WeeklyHours(ctx, a, mariadb.WeeklyHoursFilter{Worker: "ÉLODIE LEFÈVRE  ", Client: "boulangeries martin sas",
		From: &pipeline.Date{Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, To: &pipeline.Date{Time: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 2 || w[0].ISOWeek != 10 || w[0].Hours != 37.5 || w[1].ISOWeek != 14 || w[1].Hours != 14.5 ||
		w[1].WorkerName != "Élodie Lefèvre" || w[1].WeekStart.String() != "2026-03-30" {
		t.Errorf("weeks of March = %+v; want W10 37.5 h and W14 14.5 h (as corrected, Monday 2026-03-30)", w)
	}

	// Tenant isolation: B's rows never show in A's reads.
	if w, _ := l.r.WeeklyHours(ctx, a, mariadb.WeeklyHoursFilter{Worker: "Only In B"}); len(w) != 0 {
		t.Errorf("tenant A reads tenant B's worker: %+v", w)
	}
	if m, _ := l.r.ContractMonths(ctx, a, "CM-2026-000900"); len(m) != 0 {
		t.Errorf("tenant A reads tenant B's contract: %+v", m)
	}
	if _, err := l.r.WeeklyHours(ctx, "", mariadb.WeeklyHoursFilter{}); err == nil {
		t.Error("WeeklyHours without a tenant is accepted")
	}

	// The proof: the incrementally maintained tables are what a rebuild from
	// the base tables gives, for one tenant and for all.
	incremental := dump(t, db)
	if len(incremental["summary_weekly_hours"]) < 6 || len(incremental["summary_contract_months"]) < 6 {
		t.Fatalf("too few summary rows to prove anything: %v", incremental)
	}
	if err := l.r.RebuildSummaries(ctx, a); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(incremental, dump(t, db)); diff != "" {
		t.Errorf("RebuildSummaries(tenant A) differs from the incremental tables (-incremental +rebuilt):\n%s", diff)
	}
	if err := l.r.RebuildSummaries(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(incremental, dump(t, db)); diff != "" {
		t.Errorf("RebuildSummaries(all) differs from the incremental tables (-incremental +rebuilt):\n%s", diff)
	}

	// A rebuild repairs damaged summaries and stale keys, of its tenant only.
	for _, q := range []string{
		"DELETE FROM summary_weekly_hours WHERE iso_week = 10",
		"UPDATE summary_contract_months SET hours = 999, amount = 1",
		"UPDATE summary_contract_rates SET hourly_rate = NULL",
		"UPDATE timesheets SET worker_key = ''",
		"INSERT INTO summary_weekly_hours VALUES ('" + b + "', 'ghost', 'ghost', 2026, 1, 'Ghost', 'Ghost', 1, 1)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.r.RebuildSummaries(ctx, a); err != nil {
		t.Fatal(err)
	}
	l.checkAgainstLedger(a, numbers...)
	if w, _ := l.r.WeeklyHours(ctx, b, mariadb.WeeklyHoursFilter{Worker: "ghost"}); len(w) != 1 {
		t.Errorf("RebuildSummaries(tenant A) touched tenant B: %+v", w)
	}
	if err := l.r.RebuildSummaries(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(incremental, dump(t, db)); diff != "" {
		t.Errorf("RebuildSummaries(all) after damage (-incremental +rebuilt):\n%s", diff)
	}
}

func TestSummariesConcurrentCommits(t *testing.T) {
	t.Parallel()
	db := dbtest.MariaDB(t)
	ctx := context.Background()
	r := mariadb.New(db)
	tenant := uuid.NewString()
	// 20 timesheets of one worker and week, spread over 4 contracts so that
	// only the weekly row is shared by all, and each contract's month by 5.
	const n, contracts = 20, 4
	number := func(i int) string { return fmt.Sprintf("CM-2026-00070%d", i%contracts) }
	docs := make([]pipeline.Document, n)
	var total float64
	perContract := map[string]float64{}
	for i := range docs {
		worker := "Jean Martin"
		if i%2 == 1 {
			worker = "JEAN  MARTIN"
		}
		h1, h2 := 1+float64(i%4)*0.5, 0.25*float64(i%3+1)
		total += h1 + h2
		perContract[number(i)] += h1 + h2
		docs[i] = timesheetDoc(tenant, uuid.NewString(), timesheet(number(i), worker, "Acme",
			entry("2026-03-02", h1), entry("2026-03-04", h2)))
	}
	// Every timesheet twice at once, and a contract among them.
	jobs := slices.Concat(docs, docs, []pipeline.Document{contractDoc(tenant, uuid.NewString(), number(0), rate(15.5))})
	start := make(chan struct{})
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for _, d := range jobs {
		wg.Go(func() {
			<-start
			if err := r.Commit(ctx, d); err != nil {
				errs <- fmt.Errorf("commit %s: %w", d.ID, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	w, err := r.WeeklyHours(ctx, tenant, mariadb.WeeklyHoursFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 1 || math.Abs(w[0].Hours-total) > 0.005 || w[0].Timesheets != n || w[0].ISOWeek != 10 {
		t.Errorf("weekly rows = %+v; want one row of %.2f h from %d timesheets", w, total, n)
	}
	for i := range contracts {
		m, err := r.ContractMonths(ctx, tenant, number(i))
		if err != nil {
			t.Fatal(err)
		}
		want, amount := perContract[number(i)], 0.0
		if i == 0 {
			amount = round2(want * 15.5)
		}
		if len(m) != 1 || math.Abs(m[0].Hours-want) > 0.005 || math.Abs(m[0].Amount-amount) > 0.005 ||
			(m[0].HourlyRate != nil) != (i == 0) || m[0].Timesheets != n/contracts {
			t.Errorf("months of %s = %+v; want %.2f h, amount %.2f", number(i), m, want, amount)
		}
	}
	incremental := dump(t, db)
	if err := r.RebuildSummaries(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(incremental, dump(t, db)); diff != "" {
		t.Errorf("rebuild differs from the concurrently maintained tables (-incremental +rebuilt):\n%s", diff)
	}
}

// TestMigrationFillsSummaries applies 0002 to a database that has
// timesheets from before it: their keys are derived and the summaries
// filled; and 0002 may run again.
func TestMigrationFillsSummaries(t *testing.T) {
	t.Parallel()
	db := dbtest.MariaDB(t)
	ctx := context.Background()
	l := newLedger(t, db)
	tenant := uuid.NewString()
	l.contract(tenant, uuid.NewString(), "CM-2026-000500", rate(12.5))
	l.timesheet(tenant, uuid.NewString(), timesheet("CM-2026-000500", "Élodie Lefèvre", "Acme", entry("2026-03-02", 7)))
	l.timesheet(tenant, uuid.NewString(), timesheet("CM-2026-000500", "élodie LEFÈVRE", "ACME", entry("2026-03-03", 6)))
	want := dump(t, db)

	down, err := os.ReadFile("migrations/0002_summaries.down.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(down), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if _, err := db.Exec("DELETE FROM docflow_migrations WHERE version >= 2"); err != nil {
		t.Fatal(err)
	}
	if err := mariadb.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, dump(t, db)); diff != "" {
		t.Errorf("summaries after migration 0002 (-committed +migrated):\n%s", diff)
	}
	l.checkAgainstLedger(tenant, "CM-2026-000500")

	if _, err := db.Exec("DELETE FROM docflow_migrations WHERE version >= 2"); err != nil {
		t.Fatal(err)
	}
	if err := mariadb.Migrate(ctx, db); err != nil {
		t.Fatalf("0002 a second time: %v", err)
	}
	if err := mariadb.CheckSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
}
