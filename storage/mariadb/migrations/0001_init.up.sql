-- 0001_init: the system of record: contracts, timesheets and their entries,
-- keyed by the document they came from, tenant on every row.
CREATE TABLE contracts (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    tenant_id       CHAR(36) NOT NULL,
    document_id     CHAR(36) NOT NULL,
    contract_number VARCHAR(64) NOT NULL,
    contract_key    VARCHAR(64) NOT NULL,
    agency_name     VARCHAR(255) NULL,
    agency_siret    VARCHAR(20) NULL,
    client_name     VARCHAR(255) NULL,
    client_siret    VARCHAR(20) NULL,
    worker_name     VARCHAR(255) NULL,
    job_title       VARCHAR(255) NULL,
    start_date      DATE NULL,
    end_date        DATE NULL,
    hourly_rate     DECIMAL(10, 2) NULL,
    weekly_hours    DECIMAL(6, 2) NULL,
    work_location   VARCHAR(255) NULL,
    reason          VARCHAR(32) NULL,
    committed_at    DATETIME(6) NOT NULL,
    UNIQUE KEY contracts_document (document_id),
    KEY contracts_tenant_key (tenant_id, contract_key, committed_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE timesheets (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    tenant_id       CHAR(36) NOT NULL,
    document_id     CHAR(36) NOT NULL,
    contract_number VARCHAR(64) NOT NULL,
    contract_key    VARCHAR(64) NOT NULL,
    worker_name     VARCHAR(255) NULL,
    client_name     VARCHAR(255) NULL,
    period_start    DATE NULL,
    period_end      DATE NULL,
    total_hours     DECIMAL(8, 2) NULL,
    committed_at    DATETIME(6) NOT NULL,
    UNIQUE KEY timesheets_document (document_id),
    KEY timesheets_tenant_key (tenant_id, contract_key, period_start)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE timesheet_entries (
    tenant_id   CHAR(36) NOT NULL,
    document_id CHAR(36) NOT NULL,
    work_date   DATE NOT NULL,
    hours       DECIMAL(6, 2) NOT NULL,
    PRIMARY KEY (document_id, work_date),
    KEY timesheet_entries_tenant (tenant_id, work_date)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
