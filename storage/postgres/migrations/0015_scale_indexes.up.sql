-- 0015_scale_indexes: indexes that BenchmarkScale showed missing at 10k to
-- 100k documents (docs/benchmarks.md).
--
-- Every document read joins its latest review task (LATERAL ... WHERE
-- document_id = d.id ORDER BY created_at DESC LIMIT 1); only open tasks
-- were indexed by document, so each document listed scanned review_tasks.
CREATE INDEX review_tasks_document ON review_tasks (document_id, created_at DESC);
-- GET /v1/documents without a status filter: newest first.
CREATE INDEX documents_tenant_received ON documents (tenant_id, received_at DESC, id);
-- GET /v1/reviews without a status filter: oldest first.
CREATE INDEX review_tasks_tenant_created ON review_tasks (tenant_id, created_at, id);
-- The timesheets in review that wait for one contract key (revalidated
-- when that contract commits). The expression is pipeline.ContractKey's.
CREATE INDEX documents_waiting_contract ON documents
    (tenant_id, upper(translate(fields->>'contract_number', E' .-\t\u00a0\u2010\u2011\u2013', '')))
    WHERE status = 'in_review' AND document_type = 'timesheet';
