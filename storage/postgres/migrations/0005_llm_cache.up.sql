-- 0005_llm_cache: the model's valid answers by (tenant, question), so that
-- the same document is never paid for twice; and whether a run hit it.
CREATE TABLE llm_cache (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    key        text NOT NULL,
    content    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
ALTER TABLE extraction_runs ADD COLUMN cache_hit boolean NOT NULL DEFAULT false;
