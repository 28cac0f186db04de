package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/docflow/docflow/metrics"
	"github.com/docflow/docflow/storage/dbtest"
)

// TestDocumentGaugesFollowTheTable: docflow_documents, read from the
// counts that triggers keep, equals a GROUP BY over the documents after
// bulk inserts, status changes (concurrent ones too), deletes and several
// scrapes (each folds the counts).
func TestDocumentGaugesFollowTheTable(t *testing.T) {
	t.Parallel()
	pool := dbtest.Postgres(t)
	ctx := context.Background()
	srv := httptest.NewServer(metrics.New(pool).Handler(""))
	defer srv.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	check := func(step string) {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT stage, status, count(*) FROM documents GROUP BY stage, status`)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for rows.Next() {
			var stage, status string
			var n int
			if err := rows.Scan(&stage, &status, &n); err != nil {
				t.Fatal(err)
			}
			want = append(want, fmt.Sprintf(`docflow_documents{stage="%s",status="%s"} %d`, stage, status, n))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(want)
		for range 2 { // the second scrape reads the folded counts
			res, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var got []string
			for _, line := range strings.Split(string(body), "\n") {
				if strings.HasPrefix(line, "docflow_documents{") {
					got = append(got, line)
				}
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("%s: the scrape shows\n%s\nwant\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if strings.Contains(string(body), `docflow_metrics_query_errors{query="documents"} 1`) {
				t.Fatalf("%s: the documents query failed", step)
			}
		}
	}
	check("empty")
	exec(`INSERT INTO tenants (id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'T')`)
	exec(`INSERT INTO documents (id, tenant_id, file_name, size_bytes, sha256, status)
		SELECT gen_random_uuid(), '00000000-0000-0000-0000-0000000000a1', 'd' || i, 1, md5(i::text), 'received'
		FROM generate_series(1, 500) i`)
	check("after a bulk insert")
	exec(`UPDATE documents SET status = 'processing', stage = 'process' WHERE file_name LIKE 'd1%'`)
	exec(`UPDATE documents SET fields = '{"a": 1}' WHERE file_name LIKE 'd2%'`) // no change of status
	check("after updates")
	// Concurrent single-document transitions, as workers make them.
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 500; i += 8 {
				status := []string{"committed", "in_review", "failed"}[i%3]
				if _, err := pool.Exec(ctx, `UPDATE documents SET status = $1, stage = 'commit' WHERE file_name = $2`, status, fmt.Sprint("d", i+1)); err != nil {
					t.Error(err)
				}
				if i%16 == 0 {
					if res, err := srv.Client().Get(srv.URL); err == nil { // scrapes fold meanwhile
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}
		}()
	}
	wg.Wait()
	check("after concurrent transitions")
	exec(`DELETE FROM documents WHERE status = 'failed'`)
	check("after a delete")
}

// TestQueueGaugesIncludeEmptyQueues: every queue River serves has its
// docflow_queue_jobs series for every unfinished state, zero when it has
// no job; a queue that only jobs name is there too.
func TestQueueGaugesIncludeEmptyQueues(t *testing.T) {
	t.Parallel()
	pool := dbtest.Postgres(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO river_queue (name, created_at, metadata, updated_at) VALUES ('default', now(), '{}', now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, scheduled_at)
		VALUES ('{}', 'k', 5, 'llm', 'available', now() - interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(metrics.New(pool).Handler(""))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`docflow_queue_jobs{queue="default",state="available"} 0`,
		`docflow_queue_jobs{queue="default",state="running"} 0`,
		`docflow_queue_jobs{queue="default",state="scheduled"} 0`,
		`docflow_queue_jobs{queue="default",state="retryable"} 0`,
		`docflow_queue_jobs{queue="llm",state="available"} 1`,
		`docflow_queue_jobs{queue="llm",state="running"} 0`,
		`docflow_queue_oldest_available_seconds{queue="default"} 0`,
		`docflow_metrics_query_errors{query="queues"} 0`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	if !strings.Contains(string(body), `docflow_queue_oldest_available_seconds{queue="llm"} 6`) {
		t.Errorf("the llm queue's oldest job is not about a minute old:\n%s", body)
	}
}
