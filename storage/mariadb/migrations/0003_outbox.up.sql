-- 0003_outbox: the events that a commit transaction writes beside the rows
-- it commits (document.committed), for the relay (package events) to move
-- into PostgreSQL's event log. event_id is unique, so a commit that runs
-- twice writes its event once; relayed_at is set once the event is in the
-- log, and relayed rows are purged after a day. Every statement may run
-- again.
CREATE TABLE IF NOT EXISTS outbox (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id    CHAR(36) CHARACTER SET ascii NOT NULL,
    tenant_id   CHAR(36) CHARACTER SET ascii NOT NULL,
    document_id CHAR(36) CHARACTER SET ascii NOT NULL,
    type        VARCHAR(64) CHARACTER SET ascii NOT NULL,
    payload     LONGTEXT NOT NULL,
    occurred_at DATETIME(6) NOT NULL,
    relayed_at  DATETIME(6) NULL,
    UNIQUE KEY outbox_event (event_id),
    KEY outbox_pending (relayed_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
