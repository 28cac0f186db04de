package metrics

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the queries of one scrape.
const scrapeTimeout = 5 * time.Second

var (
	documentsDesc = prometheus.NewDesc("docflow_documents", "Documents by stage and status (all tenants).",
		[]string{"stage", "status"}, nil)
	queueJobsDesc = prometheus.NewDesc("docflow_queue_jobs", "River jobs not finished, by queue and state.",
		[]string{"queue", "state"}, nil)
	queueAgeDesc = prometheus.NewDesc("docflow_queue_oldest_available_seconds",
		"Age of the oldest job available to run, by queue (0 when none waits).", []string{"queue"}, nil)
	reviewBacklogDesc = prometheus.NewDesc("docflow_review_backlog", "Open review tasks, by status: pending or claimed.",
		[]string{"status"}, nil)
	reviewAgeDesc = prometheus.NewDesc("docflow_review_oldest_pending_seconds",
		"Age of the oldest pending review task (0 when none).", nil, nil)
	scrapeErrorDesc = prometheus.NewDesc("docflow_metrics_query_errors",
		"1 when a query of this scrape failed (its gauges are missing).", []string{"query"}, nil)
)

// dbCollector reads gauges from PostgreSQL at scrape time: grouped counts
// over indexed columns (jobs not finished, open review tasks) and the
// document counts that triggers keep (document_counts), so that a scrape
// does not grow with the documents table.
type dbCollector struct {
	pool *pgxpool.Pool
}

// Describe sends the descriptors.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{documentsDesc, queueJobsDesc, queueAgeDesc, reviewBacklogDesc, reviewAgeDesc, scrapeErrorDesc} {
		ch <- d
	}
}

// Collect runs the queries; one that fails is reported as an error gauge
// and does not stop the others.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for _, q := range []struct {
		name string
		run  func(context.Context, chan<- prometheus.Metric) error
	}{{"documents", c.documents}, {"queues", c.queues}, {"reviews", c.reviews}} {
		failed := 0.0
		if err := q.run(ctx, ch); err != nil {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed, q.name)
	}
}

// documentCounts sums the deltas that migration 0016's triggers append to
// document_counts, and folds them into one row per (stage, status) in the
// same statement (its SELECT sees the rows as they were before the fold).
// Only one scrape at a time folds (an advisory lock); the others only sum.
// The scrape reads about as many rows as documents changed stage or status
// since the last one, whatever the size of the documents table.
const documentCounts = `
WITH fold AS (SELECT pg_try_advisory_xact_lock(hashtextextended('docflow.document_counts', 0)) AS ok),
deltas AS (DELETE FROM document_counts WHERE (SELECT ok FROM fold) RETURNING stage, status, n),
folded AS (INSERT INTO document_counts (stage, status, n)
	SELECT stage, status, sum(n) FROM deltas GROUP BY stage, status HAVING sum(n) <> 0)
SELECT stage, status, sum(n)::bigint FROM document_counts GROUP BY stage, status HAVING sum(n) <> 0`

func (c *dbCollector) documents(ctx context.Context, ch chan<- prometheus.Metric) error {
	rows, err := c.pool.Query(ctx, documentCounts)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var stage, status string
		var n int64
		if err := rows.Scan(&stage, &status, &n); err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(documentsDesc, prometheus.GaugeValue, float64(n), stage, status)
	}
	return rows.Err()
}

func (c *dbCollector) queues(ctx context.Context, ch chan<- prometheus.Metric) error {
	// Every queue that River knows (river_queue: those a client serves)
	// or that holds unfinished jobs, by every unfinished state, zeros
	// included: a series that vanishes when a queue drains would read as
	// a missing scrape to an alert.
	rows, err := c.pool.Query(ctx, `
WITH unfinished AS (SELECT unnest(ARRAY['available', 'running', 'retryable', 'scheduled']::river_job_state[]) AS state),
queues AS (SELECT name FROM river_queue UNION
	SELECT DISTINCT queue FROM river_job WHERE state IN (SELECT state FROM unfinished))
SELECT q.name, u.state::text, count(j.id),
       coalesce(extract(epoch FROM now() - min(j.scheduled_at) FILTER (WHERE j.state = 'available')), 0)
FROM queues q CROSS JOIN unfinished u
LEFT JOIN river_job j ON j.queue = q.name AND j.state = u.state
GROUP BY q.name, u.state`)
	if err != nil {
		return err
	}
	defer rows.Close()
	ages := map[string]float64{}
	for rows.Next() {
		var queue, state string
		var n int64
		var age float64
		if err := rows.Scan(&queue, &state, &n, &age); err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(queueJobsDesc, prometheus.GaugeValue, float64(n), queue, state)
		ages[queue] = max(ages[queue], age)
	}
	for queue, age := range ages {
		ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, max(age, 0), queue)
	}
	return rows.Err()
}

func (c *dbCollector) reviews(ctx context.Context, ch chan<- prometheus.Metric) error {
	rows, err := c.pool.Query(ctx, `
SELECT status, count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
FROM review_tasks WHERE status IN ('pending', 'claimed') GROUP BY status`)
	if err != nil {
		return err
	}
	defer rows.Close()
	oldest := 0.0
	for rows.Next() {
		var status string
		var n int64
		var age float64
		if err := rows.Scan(&status, &n, &age); err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(reviewBacklogDesc, prometheus.GaugeValue, float64(n), status)
		if status == "pending" {
			oldest = age
		}
	}
	ch <- prometheus.MustNewConstMetric(reviewAgeDesc, prometheus.GaugeValue, max(oldest, 0), nil...)
	return rows.Err()
}
