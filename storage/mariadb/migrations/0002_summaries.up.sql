-- 0002_summaries: summary tables maintained inside Records.Commit's
-- transaction (MariaDB has no materialized views), and the normalised name
-- keys they group timesheets by. Every statement may run again, so that a
-- migration cut short can be completed.
--
-- Keys are compared in utf8mb4_bin: NameKey already folds case and
-- normalises, and a binary collation keeps accents apart ("Élodie" is not
-- "Elodie"), as the spec compares strings. contract_key keeps the collation
-- of contracts.contract_key, so that summaries group contract numbers
-- exactly as the contract lookups match them.

ALTER TABLE timesheets
    ADD COLUMN IF NOT EXISTS worker_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' AFTER client_name,
    ADD COLUMN IF NOT EXISTS client_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' AFTER worker_key,
    ADD KEY IF NOT EXISTS timesheets_tenant_worker (tenant_id, worker_key, client_key);

-- Hours per worker, client and ISO week. worker_name and client_name are
-- the spellings on the contributing timesheet with the highest
-- timesheets.id (the one first committed last); timesheets counts the
-- timesheets with entries in that week.
CREATE TABLE IF NOT EXISTS summary_weekly_hours (
    tenant_id   CHAR(36) NOT NULL,
    worker_key  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    client_key  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    iso_year    SMALLINT NOT NULL,
    iso_week    TINYINT NOT NULL,
    worker_name VARCHAR(255) NOT NULL,
    client_name VARCHAR(255) NOT NULL,
    hours       DECIMAL(10, 2) NOT NULL,
    timesheets  INT NOT NULL,
    PRIMARY KEY (tenant_id, worker_key, client_key, iso_year, iso_week),
    KEY summary_weekly_hours_week (tenant_id, iso_year, iso_week)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The contract that prices each contract key's hours: the latest committed
-- contract of that key (contracts ordered by committed_at, id), NULL columns
-- while only timesheets name the key. One row per contract key that a
-- committed contract or timesheet names; the row is also the lock that
-- serialises every commit touching the key's months.
CREATE TABLE IF NOT EXISTS summary_contract_rates (
    tenant_id            CHAR(36) NOT NULL,
    contract_key         VARCHAR(64) NOT NULL,
    contract_number      VARCHAR(64) NOT NULL,
    contract_document_id CHAR(36) NULL,
    hourly_rate          DECIMAL(10, 2) NULL,
    PRIMARY KEY (tenant_id, contract_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Hours and amount per contract key and calendar month. amount is
-- ROUND(hours * hourly_rate, 2), or 0 with a NULL hourly_rate while no
-- committed contract (or one without a rate) prices the key.
CREATE TABLE IF NOT EXISTS summary_contract_months (
    tenant_id       CHAR(36) NOT NULL,
    contract_key    VARCHAR(64) NOT NULL,
    year            SMALLINT NOT NULL,
    month           TINYINT NOT NULL,
    contract_number VARCHAR(64) NOT NULL,
    hours           DECIMAL(10, 2) NOT NULL,
    hourly_rate     DECIMAL(10, 2) NULL,
    amount          DECIMAL(12, 2) NOT NULL,
    timesheets      INT NOT NULL,
    PRIMARY KEY (tenant_id, contract_key, year, month)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
