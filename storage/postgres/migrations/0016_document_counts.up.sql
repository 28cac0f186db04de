-- 0016_document_counts: the number of documents by stage and status, kept
-- by triggers, so that a /metrics scrape no longer counts the whole
-- documents table (a GROUP BY over every document, 40-60 ms at 100k and
-- linear; docs/benchmarks.md).
--
-- The table holds deltas: every insert, delete or change of stage or
-- status appends rows (stage, status, +n or -n) and never updates one, so
-- concurrent transactions take no common row lock (no contention, no
-- deadlock). The scrape (metrics.dbCollector) sums the rows per (stage,
-- status) and folds them into one row per pair from time to time.
CREATE TABLE document_counts (
    stage  text   NOT NULL,
    status text   NOT NULL,
    n      bigint NOT NULL
);

CREATE FUNCTION document_counts_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock-free and in a fixed order: the old pair, then the new one.
    INSERT INTO document_counts (stage, status, n)
    VALUES (OLD.stage, OLD.status, -1), (NEW.stage, NEW.status, 1);
    RETURN NULL;
END $$;

CREATE FUNCTION document_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO document_counts (stage, status, n)
    SELECT stage, status, count(*) FROM new_rows GROUP BY stage, status;
    RETURN NULL;
END $$;

CREATE FUNCTION document_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO document_counts (stage, status, n)
    SELECT stage, status, -count(*) FROM old_rows GROUP BY stage, status;
    RETURN NULL;
END $$;

CREATE FUNCTION document_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM document_counts;
    RETURN NULL;
END $$;

-- Inserts and deletes per statement (a bulk insert appends one row per
-- pair); updates per row, and only those that change the stage or status.
CREATE TRIGGER document_counts_insert AFTER INSERT ON documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION document_counts_inserted();
CREATE TRIGGER document_counts_delete AFTER DELETE ON documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION document_counts_deleted();
CREATE TRIGGER document_counts_update AFTER UPDATE OF stage, status ON documents
    FOR EACH ROW WHEN (OLD.stage IS DISTINCT FROM NEW.stage OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION document_counts_rows();
CREATE TRIGGER document_counts_truncate AFTER TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION document_counts_truncated();

-- The documents already there (the triggers above hold off writers until
-- this migration commits).
INSERT INTO document_counts (stage, status, n)
SELECT stage, status, count(*) FROM documents GROUP BY stage, status;
