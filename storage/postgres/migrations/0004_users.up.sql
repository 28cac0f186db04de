-- 0004_users: people who sign in to the review desk, per tenant, and
-- their sessions. A session's id is the SHA-256 of the cookie's random
-- token, so that a copy of this table opens no session.
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    email         text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('uploader', 'reviewer', 'admin', 'auditor')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email));
CREATE INDEX users_email ON users (lower(email));

CREATE TABLE sessions (
    id           bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- A decision may now come from a person ("user:<id>") as well as from an
-- API key (its uuid): decided_by holds the principal's KeyID as text, like
-- the audit log's actor and review_approvals.actor.
ALTER TABLE review_tasks ALTER COLUMN decided_by TYPE text USING decided_by::text;
