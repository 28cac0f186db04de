-- 0001_init: tenants, API keys, documents with their state, extraction
-- runs, review tasks and the audit log.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    settings   jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    role         text NOT NULL CHECK (role IN ('uploader', 'reviewer', 'admin')),
    key_hash     bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE documents (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    parent_id       uuid REFERENCES documents (id),
    file_name       text NOT NULL,
    media_type      text NOT NULL DEFAULT '',
    size_bytes      bigint NOT NULL,
    sha256          text NOT NULL,
    storage_key     text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('received', 'processing', 'in_review', 'committed', 'rejected', 'refused', 'failed')),
    document_type   text NOT NULL DEFAULT '',
    type_score      double precision NOT NULL DEFAULT 0,
    format          text NOT NULL DEFAULT '',
    fields          jsonb NOT NULL DEFAULT '{}',
    confidence      jsonb NOT NULL DEFAULT '{}',
    issues          jsonb NOT NULL DEFAULT '[]',
    refusal         text NOT NULL DEFAULT '',
    refusal_message text NOT NULL DEFAULT '',
    stage           text NOT NULL DEFAULT 'intake',
    stage_status    text NOT NULL DEFAULT '',
    error_code      text NOT NULL DEFAULT '',
    error_message   text NOT NULL DEFAULT '',
    attempts        integer NOT NULL DEFAULT 0,
    timings         jsonb NOT NULL DEFAULT '{}',
    received_at     timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    committed_at    timestamptz
);

-- The same bytes from the same tenant are one document (refused uploads
-- are each kept for audit).
CREATE UNIQUE INDEX documents_tenant_sha256 ON documents (tenant_id, sha256)
    WHERE parent_id IS NULL AND status <> 'refused';
CREATE INDEX documents_tenant_status ON documents (tenant_id, status, received_at DESC);
CREATE INDEX documents_parent ON documents (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE extraction_runs (
    id            bigserial PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    document_id   uuid NOT NULL REFERENCES documents (id),
    extractor     text NOT NULL,
    model         text NOT NULL DEFAULT '',
    prompt_id     text NOT NULL DEFAULT '',
    prompt_hash   text NOT NULL DEFAULT '',
    input_tokens  integer NOT NULL DEFAULT 0,
    output_tokens integer NOT NULL DEFAULT 0,
    latency_ms    double precision NOT NULL DEFAULT 0,
    cost_estimate double precision NOT NULL DEFAULT 0,
    fields        jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX extraction_runs_document ON extraction_runs (document_id);

CREATE TABLE review_tasks (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    document_id uuid NOT NULL REFERENCES documents (id),
    status      text NOT NULL CHECK (status IN ('pending', 'claimed', 'approved', 'rejected')),
    reasons     text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,
    decided_by  uuid,
    reason      text NOT NULL DEFAULT ''
);
-- At most one open task per document.
CREATE UNIQUE INDEX review_tasks_open ON review_tasks (document_id) WHERE status IN ('pending', 'claimed');
CREATE INDEX review_tasks_tenant_status ON review_tasks (tenant_id, status, created_at);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    document_id uuid,
    review_id   uuid,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_document ON audit_log (tenant_id, document_id, at);
