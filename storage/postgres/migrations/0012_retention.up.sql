-- 0012_retention: documents past a tenant's retention period are purged of
-- their files and personal data; the audit trail keeps who did what and
-- when, and its personal details are removed once (redacted_at).
ALTER TABLE documents ADD COLUMN purged_at timestamptz;
CREATE INDEX documents_retention ON documents (tenant_id, received_at) WHERE purged_at IS NULL;
ALTER TABLE audit_log ADD COLUMN redacted_at timestamptz;

-- Still append-only: no delete, and no update but the one redaction of a
-- row's details, which keeps every other column as it was.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
        AND NEW.id = OLD.id AND NEW.tenant_id = OLD.tenant_id AND NEW.at = OLD.at
        AND NEW.actor = OLD.actor AND NEW.action = OLD.action
        AND NEW.document_id IS NOT DISTINCT FROM OLD.document_id
        AND NEW.review_id IS NOT DISTINCT FROM OLD.review_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
