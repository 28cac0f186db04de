-- 0013_api_key_lifecycle: API keys for machines get a name, scopes (the
-- actions they may take, within their role), an expiry, and rotation
-- (the old key stays valid for a grace period, pointing to its successor).
ALTER TABLE api_keys
    ADD COLUMN name       text NOT NULL DEFAULT '',
    ADD COLUMN scopes     text[] NOT NULL DEFAULT '{}',
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN created_by text NOT NULL DEFAULT '',
    ADD COLUMN rotated_to uuid REFERENCES api_keys (id);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
