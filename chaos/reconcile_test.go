//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// terminal are the document statuses no job will move on.
var terminal = map[string]bool{"committed": true, "in_review": true, "rejected": true, "refused": true, "failed": true}

// settle waits until every document of the tenant has a terminal status
// and no River job is left to run (available, running, retryable), or
// until ctx ends; it returns how long it waited.
func (c *cluster) settle(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	for {
		var open, jobs int
		err := c.pg.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM documents WHERE tenant_id = $1 AND status NOT IN ('committed', 'in_review', 'rejected', 'refused', 'failed')),
			(SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'pending')
			    OR (state = 'scheduled' AND kind NOT LIKE '%periodic%' AND scheduled_at < now() + interval '1 hour'))`, c.tenant).Scan(&open, &jobs)
		if err == nil && open == 0 && jobs == 0 {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("not settled when the time bound ended: %d documents not terminal, %d jobs left (last error %v)", open, jobs, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// settleWithin waits at most limit for the run to settle (settle), failing
// the test if it does not, and returns how long it waited.
func (c *cluster) settleWithin(ctx context.Context, limit time.Duration) time.Duration {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	waited, err := c.settle(ctx)
	if err != nil {
		c.t.Error(err)
	}
	return waited
}

// reconciliation is what was sent against what the databases hold.
type reconciliation struct {
	Sent, Accepted, NotAccepted int
	HTTP                        map[int]int
	Problems                    map[string]int
	Statuses                    map[string]int // PostgreSQL documents by status
	Lost                        []string       // accepted, not in PostgreSQL
	Unknown                     []string       // in PostgreSQL, never acknowledged to the client
	NotTerminal                 []string
	NotDecided                  []string // terminal but neither committed nor in review
	Contracts, Timesheets       int      // MariaDB rows
	DupByDocument               []string // document ids with more than one MariaDB row
	DupByNumber                 []string // contract numbers committed more than once
	Missing                     []string // committed in PostgreSQL, no MariaDB row
	Orphans                     []string // MariaDB row, document not committed in PostgreSQL
	DoubleCommitAudit           []string // more than one document.committed audit entry
	MultiRuns                   int      // documents with more than one extraction run
	Extractors                  map[string]int
	Jobs                        map[string]int // River jobs by kind/state
	JobsRetried                 int
	MaxAttempt                  int
	Errors                      []string // what breaks the scenario's promise
}

func (c *cluster) reconcile(ctx context.Context, s *sender) *reconciliation {
	c.t.Helper()
	r := &reconciliation{Statuses: map[string]int{}, Extractors: map[string]int{}, Jobs: map[string]int{}}
	accepted := map[string]doc{}
	if s != nil {
		accepted = s.acceptedIDs()
		s.mu.Lock()
		r.Sent, r.NotAccepted, r.HTTP, r.Problems = s.sent, len(s.refused), s.statuses, s.problems
		s.mu.Unlock()
	}
	r.Accepted = len(accepted)
	pgDocs := map[string]string{} // id -> status
	pgType := map[string]string{}
	rows, err := c.pg.Query(ctx, `SELECT id::text, status, document_type FROM documents WHERE tenant_id = $1`, c.tenant)
	if err != nil {
		c.t.Fatalf("reconcile: %v", err)
	}
	for rows.Next() {
		var id, st, typ string
		if err := rows.Scan(&id, &st, &typ); err != nil {
			c.t.Fatal(err)
		}
		pgDocs[id], pgType[id] = st, typ
		r.Statuses[st]++
		if !terminal[st] {
			r.NotTerminal = append(r.NotTerminal, id+" "+st)
		} else if st != "committed" && st != "in_review" {
			r.NotDecided = append(r.NotDecided, id+" "+st)
		}
	}
	rows.Close()
	for _, id := range sortedKeys(accepted) {
		if _, ok := pgDocs[id]; !ok {
			r.Lost = append(r.Lost, id)
		}
	}
	if s != nil {
		for _, id := range sortedKeys(pgDocs) {
			if _, ok := accepted[id]; !ok && pgType[id] != "email" {
				r.Unknown = append(r.Unknown, id+" "+pgDocs[id])
			}
		}
	}
	// MariaDB: rows per document and per contract number.
	mdbDocs := map[string]int{}
	for _, table := range []string{"contracts", "timesheets"} {
		rows, err := c.mdb.QueryContext(ctx, `SELECT document_id, contract_number FROM `+table+` WHERE tenant_id = ?`, c.tenant)
		if err != nil {
			c.t.Fatalf("reconcile %s: %v", table, err)
		}
		perNumber := map[string]int{}
		for rows.Next() {
			var id, number string
			if err := rows.Scan(&id, &number); err != nil {
				c.t.Fatal(err)
			}
			mdbDocs[id]++
			perNumber[number]++
			if table == "contracts" {
				r.Contracts++
			} else {
				r.Timesheets++
			}
		}
		rows.Close()
		for _, n := range sortedKeys(perNumber) {
			if perNumber[n] > 1 {
				r.DupByNumber = append(r.DupByNumber, fmt.Sprintf("%s: %d %s rows", n, perNumber[n], table))
			}
		}
	}
	for _, id := range sortedKeys(mdbDocs) {
		if mdbDocs[id] > 1 {
			r.DupByDocument = append(r.DupByDocument, fmt.Sprintf("%s: %d rows", id, mdbDocs[id]))
		}
		if pgDocs[id] != "committed" {
			r.Orphans = append(r.Orphans, fmt.Sprintf("%s (PostgreSQL status %q)", id, pgDocs[id]))
		}
	}
	for _, id := range sortedKeys(pgDocs) {
		if pgDocs[id] == "committed" && (pgType[id] == "contract" || pgType[id] == "timesheet") && mdbDocs[id] == 0 {
			r.Missing = append(r.Missing, id)
		}
	}
	c.queryRows(ctx, func(vals []string) {
		r.DoubleCommitAudit = append(r.DoubleCommitAudit, vals[0]+": "+vals[1]+" entries")
	}, `SELECT document_id::text, count(*)::text FROM audit_log WHERE tenant_id = $1 AND action = 'document.committed'
		GROUP BY document_id HAVING count(*) > 1`, c.tenant)
	c.queryRows(ctx, func(vals []string) { r.MultiRuns, _ = strconv.Atoi(vals[0]) },
		`SELECT count(*)::text FROM (SELECT document_id FROM extraction_runs WHERE tenant_id = $1 AND outcome = 'used' GROUP BY document_id HAVING count(*) > 1) x`, c.tenant)
	c.queryRows(ctx, func(vals []string) { r.Extractors[vals[0]], _ = strconv.Atoi(vals[1]) },
		`SELECT extractor || CASE WHEN model <> '' THEN ' (' || model || ')' ELSE '' END || CASE WHEN outcome <> 'used' THEN ', ' || outcome ELSE '' END, count(*)::text FROM extraction_runs WHERE tenant_id = $1 GROUP BY 1`, c.tenant)
	c.queryRows(ctx, func(vals []string) { r.Jobs[vals[0]], _ = strconv.Atoi(vals[1]) },
		`SELECT kind || ' ' || state, count(*)::text FROM river_job GROUP BY 1`)
	c.queryRows(ctx, func(vals []string) {
		r.JobsRetried, _ = strconv.Atoi(vals[0])
		r.MaxAttempt, _ = strconv.Atoi(vals[1])
	}, `SELECT count(*) FILTER (WHERE attempt > 1)::text, coalesce(max(attempt), 0)::text FROM river_job`)

	add := func(what string, list []string) {
		if len(list) > 0 {
			r.Errors = append(r.Errors, fmt.Sprintf("%d %s: %s", len(list), what, strings.Join(first(list, 10), "; ")))
		}
	}
	add("accepted documents lost (not in PostgreSQL)", r.Lost)
	add("documents not in a terminal status", r.NotTerminal)
	add("documents neither committed nor in review", r.NotDecided)
	add("documents with more than one MariaDB row", r.DupByDocument)
	add("contract numbers committed more than once", r.DupByNumber)
	add("committed documents missing from MariaDB", r.Missing)
	add("MariaDB rows of documents not committed in PostgreSQL", r.Orphans)
	add("documents with more than one document.committed audit entry", r.DoubleCommitAudit)
	for k, n := range r.Jobs {
		if strings.HasSuffix(k, " running") || strings.HasSuffix(k, " available") || strings.HasSuffix(k, " retryable") || strings.HasSuffix(k, " discarded") {
			r.Errors = append(r.Errors, fmt.Sprintf("%d River jobs %s at the end", n, k))
		}
	}
	sort.Strings(r.Errors)
	return r
}

func first(list []string, n int) []string {
	if len(list) > n {
		return append(list[:n:n], fmt.Sprintf("… %d more", len(list)-n))
	}
	return list
}

func (c *cluster) queryRows(ctx context.Context, each func([]string), q string, args ...any) {
	c.t.Helper()
	rows, err := c.pg.Query(ctx, q, args...)
	if err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			c.t.Fatal(err)
		}
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = fmt.Sprint(v)
		}
		each(s)
	}
}

// report is one scenario's Markdown report.
type report struct {
	Scenario, Title, Promise string
	Params                   [][2]string
	Measures                 [][2]string
	Findings                 []string // observations and fixes, written by the scenario
	// Broken lists the scenario's own promises that the run broke; they
	// count as failures of the reconciliation.
	Broken  []string
	Rec     *reconciliation
	Events  []string
	Started time.Time
	Elapsed time.Duration
}

func machine() [][2]string {
	out := func(name string, args ...string) string {
		b, err := exec.Command(name, args...).Output()
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(b))
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				f := strings.Fields(l)
				kb, _ := strconv.Atoi(f[1])
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/1024/1024)
			}
		}
	}
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, cpu, _ = strings.Cut(l, ": ")
				break
			}
		}
	}
	return [][2]string{{"uname -a", out("uname", "-a")}, {"nproc", out("nproc")}, {"CPU", cpu}, {"memory", mem},
		{"Go", runtime.Version()}, {"PostgreSQL", out("psql", "--version")}, {"MariaDB", out("mariadbd", "--version")}}
}

func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Chaos: %s\n\n", r.Title)
	fmt.Fprintf(&b, "Written by `scripts/chaos.sh` (`GOWORK=off go test -tags chaos -run '%s' -v ./chaos/`) on %s; the run took %s.\n\n",
		r.Scenario, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	fmt.Fprintf(&b, "**Promise.** %s\n\n", r.Promise)
	verdict := "**Verdict: kept.** The reconciliation found nothing lost, nothing duplicated, nothing left open."
	if len(r.Rec.Errors) > 0 {
		verdict = "**Verdict: broken.** See the failures below."
	}
	fmt.Fprintf(&b, "%s\n\n## Machine\n\n", verdict)
	table(&b, machine())
	b.WriteString("\n## Parameters\n\n")
	table(&b, r.Params)
	if len(r.Measures) > 0 {
		b.WriteString("\n## Measures\n\n")
		table(&b, r.Measures)
	}
	rec := r.Rec
	b.WriteString("\n## Reconciliation\n\n")
	table(&b, [][2]string{
		{"uploads sent (documents)", strconv.Itoa(rec.Sent)},
		{"accepted by the API (202/200)", strconv.Itoa(rec.Accepted)},
		{"never accepted (gave up or refused)", strconv.Itoa(rec.NotAccepted)},
		{"lost (accepted, not in PostgreSQL)", strconv.Itoa(len(rec.Lost))},
		{"in PostgreSQL, never acknowledged to the client", strconv.Itoa(len(rec.Unknown))},
		{"PostgreSQL documents not terminal", strconv.Itoa(len(rec.NotTerminal))},
		{"terminal but neither committed nor in review", strconv.Itoa(len(rec.NotDecided))},
		{"MariaDB contracts rows", strconv.Itoa(rec.Contracts)},
		{"MariaDB timesheets rows", strconv.Itoa(rec.Timesheets)},
		{"documents with more than one MariaDB row", strconv.Itoa(len(rec.DupByDocument))},
		{"contract numbers committed more than once", strconv.Itoa(len(rec.DupByNumber))},
		{"committed in PostgreSQL, missing from MariaDB", strconv.Itoa(len(rec.Missing))},
		{"in MariaDB, not committed in PostgreSQL", strconv.Itoa(len(rec.Orphans))},
		{"more than one `document.committed` audit entry", strconv.Itoa(len(rec.DoubleCommitAudit))},
		{"documents with more than one extraction run", strconv.Itoa(rec.MultiRuns)},
		{"River jobs run more than once / highest attempt", fmt.Sprintf("%d / %d", rec.JobsRetried, rec.MaxAttempt)},
	})
	b.WriteString("\nPostgreSQL documents by status:\n\n")
	table(&b, counts(rec.Statuses))
	if len(rec.HTTP) > 0 {
		b.WriteString("\nAPI answers by HTTP status (0: no answer):\n\n")
		m := map[string]int{}
		for k, v := range rec.HTTP {
			m[strconv.Itoa(k)] = v
		}
		table(&b, counts(m))
	}
	if len(rec.Problems) > 0 {
		b.WriteString("\nFailed answers by status and problem code:\n\n")
		table(&b, counts(rec.Problems))
	}
	b.WriteString("\nExtraction runs by extractor:\n\n")
	table(&b, counts(rec.Extractors))
	b.WriteString("\nRiver jobs by kind and state:\n\n")
	table(&b, counts(rec.Jobs))
	b.WriteString("\n## Failures\n\n")
	if len(rec.Errors) == 0 {
		b.WriteString("None.\n")
	}
	for _, e := range rec.Errors {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	b.WriteString("\n## Findings\n\n")
	if len(r.Findings) == 0 {
		b.WriteString("None beyond the reconciliation.\n")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	b.WriteString("\n## Timeline\n\n```text\n")
	for _, e := range r.Events {
		b.WriteString(e + "\n")
	}
	b.WriteString("```\n")
	return b.String()
}

func counts(m map[string]int) [][2]string {
	var rows [][2]string
	for _, k := range sortedKeys(m) {
		rows = append(rows, [2]string{k, strconv.Itoa(m[k])})
	}
	return rows
}

func table(b *strings.Builder, rows [][2]string) {
	b.WriteString("| | |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s |\n", r[0], strings.ReplaceAll(r[1], "|", "\\|"))
	}
}

// finish fails the test on every process that ended by itself (a finding
// of the report too), reconciles, writes docs/chaos/<file>.md, prints it,
// and fails the test on every broken promise.
func (c *cluster) finish(ctx context.Context, file string, r *report, s *sender) {
	c.t.Helper()
	for _, crash := range c.crashes() {
		r.Findings = append(r.Findings, "a process ended by itself: "+firstLine(crash))
		c.t.Error(crash)
	}
	r.Rec = c.reconcile(ctx, s)
	r.Rec.Errors = append(r.Rec.Errors, r.Broken...)
	r.Elapsed = time.Since(c.started)
	r.Started = c.started
	c.mu.Lock()
	r.Events = append([]string(nil), c.events...)
	c.mu.Unlock()
	md := r.markdown()
	dir := filepath.Join("..", "docs", "chaos")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file+".md"), []byte(md), 0o644); err != nil {
		c.t.Fatal(err)
	}
	fmt.Println(md)
	for _, e := range r.Rec.Errors {
		c.t.Error(e)
	}
}
