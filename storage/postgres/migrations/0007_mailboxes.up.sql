-- 0007_mailboxes: the IMAP mailboxes a tenant's mail is polled from, and
-- every message taken from them, so that each is taken exactly once.
CREATE TABLE mailboxes (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    name             text NOT NULL DEFAULT '',
    host             text NOT NULL,
    port             integer NOT NULL CHECK (port > 0 AND port < 65536),
    tls_mode         text NOT NULL CHECK (tls_mode IN ('tls', 'starttls', 'none')),
    username         text NOT NULL,
    -- Stored as given for now: encryption at rest is issue 8.
    password         text NOT NULL,
    folder           text NOT NULL DEFAULT 'INBOX',
    processed_folder text NOT NULL,
    failed_folder    text NOT NULL,
    poll_interval_ms bigint NOT NULL DEFAULT 60000 CHECK (poll_interval_ms > 0),
    max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    enabled          boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mailboxes_tenant ON mailboxes (tenant_id);

-- One row per message taken in: recorded in the same transaction as its
-- document and the document's process job. A message is identified by its
-- place (mailbox, UIDVALIDITY, UID) and by its content (Message-ID, or its
-- sha256 when it has none): either already recorded means it is not taken
-- again, only moved.
CREATE TABLE mail_messages (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    mailbox_id   uuid NOT NULL REFERENCES mailboxes (id),
    uidvalidity  bigint NOT NULL,
    uid          bigint NOT NULL,
    message_id   text NOT NULL DEFAULT '',
    sha256       text NOT NULL,
    dedupe_key   text NOT NULL,
    document_id  uuid NOT NULL REFERENCES documents (id),
    -- stored: document and job committed; moved: the message left the folder.
    state        text NOT NULL CHECK (state IN ('stored', 'moved')),
    received_at  timestamptz NOT NULL DEFAULT now(),
    moved_at     timestamptz,
    CONSTRAINT mail_messages_place UNIQUE (mailbox_id, uidvalidity, uid),
    CONSTRAINT mail_messages_dedupe UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX mail_messages_document ON mail_messages (document_id);

-- Messages whose intake failed: attempts and the last reason; parked_at is
-- set once the message was moved to the mailbox's failed folder.
CREATE TABLE mail_failures (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    mailbox_id   uuid NOT NULL REFERENCES mailboxes (id),
    uidvalidity  bigint NOT NULL,
    uid          bigint NOT NULL,
    message_id   text NOT NULL DEFAULT '',
    subject      text NOT NULL DEFAULT '',
    attempts     integer NOT NULL DEFAULT 0,
    reason       text NOT NULL DEFAULT '',
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    last_failed_at  timestamptz NOT NULL DEFAULT now(),
    parked_at    timestamptz,
    PRIMARY KEY (mailbox_id, uidvalidity, uid)
);
CREATE INDEX mail_failures_tenant ON mail_failures (tenant_id, last_failed_at DESC);
