CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
ALTER TABLE audit_log DROP COLUMN redacted_at;
DROP INDEX documents_retention;
ALTER TABLE documents DROP COLUMN purged_at;
