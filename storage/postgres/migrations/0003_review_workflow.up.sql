-- 0003_review_workflow: who uploaded a document (four eyes), claiming of
-- review tasks, approvals (a second one where a tenant requires it),
-- corrections kept field by field, and the auditor role.
ALTER TABLE documents ADD COLUMN uploaded_by text NOT NULL DEFAULT '';

ALTER TABLE review_tasks ADD COLUMN assignee text NOT NULL DEFAULT '';
ALTER TABLE review_tasks ADD COLUMN claimed_at timestamptz;
ALTER TABLE review_tasks ADD COLUMN approvals_required integer NOT NULL DEFAULT 1;

CREATE TABLE review_approvals (
    review_id uuid NOT NULL REFERENCES review_tasks (id),
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    actor     text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (review_id, actor)
);

CREATE TABLE corrections (
    id           bigserial PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    document_id  uuid NOT NULL REFERENCES documents (id),
    review_id    uuid REFERENCES review_tasks (id),
    field        text NOT NULL,
    extracted    jsonb,
    corrected    jsonb,
    actor        text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    extractor    text NOT NULL DEFAULT '',
    model        text NOT NULL DEFAULT '',
    prompt_id    text NOT NULL DEFAULT '',
    prompt_hash  text NOT NULL DEFAULT ''
);
CREATE INDEX corrections_tenant ON corrections (tenant_id, at);

ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('uploader', 'reviewer', 'admin', 'auditor'));

-- The audit log is append-only: no update, no delete.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
