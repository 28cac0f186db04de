DROP TABLE IF EXISTS summary_contract_months;
DROP TABLE IF EXISTS summary_contract_rates;
DROP TABLE IF EXISTS summary_weekly_hours;
ALTER TABLE timesheets DROP KEY IF EXISTS timesheets_tenant_worker, DROP COLUMN IF EXISTS client_key, DROP COLUMN IF EXISTS worker_key;
