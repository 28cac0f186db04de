package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/metrics"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// benchScales reads DOCFLOW_BENCH_SCALE (say "1k,10k,100k"): the numbers of
// documents seeded into the databases before BenchmarkScale measures.
// Default: 1k and 10k (100k takes minutes to seed and is asked for).
func benchScales(b *testing.B) []int {
	spec := os.Getenv("DOCFLOW_BENCH_SCALE")
	if spec == "" {
		spec = "1k,10k"
	}
	var out []int
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(strings.ToLower(s))
		mult := 1
		if n, ok := strings.CutSuffix(s, "k"); ok {
			s, mult = n, 1000
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("DOCFLOW_BENCH_SCALE: %q is not a count such as 10k", s)
		}
		out = append(out, n*mult)
	}
	return out
}

// BenchmarkScale measures, with 1k to 100k documents already in the
// databases (seeded in bulk with SQL: documents, their extraction runs,
// review tasks and audit rows in PostgreSQL, and the committed contracts and
// timesheets in MariaDB), the figures that could slow down as tables grow:
// upload to committed, the document list, the review queue, the
// cross-document contract lookup of timesheet validation, the timesheets
// waiting for a contract, one document's audit trail and a /metrics scrape.
func BenchmarkScale(b *testing.B) {
	for _, n := range benchScales(b) {
		b.Run(fmt.Sprintf("docs=%dk", n/1000), func(b *testing.B) { benchScale(b, n) })
	}
}

func benchScale(b *testing.B, n int) {
	e := setup(b, envOptions{})
	tn := e.tenant("Scale")
	e.tenant("Other") // a second tenant, empty: queries must filter
	start := time.Now()
	seed(b, e, tn.id, n)
	b.Logf("seeded %d documents in %s", n, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	m := httptest.NewServer(metrics.New(e.pool).Handler(""))
	b.Cleanup(m.Close)
	var someDoc string
	if err := e.pool.QueryRow(ctx, "SELECT id::text FROM documents WHERE tenant_id = $1 ORDER BY received_at LIMIT 1 OFFSET $2", tn.id, n/2).Scan(&someDoc); err != nil {
		b.Fatal(err)
	}
	get := func(b *testing.B, url, key string) {
		for b.Loop() {
			benchGET(b, url, key)
		}
	}
	b.Run("list-documents", func(b *testing.B) { get(b, e.server.URL+"/v1/documents", tn.uploader) })
	b.Run("list-documents-in-review", func(b *testing.B) { get(b, e.server.URL+"/v1/documents?status=in_review", tn.uploader) })
	b.Run("review-queue", func(b *testing.B) { get(b, e.server.URL+"/v1/reviews", tn.reviewer) })
	b.Run("review-queue-pending", func(b *testing.B) { get(b, e.server.URL+"/v1/reviews?status=pending", tn.reviewer) })
	b.Run("document-audit", func(b *testing.B) { get(b, e.server.URL+"/v1/documents/"+someDoc+"/audit", tn.admin) })
	b.Run("metrics-scrape", func(b *testing.B) { get(b, m.URL, "") })
	// What the scrape counted documents with before migration 0016 (a
	// GROUP BY over the whole table), for comparison.
	b.Run("documents-group-by", func(b *testing.B) {
		for b.Loop() {
			rows, err := e.pool.Query(ctx, `SELECT stage, status, count(*) FROM documents GROUP BY stage, status`)
			if err != nil {
				b.Fatal(err)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("contract-lookup", func(b *testing.B) {
		lookup := e.records.ContractLookup(tn.id)
		i := 0
		for b.Loop() {
			i++
			c, err := lookup.CommittedContract(ctx, fmt.Sprintf("CM-SEED-%07d", (i*7919)%(n/2)))
			if err != nil || c == nil {
				b.Fatal(c, err)
			}
		}
	})
	b.Run("waiting-for-contract", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.store.WaitingForContract(ctx, tn.id, "CMWAIT0000123"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("upload-to-commit", func(b *testing.B) { benchUploadToCommit(b, e, tn.id) })
}

// benchGET sends one GET and fails on any status but 200.
func benchGET(b *testing.B, url, key string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
}

var uploadSeq struct {
	sync.Mutex
	n int
}

// benchUploadToCommit uploads b.N distinct one-page contract PDFs, 4 at a
// time, to the running workers and waits until all are committed.
func benchUploadToCommit(b *testing.B, e *env, tenantID string) {
	p := pipeline.Principal{KeyID: "bench", TenantID: tenantID, Role: pipeline.RoleUploader}
	uploadSeq.Lock()
	first := uploadSeq.n
	uploadSeq.n += b.N
	uploadSeq.Unlock()
	docs := make([][]byte, b.N)
	for i := range docs {
		docs[i] = testdocs.PDF(testdocs.Contract(testdocs.ValidContract(fmt.Sprintf("CM-UP-%07d", first+i))))
	}
	ctx := context.Background()
	const done = "SELECT count(*) FROM documents WHERE tenant_id = $1 AND status = 'committed' AND file_name LIKE 'up-%'"
	before := e.count(done, tenantID)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, data := range docs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, _, err := e.svc.Upload(ctx, p, fmt.Sprintf("up-%d.pdf", first+i), bytes.NewReader(data)); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Minute)
	for e.count(done, tenantID) < before+b.N {
		if time.Now().After(deadline) {
			b.Fatal("documents not committed within 10 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
}

// seed fills the databases with n documents of the tenant, as months of
// use leave them: half contracts, half timesheets; 90 % committed, 8 % in
// review, 2 % failed; one extraction run and three audit rows per document,
// a review task for each document in review and for one committed document
// in ten; in MariaDB, the committed contracts and timesheets (five entries
// each) with their summary rows.
func seed(b *testing.B, e *env, tenantID string, n int) {
	b.Helper()
	ctx := context.Background()
	pg := []string{
		`CREATE TABLE bench_seed AS SELECT i, gen_random_uuid() AS id,
			CASE WHEN i % 2 = 0 THEN 'contract' ELSE 'timesheet' END AS dtype,
			CASE WHEN i % 50 = 7 THEN 'failed' WHEN i % 100 < 8 THEN 'in_review' ELSE 'committed' END AS status,
			now() - make_interval(secs => ($2 - i) * 60) AS at
			FROM generate_series(0, $2 - 1) i`,
		`INSERT INTO documents (id, tenant_id, file_name, media_type, size_bytes, sha256, storage_key, status,
			document_type, type_score, format, fields, confidence, issues, stage, stage_status, error_code, attempts,
			timings, received_at, updated_at, committed_at, uploaded_by)
		SELECT id, $1, 'seed-' || i || '.pdf', 'application/pdf', 48000 + i % 9000, md5(i::text) || md5(id::text), 'seed/' || id,
			status, dtype, 0.97, 'pdf',
			CASE dtype WHEN 'contract' THEN jsonb_build_object('contract_number', 'CM-SEED-' || lpad((i / 2)::text, 7, '0'),
				'worker_name', 'Salarié ' || (i % 5000), 'client_name', 'Client ' || (i % 300), 'hourly_rate', 13.45,
				'start_date', '2026-03-02', 'end_date', '2026-06-30')
			ELSE jsonb_build_object('contract_number', CASE status WHEN 'in_review' THEN 'CM-WAIT-' ELSE 'CM-SEED-' END || lpad((i / 2)::text, 7, '0'),
				'worker_name', 'Salarié ' || (i % 5000), 'client_name', 'Client ' || (i % 300), 'period_start', '2026-03-02',
				'period_end', '2026-03-06', 'total_hours', 37.5,
				'entries', '[{"date": "2026-03-02", "hours": 7.5}, {"date": "2026-03-03", "hours": 7.5}]'::jsonb) END,
			'{"contract_number": 0.99, "worker_name": 0.97}',
			CASE status WHEN 'in_review' THEN '[{"code": "timesheet.unknown_contract", "severity": "error"}]' ELSE '[]' END::jsonb,
			CASE status WHEN 'committed' THEN 'commit' ELSE 'process' END,
			CASE status WHEN 'failed' THEN 'failed' ELSE 'done' END,
			CASE status WHEN 'failed' THEN 'extract.timeout' ELSE '' END, 1,
			'{"read_ms": 5.1, "extract_ms": 0.8}', at, at, CASE status WHEN 'committed' THEN at END, 'seed-key'
		FROM bench_seed`,
		`INSERT INTO extraction_runs (tenant_id, document_id, extractor, fields, latency_ms, created_at)
		SELECT $1, id, 'rules', '{"contract_number": "x"}', 0.8, at FROM bench_seed`,
		`INSERT INTO review_tasks (id, tenant_id, document_id, status, reasons, created_at, decided_at, decided_by, reason)
		SELECT gen_random_uuid(), $1, id, CASE status WHEN 'in_review' THEN 'pending' ELSE 'approved' END,
			ARRAY['timesheet.unknown_contract'], at, CASE status WHEN 'committed' THEN at END,
			CASE status WHEN 'committed' THEN gen_random_uuid() END, ''
		FROM bench_seed WHERE status = 'in_review' OR (status = 'committed' AND i % 10 = 3)`,
		`INSERT INTO audit_log (tenant_id, at, actor, action, document_id, details)
		SELECT $1, at + make_interval(secs => k), 'key:seed', a, id, '{"file_name": "seed.pdf"}'
		FROM bench_seed, unnest(ARRAY['document.uploaded', 'document.processed', 'document.committed']) WITH ORDINALITY AS x(a, k)`,
		`DROP TABLE bench_seed`,
		`ANALYZE`,
	}
	for _, q := range pg {
		q = strings.NewReplacer("$1", "'"+tenantID+"'::uuid", "$2", strconv.Itoa(n)).Replace(q)
		if _, err := e.pool.Exec(ctx, q); err != nil {
			b.Fatalf("seeding PostgreSQL: %v\n%s", err, q)
		}
	}
	half := n / 2
	my := []string{
		fmt.Sprintf(`INSERT INTO contracts (tenant_id, document_id, contract_number, contract_key, agency_name, agency_siret,
			client_name, client_siret, worker_name, job_title, start_date, end_date, hourly_rate, weekly_hours, work_location,
			reason, committed_at)
		SELECT ?, UUID(), CONCAT('CM-SEED-', LPAD(seq, 7, '0')), CONCAT('CMSEED', LPAD(seq, 7, '0')), 'Agence Intérim',
			'12345678900011', CONCAT('Client ', seq %% 300), '98765432100022', CONCAT('Salarié ', seq %% 5000), 'Cariste',
			'2026-03-02', '2026-06-30', 13.45, 35, 'Lyon', 'accroissement', NOW(6) - INTERVAL (%d - seq) MINUTE
		FROM seq_0_to_%d`, half, half-1),
		fmt.Sprintf(`INSERT INTO timesheets (tenant_id, document_id, contract_number, contract_key, worker_name, client_name,
			worker_key, client_key, period_start, period_end, total_hours, committed_at)
		SELECT ?, UUID(), CONCAT('CM-SEED-', LPAD(seq, 7, '0')), CONCAT('CMSEED', LPAD(seq, 7, '0')), CONCAT('Salarié ', seq %% 5000),
			CONCAT('Client ', seq %% 300), CONCAT('salarie ', seq %% 5000), CONCAT('client ', seq %% 300),
			'2026-03-02', '2026-03-06', 37.5, NOW(6) - INTERVAL (%d - seq) MINUTE
		FROM seq_0_to_%d`, half, half-1),
		`INSERT INTO timesheet_entries (tenant_id, document_id, work_date, hours)
		SELECT t.tenant_id, t.document_id, t.period_start + INTERVAL d.seq DAY, 7.5 FROM timesheets t JOIN seq_0_to_4 d WHERE t.tenant_id = ?`,
		`INSERT INTO summary_contract_rates (tenant_id, contract_key, contract_number, contract_document_id, hourly_rate)
		SELECT tenant_id, contract_key, contract_number, document_id, hourly_rate FROM contracts WHERE tenant_id = ?`,
		`ANALYZE TABLE contracts, timesheets, timesheet_entries, summary_contract_rates`,
	}
	for _, q := range my {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{tenantID}
		}
		if _, err := e.records.DB().ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("seeding MariaDB: %v\n%s", err, q)
		}
	}
}
