-- 0014_events: the event log (every event of a document, with its
-- sequence number per document), the webhooks that tenants register, one
-- delivery per webhook and event with its attempts, and what was
-- published to Kafka. Events are written in the transaction of the state
-- change they tell about; document.committed comes from MariaDB's outbox
-- through the relay (package events).
CREATE TABLE event_sequences (
    document_id uuid PRIMARY KEY,
    last        bigint NOT NULL
);

CREATE TABLE events (
    id           uuid PRIMARY KEY,
    -- posn orders the log; per document it follows sequence.
    posn         bigserial NOT NULL UNIQUE,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    document_id  uuid NOT NULL,
    sequence     bigint NOT NULL,
    type         text NOT NULL,
    version      text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- kafka_published_at is set once the event is on the Kafka topic.
    kafka_published_at timestamptz,
    UNIQUE (document_id, sequence)
);
CREATE INDEX events_tenant ON events (tenant_id, posn);
CREATE INDEX events_kafka_pending ON events (posn) WHERE kafka_published_at IS NULL;

CREATE TABLE webhooks (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    url           text NOT NULL,
    description   text NOT NULL DEFAULT '',
    -- event_types filters the events sent; empty sends them all.
    event_types   text[] NOT NULL DEFAULT '{}',
    -- secret is sealed with the store's keyring.
    secret        text NOT NULL,
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, created_at) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    webhook_id       uuid NOT NULL REFERENCES webhooks (id),
    event_id         uuid NOT NULL REFERENCES events (id),
    document_id      uuid NOT NULL,
    sequence         bigint NOT NULL,
    -- pending (to send, or being sent until next_attempt_at), delivered, failed.
    status           text NOT NULL DEFAULT 'pending',
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status_code int,
    last_error       text NOT NULL DEFAULT '',
    last_latency_ms  double precision,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (webhook_id, document_id, sequence) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);

CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    tenant_id    uuid NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    status_code  int,
    error        text NOT NULL DEFAULT '',
    latency_ms   double precision NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
